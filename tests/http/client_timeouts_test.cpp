// SPDX-License-Identifier: MIT
// Each of the client's timeouts fires against a server that stalls at that stage.
#include "eddy/http/client.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "client_test_support.hpp"
#include "eddy/core/when_all.hpp"
#include "eddy/runtime/sleep.hpp"
#include "eddy/runtime/spawn.hpp"
#include "support/test_loop.hpp"

using namespace std::chrono_literals;
using eddy::task;
using eddy::tcp_stream;
using eddy::test::local_app;
using eddy::test::raw_server;
using eddy::test::read_request;
using eddy::test::send;
using eddy::test::add_routes;
using eddy::test::get_error;
using eddy::test::never_answer;
using eddy::test::text_of;
namespace http = eddy::http;
using http::client_errc;

TEST(Client, TtfbTimeoutFiresWhenTheServerNeverAnswers) {
  eddy::test::run_real([]() -> task<void> {
    raw_server srv(never_answer);
    {
      http::client c({.timeouts = {.ttfb = 50ms}});
      auto r = co_await c.get(srv.base() + "/");
      EXPECT_EQ(r.error(), client_errc::ttfb_timeout);
      EXPECT_TRUE(http::is_timeout(r.error()));
      EXPECT_EQ(r.error(), std::errc::timed_out);
      EXPECT_EQ(c.pool().open(), 0u);
    }
    co_await srv.stop();
  }());
}

TEST(Client, ReadIdleTimeoutFiresWhenTheServerStallsMidResponse) {
  eddy::test::run_real([]() -> task<void> {
    raw_server srv([](tcp_stream s, int) -> task<void> {
      auto req = co_await read_request(s);
      if (req.starts_with("GET /head")) {
        co_await send(s, "HTTP/1.1 200 OK\r\nContent-");
      } else {
        co_await send(s, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab");
      }
      co_await eddy::sleep_for(1h);
    });
    {
      http::client c({.timeouts = {.read_idle = 50ms}});
      auto h = co_await c.get(srv.base() + "/head");
      EXPECT_EQ(h.error(), client_errc::read_idle_timeout);
      auto b = co_await c.get(srv.base() + "/body");
      EXPECT_TRUE(b);
      if (b) { auto got = (co_await b->text()).error(); EXPECT_EQ(got, client_errc::read_idle_timeout); }
      EXPECT_EQ(c.pool().open(), 0u);
    }
    co_await srv.stop();
  }());
}

TEST(Client, TotalTimeoutFiresAgainstATricklingServer) {
  eddy::test::run_real([]() -> task<void> {
    raw_server srv([](tcp_stream s, int) -> task<void> {
      co_await read_request(s);
      co_await send(s, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
      for (;;) {
        if (!co_await send(s, "x")) co_return;
        co_await eddy::sleep_for(10ms);
      }
    });
    {
      http::client c({.timeouts = {.total = 150ms, .read_idle = 1s}});
      auto r = co_await c.get(srv.base() + "/");
      EXPECT_TRUE(r) << r.error().message();
      if (r) { auto got = (co_await r->text()).error(); EXPECT_EQ(got, client_errc::total_timeout); }
    }
    co_await srv.stop();
  }());
}

TEST(Client, TlsHandshakeTimeoutFiresAgainstAServerThatNeverSpeaksTls) {
  eddy::test::run_real([]() -> task<void> {
    raw_server srv([](tcp_stream, int) -> task<void> { co_await eddy::sleep_for(1h); });
    {
      http::client c({.timeouts = {.tls_handshake = 50ms}});
      auto r = co_await c.get(srv.base("https") + "/");
      EXPECT_EQ(r.error(), client_errc::tls_handshake_timeout) << r.error().message();
      EXPECT_EQ(c.pool().open(), 0u);
    }
    co_await srv.stop();
  }());
}

TEST(Client, ConnectTimeoutFiresWhenTheListenQueueIsFull) {
  eddy::test::run_real([]() -> task<void> {
    // A listener that never accepts, with a backlog of one: once its queue is full, the
    // kernel drops further SYNs and connecting stalls.
    eddy::tcp_listener l(eddy::address::parse("127.0.0.1", 0).value(), {.backlog = 1});
    auto port = l.local_address().port();
    std::vector<eddy::tcp_stream> fillers;
    for (int i = 0; i < 8; ++i) {
      auto s = co_await eddy::tcp_stream::connect(eddy::address::parse("127.0.0.1", port).value(),
                                                  {.timeout = 100ms});
      if (!s) break;
      fillers.push_back(std::move(*s));
    }
    http::client c({.timeouts = {.connect = 100ms}});
    auto r = co_await c.get("http://127.0.0.1:" + std::to_string(port) + "/");
    EXPECT_EQ(r.error(), client_errc::connect_timeout) << r.error().message();
    EXPECT_EQ(c.pool().open(), 0u);
  }());
}

TEST(Client, AQueuedRequestThatTimesOutGivesUpItsPlaceInLine) {
  eddy::test::run_real([]() -> task<void> {
    raw_server srv(never_answer);
    {
      http::client c({.max_per_host = 1, .timeouts = {.connect = 50ms}});
      auto first = eddy::spawn(get_error(c, srv.base() + "/"));
      co_await eddy::sleep_for(10ms);
      auto r = co_await c.get(srv.base() + "/");
      EXPECT_EQ(r.error(), client_errc::connect_timeout);
      EXPECT_EQ(c.pool().waiting(), 0u);
      EXPECT_EQ(c.pool().open(), 1u);
      first.cancel();
      co_await first;
      EXPECT_EQ(c.pool().open(), 0u);
    }
    co_await srv.stop();
  }());
}

task<void> fetch_into(http::client& c, std::string u, std::vector<std::string>& order) {
  auto r = co_await c.get(u);
  order.push_back(co_await text_of(r));
}

TEST(Client, QueuedRequestsAreServedInArrivalOrder) {
  eddy::test::run_real([]() -> task<void> {
    http::app app("t");
    add_routes(app);
    local_app srv(app);
    {
      http::client c({.max_per_host = 1});
      std::vector<std::string> order;
      std::vector<task<void>> all;
      for (int i = 1; i <= 5; ++i) all.push_back(fetch_into(c, srv.base() + "/slow/" + std::to_string(i), order));
      co_await eddy::when_all(std::move(all));
      EXPECT_EQ(order, (std::vector<std::string>{"1", "2", "3", "4", "5"}));
      EXPECT_EQ(c.pool().opened_total(), 1u);
    }
    co_await srv.stop();
  }());
}

TEST(Client, TheTotalLimitClosesAnIdleConnectionOfAnotherOrigin) {
  eddy::test::run_real([]() -> task<void> {
    http::app app("t");
    add_routes(app);
    local_app one(app);
    local_app two(app);
    {
      http::client c({.max_connections = 1});
      auto a = co_await c.get(one.base() + "/hello");
      { auto got = co_await text_of(a); EXPECT_EQ(got, "hello"); }
      auto b = co_await c.get(two.base() + "/hello");
      { auto got = co_await text_of(b); EXPECT_EQ(got, "hello"); }
      EXPECT_EQ(c.pool().opened_total(), 2u);
      EXPECT_EQ(c.pool().open(), 1u);
    }
    co_await one.stop();
    co_await two.stop();
  }());
}
