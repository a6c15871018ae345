// SPDX-License-Identifier: MIT
// Failure injection through whole server exchanges (Boost.Beast's fail_count idea): the
// server's end of an in-memory stream fails its N-th read or write, for every N from 1 to
// one past the number of operations a clean exchange needs. Every failure point must end the
// connection cleanly: `run()` returns (no hang: a virtual-time guard would fire), the client
// sees end of stream or a reset, whatever it received is a prefix of a well-formed answer,
// nothing leaks (the ASan run checks), and a failure after the last operation changes
// nothing.
#include "eddy/http/detail/connection.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <ostream>
#include <string>
#include <system_error>
#include <vector>

#include "eddy/core/when_all.hpp"
#include "eddy/http/app.hpp"
#include "eddy/http/response_stream.hpp"
#include "eddy/runtime/timeout.hpp"
#include "support/memory_stream.hpp"
#include "support/test_loop.hpp"

namespace {

namespace http = eddy::http;
using eddy::task;
using eddy::test::memory_stream;
using http::request;
using http::response;
using namespace std::chrono_literals;

const http::app& test_app() {
  static http::app app("failure");
  static bool ready = [] {
    app.get("/", [](request&) -> task<response> { co_return response::text("hello\n"); });
    app.post("/echo", [](request& req) -> task<response> { co_return response::text(std::string(req.body())); });
    app.get("/stream", [](request& req) -> task<response> {
      auto& out = req.stream(200);
      for (int i = 0; i < 3; ++i) co_await out.write("part " + std::to_string(i) + "\n");
      co_return out.finish();
    });
    app.freeze();
    return true;
  }();
  (void)ready;
  return app;
}

struct outcome {
  std::string received;       // what the client read before end of stream or an error
  std::size_t server_ops = 0;  // reads and writes the server's end performed
  bool client_saw_error = false;
};

// The client writes `request_bytes` (all at once, then half-closes unless `keep_open`) and
// reads until end of stream; the server serves one connection with its end failing at
// operation `fail_at` (0: never). Both ends run on one loop with virtual time.
task<outcome> exchange(std::string request_bytes, std::size_t fail_at, std::error_code error) {
  eddy::test::memory_stream_options server_options{.read_chunks = {7}, .fail_at = fail_at, .fail_error = error};
  auto [client, server] = memory_stream::make_pair({}, server_options);
  http::detail::server_state state;
  state.application = &test_app();
  state.options.server_name = "";
  outcome o;
  auto serve = [&]() -> task<void> {
    {
      http::detail::connection<memory_stream> c(server, state, "test:1");
      co_await c.run();
    }
    o.server_ops = server.operations();
    server.close();
  };
  auto talk = [&]() -> task<void> {
    std::size_t done = 0;
    while (done < request_bytes.size()) {
      auto n = co_await client.write_some(std::span<const char>(request_bytes.data() + done, request_bytes.size() - done));
      if (!n) break;  // the server went away early: read what it said
      done += *n;
    }
    (void)client.shutdown_write();
    char buf[512];
    for (;;) {
      auto n = co_await client.read_some(std::span<char>(buf, sizeof buf));
      if (!n) {
        o.client_saw_error = true;
        break;
      }
      if (*n == 0) break;
      o.received.append(buf, *n);
    }
    client.close();
  };
  // Ten virtual minutes: far beyond every server timeout, so only a real hang reaches it.
  auto both = [&]() -> task<void> { co_await eddy::when_all(serve(), talk()); };
  co_await eddy::with_timeout(10min, both());
  co_return o;
}

outcome run_exchange(const std::string& request_bytes, std::size_t fail_at,
                     std::error_code error = std::make_error_code(std::errc::connection_reset)) {
  return eddy::test::run_virtual(exchange(request_bytes, fail_at, error));
}

// The Date header differs between runs; everything else must match.
std::string without_date(std::string s) {
  for (std::size_t at; (at = s.find("Date: ")) != std::string::npos;) s.erase(at, s.find("\r\n", at) + 2 - at);
  return s;
}

struct script {
  const char* name;
  std::string bytes;
  // GoogleTest would otherwise print the struct's bytes, padding included (valgrind objects).
  friend void PrintTo(const script& s, std::ostream* os) { *os << s.name; }
};

class ServerFailure : public ::testing::TestWithParam<script> {};

TEST_P(ServerFailure, EveryFailurePointEndsTheConnectionCleanly) {
  const script& s = GetParam();
  outcome clean = run_exchange(s.bytes, 0);
  ASSERT_GT(clean.server_ops, 0u);
  ASSERT_EQ(clean.received.rfind("HTTP/1.1 ", 0), 0u) << clean.received;
  const std::string expected = without_date(clean.received);
  std::printf("%s: %zu failure points, each with 2 errors\n", s.name, clean.server_ops + 1);
  for (auto error : {std::make_error_code(std::errc::connection_reset), std::make_error_code(std::errc::broken_pipe)}) {
    for (std::size_t n = 1; n <= clean.server_ops + 1; ++n) {
      SCOPED_TRACE(std::string(s.name) + ": operation " + std::to_string(n) + " of " +
                   std::to_string(clean.server_ops) + " fails with " + error.message());
      outcome o = run_exchange(s.bytes, n, error);  // returning at all means: no hang
      std::string got = without_date(o.received);
      // Whatever arrived is the start of the clean answer: a failed write never leaves the
      // server writing garbage or a response from the middle of another.
      EXPECT_EQ(expected.compare(0, got.size(), got), 0) << got;
      if (n > clean.server_ops) {
        EXPECT_EQ(got, expected);
      }
      EXPECT_LE(o.server_ops, n + clean.server_ops);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Exchanges, ServerFailure,
    ::testing::Values(
        script{"get", "GET / HTTP/1.1\r\nHost: a\r\n\r\n"},
        script{"post_with_length", "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world"},
        script{"post_chunked", "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"},
        script{"expect_continue", "POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nbody"},
        script{"pipelined", "GET / HTTP/1.1\r\nHost: a\r\n\r\nPOST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhiGET /nope HTTP/1.1\r\nHost: a\r\n\r\n"},
        script{"streamed", "GET /stream HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"},
        script{"streamed_http10", "GET /stream HTTP/1.0\r\n\r\n"},
        script{"malformed", "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"},
        script{"keep_alive_then_close", "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ServerFailure, ACleanExchangeNeedsSeveralOperations) {
  // The sweep above is only meaningful if a clean exchange has several failure points.
  outcome clean = run_exchange("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 0);
  EXPECT_GE(clean.server_ops, 4u);
  EXPECT_FALSE(clean.client_saw_error);
  EXPECT_EQ(std::count(clean.received.begin(), clean.received.end(), '\n') > 0, true);
}

}  // namespace
