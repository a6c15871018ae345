// SPDX-License-Identifier: MIT
// eddy-test-labels: threads
// Server limits, timeouts (slowloris, stalled bodies, idle keep-alive) and graceful shutdown.
#include "eddy/http/app.hpp"

#include <gtest/gtest.h>

#include "http/server_fixture.hpp"

namespace {

TEST(ServerTimeouts, StreamingHandlerMayPauseLongerThanTheConnectionTimeouts) {
  auto options = standard_options();
  options.header_timeout = 150ms;
  options.keep_alive_timeout = 150ms;
  options.body_timeout = 150ms;
  options.write_timeout = 150ms;
  test_server server(standard_routes, options);
  client c(server.port());
  auto r = c.roundtrip(get("/slow-stream"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "tick0\ntick1\ntick2\n");
}

TEST(ServerTimeouts, ClosesAConnectionWhoseBodyStalls) {
  auto options = standard_options();
  options.body_timeout = 200ms;
  test_server server(standard_routes, options);
  client c(server.port());
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc"));
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.closed_within(5s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_TRUE(c.pending().starts_with("HTTP/1.1 408 Request Timeout\r\n")) << c.pending();
  EXPECT_NE(c.pending().find("Connection: close\r\n"), std::string::npos) << c.pending();
}

TEST(ServerTimeouts, ClosesAConnectionWhosePeerStopsReading) {
  auto options = standard_options();
  options.write_timeout = 200ms;
  test_server server(standard_routes, options);
  client c(server.port());
  // Small receive buffer: the 4 MiB response cannot be parked in the kernel.
  ASSERT_TRUE(c.send(get("/big")));
  std::this_thread::sleep_for(1500ms);  // never reading meanwhile
  EXPECT_TRUE(c.closed_within(5s));
  EXPECT_LT(c.pending().size(), 4u * 1024 * 1024) << "the whole response fit in the buffers";
  client other(server.port());
  auto r = other.roundtrip(get("/hello"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(ServerLimits, RefusesConnectionsBeyondTheLimit) {
  auto options = standard_options();
  options.max_connections = 2;
  test_server server(standard_routes, options);
  client a(server.port());
  client b(server.port());
  ASSERT_TRUE(a.roundtrip(get("/hello")));
  ASSERT_TRUE(b.roundtrip(get("/hello")));
  client over(server.port());
  over.send(get("/hello"));
  EXPECT_TRUE(over.closed_within());
  auto still = a.roundtrip(get("/n/1"));
  ASSERT_TRUE(still);
  EXPECT_EQ(still->body, "1");
}

TEST(ServerTimeouts, ClosesAConnectionWhoseHeadStalls) {
  auto options = standard_options();
  options.header_timeout = 200ms;
  test_server server(standard_routes, options);
  client c(server.port());
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHo"));
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.closed_within(5s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_TRUE(c.pending().starts_with("HTTP/1.1 408 Request Timeout\r\n")) << c.pending();
}

TEST(ServerTimeouts, AStalledHeadAfterAnsweredPipelinedRequestsGetsA408AfterTheirAnswers) {
  auto options = standard_options();
  options.header_timeout = 200ms;
  test_server server(standard_routes, options);
  client c(server.port());
  ASSERT_TRUE(c.send(get("/hello") + get("/n/5") + "GET /n/6 HTTP/1.1\r\nHost"));
  EXPECT_TRUE(c.closed_within(5s));
  const std::string& got = c.pending();
  const auto first = got.find("HTTP/1.1 200");
  const auto second = got.find("HTTP/1.1 200", first + 1);
  const auto late = got.find("HTTP/1.1 408");
  EXPECT_EQ(first, 0u) << got;
  EXPECT_NE(second, std::string::npos) << got;
  EXPECT_NE(late, std::string::npos) << got;
  EXPECT_LT(second, late) << got;
}

TEST(ServerTimeouts, HeaderTimeoutCountsFromTheStartOfTheHeadNotFromTheLastByte) {
  // Slowloris: one byte every 100 ms never lets a per-read timer of 300 ms fire.
  auto options = standard_options();
  options.header_timeout = 300ms;
  test_server server(standard_routes, options);
  client c(server.port());
  std::string head = "GET /hello HTTP/1.1\r\nHost: t\r\nX-Slow: " + std::string(100, 's');
  auto start = std::chrono::steady_clock::now();
  bool closed = false;
  for (char ch : head) {
    if (!c.send(std::string_view(&ch, 1)) || c.closed_within(100ms)) {
      closed = true;
      break;
    }
  }
  EXPECT_TRUE(closed) << "a head trickling in byte by byte was never cut off";
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(ServerTimeouts, BodyTimeoutAppliesBetweenReadsNotToTheWholeBody) {
  auto options = standard_options();
  options.body_timeout = 500ms;
  options.body_min_rate = 0;  // 10 bytes a second is far below any useful minimum rate
  test_server server(standard_routes, options);
  client c(server.port());
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n"));
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(100ms);  // 1 s in all, each gap well under 500 ms
    ASSERT_TRUE(c.send(std::to_string(i)));
  }
  auto r = c.read_response();
  ASSERT_TRUE(r) << "a steadily arriving body was cut off";
  EXPECT_EQ(r->body, "0123456789");
}

TEST(ServerTimeouts, ABodyDrippingInBelowTheMinimumRateGetsA408) {
  // Each gap is well under the body timeout, but 1,000 bytes at 10 a second would take
  // 100 s: the body must be in within 500 ms plus 1 s per 100 bytes received.
  auto options = standard_options();
  options.body_timeout = 500ms;
  options.body_min_rate = 100;
  test_server server(standard_routes, options);
  client c(server.port());
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n"));
  const auto start = std::chrono::steady_clock::now();
  bool closed = false;
  while (std::chrono::steady_clock::now() - start < 20s) {
    if (c.closed_within(100ms) || !c.send("x")) {
      closed = true;
      break;
    }
  }
  EXPECT_TRUE(closed) << "a body dripping in at 10 bytes a second was never cut off";
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  EXPECT_TRUE(c.pending().starts_with("HTTP/1.1 408 Request Timeout\r\n")) << c.pending();
}

TEST(ServerTimeouts, ABodyAtTheMinimumRateIsRead) {
  // 40 bytes in pieces of 4 every 100 ms is 40 bytes a second, over a minimum of 20: the
  // whole second it takes is earned, though it is twice the body timeout.
  auto options = standard_options();
  options.body_timeout = 500ms;
  options.body_min_rate = 20;
  test_server server(standard_routes, options);
  client c(server.port());
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 40\r\n\r\n"));
  std::string sent;
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(100ms);
    const std::string piece = "ab" + std::to_string(10 + i);
    ASSERT_TRUE(c.send(piece));
    sent += piece;
  }
  auto r = c.read_response();
  ASSERT_TRUE(r) << "a body arriving above the minimum rate was cut off";
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, sent);
}

TEST(ServerTimeouts, ClosesAnIdleKeepAliveConnection) {
  auto options = standard_options();
  options.keep_alive_timeout = 300ms;
  test_server server(standard_routes, options);
  client c(server.port());
  auto r = c.roundtrip(get("/hello"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.closed_within(5s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(c.pending(), "") << "an idle keep-alive connection closes without a word (no 408)";
}

TEST(ServerTimeouts, AParkedConnectionKeepsItsKeepAliveTimeout) {
  // Idle for 500 ms, the connection parks (without its frames); the keep-alive time still
  // counts from the end of the last response.
  auto options = standard_options();
  options.keep_alive_timeout = 1200ms;
  test_server server(standard_routes, options);
  client c(server.port());
  auto r = c.roundtrip(get("/hello"));
  ASSERT_TRUE(r);
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.closed_within(10s));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1000ms) << "closed before the keep-alive timeout";
}

TEST(ServerTimeouts, AParkedConnectionWakesForTheNextRequests) {
  test_server server(standard_routes, standard_options());
  client c(server.port());
  ASSERT_TRUE(c.roundtrip(get("/hello")));
  std::this_thread::sleep_for(800ms);  // parked by now
  auto again = c.roundtrip(get("/hello"));
  ASSERT_TRUE(again) << "a parked connection did not answer";
  EXPECT_EQ(again->status, 200);
  std::this_thread::sleep_for(800ms);
  // Parked again: two pipelined requests, one of them with a body, both answered in order.
  ASSERT_TRUE(c.send(get("/hello") + "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello"));
  auto first = c.read_response();
  auto second = c.read_response();
  ASSERT_TRUE(first);
  ASSERT_TRUE(second);
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(second->body, "hello");
}

TEST(ServerTimeouts, HeaderTimeoutDoesNotCutASlowHandler) {
  auto options = standard_options();
  options.header_timeout = 100ms;
  options.keep_alive_timeout = 100ms;
  test_server server(standard_routes, options);
  client c(server.port());
  auto r = c.roundtrip(get("/sleep"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "slept");
}

TEST(ServerShutdown, FinishesAnInFlightRequestAfterStopIsRequested) {
  test_server server(standard_routes, standard_options());
  client busy(server.port());
  client idle(server.port());
  ASSERT_TRUE(idle.roundtrip(get("/hello")));
  ASSERT_TRUE(busy.send(get("/sleep")));
  std::this_thread::sleep_for(100ms);  // the handler is now sleeping
  auto stop_at = std::chrono::steady_clock::now();
  server.request_stop();
  auto r = busy.read_response();
  auto arrived = std::chrono::steady_clock::now();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "slept");
  EXPECT_GE(arrived, stop_at);
  EXPECT_TRUE(busy.closed_within());
  EXPECT_TRUE(idle.closed_within());
  server.stop();
  // No longer accepting.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(server.port());
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_NE(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ::close(fd);
}

TEST(ServerShutdown, CancelsRequestsStillRunningAfterTheGracePeriod) {
  auto options = standard_options();
  options.graceful_timeout = 50ms;
  test_server server(standard_routes, options);
  client busy(server.port());
  ASSERT_TRUE(busy.send(get("/sleep")));
  std::this_thread::sleep_for(50ms);
  auto start = std::chrono::steady_clock::now();
  server.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  // Had the drain waited for the 300 ms handler, its response would be here.
  EXPECT_FALSE(busy.read_response()) << "the handler was waited for past the grace period";
  EXPECT_TRUE(busy.closed_within());
}


}  // namespace
