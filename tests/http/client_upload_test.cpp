// SPDX-License-Identifier: MIT
// Request bodies: a file streamed with its length, a generator sent chunked (replayed on a
// 307), and `Expect: 100-continue` against servers that accept, refuse or ignore it.
#include "eddy/http/client.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "client_test_support.hpp"
#include "eddy/runtime/sleep.hpp"
#include "support/test_loop.hpp"

using namespace std::chrono_literals;
using eddy::task;
using eddy::tcp_stream;
using eddy::test::local_app;
using eddy::test::raw_server;
using eddy::test::send;
using eddy::test::text_of;
namespace http = eddy::http;
namespace fs = std::filesystem;

namespace {

// "<method> <content-length or -> <transfer-encoding or -> <expect or -> <size> <checksum>"
void add_routes(http::app& app) {
  auto describe = [](http::request& req) -> task<http::response> {
    std::uint64_t sum = 0;
    for (unsigned char ch : req.body()) sum = sum * 31 + ch;
    co_return http::response::text(std::string(req.method_name()) + " " +
                                   std::string(req.header("Content-Length").value_or("-")) + " " +
                                   std::string(req.header("Transfer-Encoding").value_or("-")) + " " +
                                   std::string(req.header("Expect").value_or("-")) + " " +
                                   std::to_string(req.body().size()) + " " + std::to_string(sum));
  };
  app.post("/describe", describe);
  app.put("/describe", describe);
  app.post("/again", [](http::request&) -> task<http::response> { co_return http::response::redirect("/describe", 307); });
}

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7) % 26);
  return s;
}

std::string checksum(std::string_view s) {
  std::uint64_t sum = 0;
  for (unsigned char ch : s) sum = sum * 31 + ch;
  return std::to_string(sum);
}

struct temp_file {
  fs::path path = fs::temp_directory_path() / ("eddy-upload-" + std::to_string(::getpid()) + ".bin");
  explicit temp_file(const std::string& content) { std::ofstream(path, std::ios::binary) << content; }
  ~temp_file() { fs::remove(path); }
};

int stream_calls = 0;

eddy::async_generator<std::string> pieces() {
  ++stream_calls;
  for (int i = 0; i < 5; ++i) {
    co_await eddy::sleep_for(1ms);
    co_yield "part" + std::to_string(i) + ";";
  }
}

}  // namespace

TEST(ClientUpload, StreamsAFileWithItsLengthAsContentLength) {
  const std::string content = pattern(3 << 20);
  temp_file f(content);
  eddy::test::run_real([&]() -> task<void> {
    http::app app("t");
    add_routes(app);
    local_app srv(app);
    {
      http::client c;
      http::request_options o{.body_file = f.path};
      auto r = co_await c.put(srv.base() + "/describe", std::move(o));
      std::string got = co_await text_of(r);
      // 3 MiB is above the 1 MiB threshold: announced with Expect, sent after 100 Continue.
      EXPECT_EQ(got, "PUT 3145728 - 100-continue 3145728 " + checksum(content));
      http::request_options small{.body_file = f.path, .expect_continue = false};
      auto r2 = co_await c.put(srv.base() + "/describe", std::move(small));
      std::string got2 = co_await text_of(r2);
      EXPECT_EQ(got2, "PUT 3145728 - - 3145728 " + checksum(content));
    }
    co_await srv.stop();
  }());
}

TEST(ClientUpload, AMissingFileFailsBeforeAnythingIsSent) {
  eddy::test::run_real([]() -> task<void> {
    raw_server srv(eddy::test::never_answer);
    {
      http::client c;
      http::request_options o{.body_file = fs::path("/nonexistent/eddy/upload.bin")};
      auto r = co_await c.post(srv.base() + "/", std::move(o));
      EXPECT_EQ(r.error(), std::errc::no_such_file_or_directory);
      EXPECT_EQ(srv.accepted(), 0);
    }
    co_await srv.stop();
  }());
}

