// SPDX-License-Identifier: MIT
// Failure injection for a whole client exchange: the server cuts the connection (FIN or RST)
// after N bytes of its response, for every N. The client must report an error, never a
// made-up success or a truncated body, and must never hang; with the whole response it must
// return the exact body.
#include "eddy/http/client.hpp"

#include <gtest/gtest.h>

#include <string>

#include "client_test_support.hpp"
#include "support/test_loop.hpp"

using namespace std::chrono_literals;
using eddy::task;
using eddy::tcp_stream;
using eddy::test::raw_server;
using eddy::test::read_request;
using eddy::test::send;
namespace http = eddy::http;

namespace {

// What the scripted server sends and where it cuts (one loop thread: plain globals suffice).
std::string response_bytes;
std::size_t cut_at = 0;
bool reset_instead_of_fin = false;

task<void> cutting_server(tcp_stream s, int) {
  co_await read_request(s);
  co_await send(s, std::string_view(response_bytes).substr(0, cut_at));
  if (reset_instead_of_fin) {
    s.abort();
  } else {
    (void)s.shutdown_write();
  }
}

struct outcome {
  int complete = 0;  // exact body received
  int failed = 0;    // an error reported
  int wrong = 0;     // "success" with anything else
};

task<outcome> cut_at_every_byte(const std::string& wire, const std::string& body) {
  outcome o;
  response_bytes = wire;
  for (bool rst : {false, true}) {
    reset_instead_of_fin = rst;
    for (std::size_t n = 0; n <= wire.size(); ++n) {
      cut_at = n;
      raw_server srv(&cutting_server);
      {
        http::client c({.timeouts = {.total = 5s, .read_idle = 2s}, .max_redirects = 0});
        auto r = co_await c.get(srv.base() + "/x");
        std::optional<std::string> got;
        if (r) {
          auto t = co_await r->text();
          if (t) got = std::move(*t);
        }
        if (!got) {
          ++o.failed;
        } else if (*got == body && n == wire.size()) {
          ++o.complete;
        } else {
          ++o.wrong;
          ADD_FAILURE() << "cut at " << n << (rst ? " (RST)" : " (FIN)") << ": got " << got->size()
                        << " bytes as a success";
        }
      }
      co_await srv.stop();
    }
  }
  co_return o;
}

TEST(ClientFailure, AContentLengthResponseCutAnywhereIsAnError) {
  eddy::test::run_real([]() -> task<void> {
    std::string body = "0123456789abcdef";
    std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 16\r\nX-Pad: yes\r\n\r\n" + body;
    outcome o = co_await cut_at_every_byte(wire, body);
    EXPECT_EQ(o.wrong, 0);
    // With FIN the whole response arrives once (n == size); with RST it may be lost.
    EXPECT_GE(o.complete, 1);
    EXPECT_EQ(o.failed + o.complete, 2 * static_cast<int>(wire.size() + 1));
  }());
}

TEST(ClientFailure, AChunkedResponseCutAnywhereIsAnError) {
  eddy::test::run_real([]() -> task<void> {
    std::string wire =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=1\r\n world\r\n0\r\nT: 1\r\n\r\n";
    outcome o = co_await cut_at_every_byte(wire, "hello world");
    EXPECT_EQ(o.wrong, 0);
    EXPECT_GE(o.complete, 1);
  }());
}

}  // namespace
