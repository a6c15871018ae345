// SPDX-License-Identifier: MIT
// The response head writer: the cached head of common responses says exactly what the
// general writer says, for every shape it covers, and the others are not cached.
#include "eddy/http/detail/wire.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "eddy/http/response.hpp"

namespace {

using eddy::http::response;
using eddy::http::detail::write_head;
using eddy::http::detail::write_response;

// What write_response must produce: the general head, then the body unless it is left out.
std::string expected(const response& r, bool with_body, bool keep, std::string_view server, bool http10) {
  std::string out;
  write_head(out, r, r.body().size(), keep, server, http10);
  const bool no_body = (r.status() >= 100 && r.status() < 200) || r.status() == 204 || r.status() == 304;
  if (with_body && !no_body) out += r.body();
  return out;
}

std::string written(const response& r, bool with_body, bool keep, std::string_view server, bool http10,
                    std::string before = {}) {
  write_response(before, r, with_body, keep, server, http10);
  return before;
}

TEST(Wire, CachedHeadsMatchTheGeneralWriterForEveryShape) {
  for (int status : {100, 200, 201, 204, 304, 404, 418, 500, 599}) {
    for (bool keep : {true, false}) {
      for (bool http10 : {false, true}) {
        for (bool with_body : {true, false}) {
          for (std::string_view server : {std::string_view("eddy"), std::string_view("other"), std::string_view()}) {
            const response text = response::text("Hello, World!", status);
            const response json = response::json_text("{\"a\":1}", status);
            const response html = response::html(std::string(300, 'h'), status);
            for (const response* r : {&text, &json, &html}) {
              // Twice: the first call fills the cache, the second reads it.
              for (int round = 0; round < 2; ++round) {
                ASSERT_EQ(written(*r, with_body, keep, server, http10), expected(*r, with_body, keep, server, http10))
                    << status << " keep=" << keep << " http10=" << http10 << " body=" << with_body << " server="
                    << server << " round " << round;
              }
            }
          }
        }
      }
    }
  }
}

TEST(Wire, AppendsAfterWhatIsAlreadyThere) {
  const response r = response::text("abc");
  const std::string out = written(r, true, true, "eddy", false, "HTTP/1.1 200 OK\r\n...earlier response");
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\n...earlier response" + expected(r, true, true, "eddy", false));
}

TEST(Wire, ResponsesWithOwnFieldsOrTypesTakeTheGeneralWriter) {
  response with_field = response::text("x");
  with_field.headers().add("X-Trace", "1");
  response own_type = response::bytes("x", "image/png");
  response no_type(200);
  no_type.body() = "plain";
  for (const response* r : {&with_field, &own_type, &no_type}) {
    const std::string out = written(*r, true, true, "eddy", false);
    EXPECT_EQ(out, expected(*r, true, true, "eddy", false));
  }
  EXPECT_NE(written(with_field, true, true, "eddy", false).find("X-Trace: 1\r\n"), std::string::npos);
  EXPECT_NE(written(own_type, true, true, "eddy", false).find("Content-Type: image/png\r\n"), std::string::npos);
}

TEST(Wire, TheServerNameOfEachCallIsTheOneWritten) {
  const response r = response::text("x");
  // Same response shape, same thread, different names: no head cached for one name is
  // served for the other.
  for (int i = 0; i < 3; ++i) {
    EXPECT_NE(written(r, true, true, "alpha", false).find("Server: alpha\r\n"), std::string::npos);
    EXPECT_NE(written(r, true, true, "beta", false).find("Server: beta\r\n"), std::string::npos);
    EXPECT_EQ(written(r, true, true, "", false).find("Server:"), std::string::npos);
  }
}

TEST(Wire, ContentLengthIsTheBodySizeEvenWithoutTheBody) {
  const response r = response::text(std::string(12345, 'x'));
  const std::string head = written(r, false, true, "eddy", false);
  EXPECT_NE(head.find("Content-Length: 12345\r\n\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");
}

}  // namespace