TEST(ClientUpload, SendsAGeneratorChunkedAndReplaysItOnA307) {
  stream_calls = 0;
  eddy::test::run_real([]() -> task<void> {
    http::app app("t");
    add_routes(app);
    local_app srv(app);
    {
      http::client c({.expect_continue_min_bytes = 0});
      http::request_options o{.body_stream = pieces};
      auto r = co_await c.post(srv.base() + "/describe", std::move(o));
      std::string body = "part0;part1;part2;part3;part4;";
      std::string got = co_await text_of(r);
      EXPECT_EQ(got, "POST - chunked - 30 " + checksum(body));
      http::request_options again{.body_stream = pieces};
      auto r2 = co_await c.post(srv.base() + "/again", std::move(again));
      std::string got2 = co_await text_of(r2);
      EXPECT_EQ(got2, "POST - chunked - 30 " + checksum(body));
    }
    co_await srv.stop();
  }());
  EXPECT_EQ(stream_calls, 3);
}

TEST(ClientUpload, AServerThatRefusesTheExpectationAnswersBeforeTheUpload) {
  eddy::test::run_real([]() -> task<void> {
    http::app app("t");
    add_routes(app);
    http::serve_options so;
    so.limits.max_body_bytes = 1000;
    local_app srv(app, so);
    {
      http::client c({.expect_continue_min_bytes = 100});
      http::request_options o{.body = pattern(5000)};
      auto r = co_await c.post(srv.base() + "/describe", std::move(o));
      EXPECT_TRUE(r) << r.error().message();
      EXPECT_EQ(r ? r->status() : 0, 413);
      // The refused connection is not reused; the next request works.
      http::request_options ok{.body = pattern(500)};
      auto r2 = co_await c.post(srv.base() + "/describe", std::move(ok));
      std::string got = co_await text_of(r2);
      EXPECT_EQ(got, "POST 500 - 100-continue 500 " + checksum(pattern(500)));
    }
    co_await srv.stop();
  }());
}

// Reads a head with Expect, answers 401 without reading the body, and records how many body
// bytes arrived meanwhile (none, since the client waits).
int body_bytes_before_answer = -1;

task<void> refuse_with_401(tcp_stream s, int) {
  std::string in;
  char buf[4096];
  while (in.find("\r\n\r\n") == std::string::npos) {
    auto n = co_await s.read_some(buf);
    if (!n || *n == 0) co_return;
    in.append(buf, *n);
  }
  co_await eddy::sleep_for(50ms);
  auto n = s.try_read_some(std::span<char>(buf, sizeof buf));
  body_bytes_before_answer = static_cast<int>(in.size() - in.find("\r\n\r\n") - 4) + (n ? static_cast<int>(*n) : 0);
  co_await send(s, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 4\r\n\r\nauth");
  co_await eddy::sleep_for(1s);
}

TEST(ClientUpload, TheBodyIsNotSentWhenTheServerAnswersTheExpectationWithAStatus) {
  body_bytes_before_answer = -1;
  eddy::test::run_real([]() -> task<void> {
    raw_server srv(refuse_with_401);
    {
      http::client c({.expect_continue_min_bytes = 10, .expect_continue_timeout = 10s});
      http::request_options o{.body = pattern(100000)};
      auto r = co_await c.post(srv.base() + "/", std::move(o));
      EXPECT_TRUE(r && r->status() == 401);
      std::string got = co_await text_of(r);
      EXPECT_EQ(got, "auth");
      EXPECT_EQ(c.pool().idle(), 0u);
    }
    co_await srv.stop();
  }());
  EXPECT_EQ(body_bytes_before_answer, 0);
}

// Ignores Expect: never sends 100, reads the whole body once it comes, then answers.
task<void> ignore_expect(tcp_stream s, int) {
  auto req = co_await eddy::test::read_request(s);
  auto body = req.substr(req.find("\r\n\r\n") + 4);
  co_await send(s, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  co_await eddy::sleep_for(1s);
}

TEST(ClientUpload, TheBodyGoesOutAnywayWhenNoContinueComesInTime) {
  eddy::test::run_real([]() -> task<void> {
    raw_server srv(ignore_expect);
    {
      http::client c({.expect_continue_min_bytes = 10, .expect_continue_timeout = 50ms});
      http::request_options o{.body = pattern(2000)};
      auto r = co_await c.post(srv.base() + "/", std::move(o));
      std::string got = co_await text_of(r);
      EXPECT_EQ(got, pattern(2000));
    }
    co_await srv.stop();
  }());
}
