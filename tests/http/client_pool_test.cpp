// SPDX-License-Identifier: MIT
// The client's connection pool: reuse, limits, dead and expired connections, cancellation.
#include "eddy/http/connection_pool.hpp"
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

TEST(Client, TenThousandRequestsShareAPoolOfTen) {
  eddy::test::run_real([]() -> task<void> {
    http::app app("t");
    add_routes(app);
    local_app srv(app);
    {
      http::client c({.max_connections = 10, .max_per_host = 10});
      int failures = 0;
      auto worker = [&]() -> task<void> {
        for (int i = 0; i < 100; ++i) {
          auto r = co_await c.get(srv.base() + "/hello");
          if (!r) {
            ++failures;
            continue;
          }
          auto t = co_await r->text();
          if (!t || *t != "hello") ++failures;
        }
      };
      std::vector<task<void>> workers;
      for (int i = 0; i < 100; ++i) workers.push_back(worker());
      co_await eddy::when_all(std::move(workers));
      EXPECT_EQ(failures, 0);
      EXPECT_LE(c.pool().opened_total(), 10u);
      EXPECT_EQ(c.pool().open(), c.pool().idle());
      EXPECT_LE(c.pool().open(), 10u);
      EXPECT_EQ(c.pool().waiting(), 0u);
    }
    co_await srv.stop();
  }());
}

TEST(Client, WorksWithAServerThatClosesAfterEachResponse) {
  eddy::test::run_real([]() -> task<void> {
    raw_server srv([](tcp_stream s, int) -> task<void> {
      co_await read_request(s);
      co_await send(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
      s.close();
    });
    {
      http::client c;
      for (int i = 0; i < 5; ++i) {
        auto r = co_await c.get(srv.base() + "/");
        EXPECT_TRUE(r);
        if (r) { auto got = co_await text_of(r); EXPECT_EQ(got, "ok"); }
      }
      EXPECT_EQ(srv.accepted(), 5);
      EXPECT_EQ(c.pool().open(), 0u);
    }
    co_await srv.stop();
  }());
}

// Answers the first request on each connection with keep-alive, then drops the connection
// without answering the second: a pooled connection the server closed at the worst moment.
task<void> drop_second_request(tcp_stream s, int) {
  co_await read_request(s);
  co_await send(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  co_await read_request(s);
  s.abort();
}

TEST(Client, RetriesAnIdempotentRequestOnceWhenAPooledConnectionDied) {
  eddy::test::run_real([]() -> task<void> {
    raw_server srv(drop_second_request);
    {
      http::client c;
      auto a = co_await c.get(srv.base() + "/");
      { auto got = co_await text_of(a); EXPECT_EQ(got, "ok"); }
      auto b = co_await c.get(srv.base() + "/");
      EXPECT_TRUE(b) << b.error().message();
      if (b) { auto got = co_await text_of(b); EXPECT_EQ(got, "ok"); }
      EXPECT_EQ(srv.accepted(), 2);
    }
    co_await srv.stop();
  }());
}

TEST(Client, ReportsRatherThanResendsAPostOnADeadPooledConnection) {
  eddy::test::run_real([]() -> task<void> {
    raw_server srv(drop_second_request);
    {
      http::client c;
      auto a = co_await c.post(srv.base() + "/", [] { return http::request_options{.body = "1"}; }());
      { auto got = co_await text_of(a); EXPECT_EQ(got, "ok"); }
      auto b = co_await c.post(srv.base() + "/", [] { return http::request_options{.body = "2"}; }());
      EXPECT_FALSE(b);
      EXPECT_EQ(b.error(), client_errc::connection_closed) << b.error().message();
      EXPECT_EQ(srv.accepted(), 1);
      EXPECT_EQ(c.pool().open(), 0u);
    }
    co_await srv.stop();
  }());
}

TEST(Client, DetectsAnIdleConnectionClosedByTheServerBeforeUsingIt) {
  eddy::test::run_real([]() -> task<void> {
    raw_server srv([](tcp_stream s, int) -> task<void> {
      co_await read_request(s);
      co_await send(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      s.close();  // keep-alive promised, then closed while idle
    });
    {
      http::client c;
      auto a = co_await c.post(srv.base() + "/", [] { return http::request_options{.body = "1"}; }());
      { auto got = co_await text_of(a); EXPECT_EQ(got, "ok"); }
      co_await eddy::sleep_for(50ms);
      // The FIN is seen before sending, so even a POST provably goes out on a new connection.
      auto b = co_await c.post(srv.base() + "/", [] { return http::request_options{.body = "2"}; }());
      EXPECT_TRUE(b) << b.error().message();
      EXPECT_EQ(srv.accepted(), 2);
    }
    co_await srv.stop();
  }());
}

TEST(Client, ExpiresIdleConnections) {
  eddy::test::run_real([]() -> task<void> {
    http::app app("t");
    add_routes(app);
    local_app srv(app);
    {
      http::client c({.idle_timeout = 30ms});
      auto a = co_await c.get(srv.base() + "/hello");
      co_await a->text();
      auto b = co_await c.get(srv.base() + "/hello");
      co_await b->text();
      EXPECT_EQ(c.pool().opened_total(), 1u);
      co_await eddy::sleep_for(60ms);
      EXPECT_EQ(c.pool().open(), 0u);  // closed by the pool's timer, not by the next request
      auto d = co_await c.get(srv.base() + "/hello");
      co_await d->text();
      EXPECT_EQ(c.pool().opened_total(), 2u);
      EXPECT_EQ(c.pool().open(), 1u);
    }
    co_await srv.stop();
  }());
}

TEST(Client, CancellingAnInFlightRequestDiscardsItsConnectionAndFreesTheSlot) {
  eddy::test::run_real([]() -> task<void> {
    raw_server srv(never_answer);
    {
      http::client c({.max_per_host = 1});
      auto first = eddy::spawn(get_error(c, srv.base() + "/"));
      co_await eddy::sleep_for(20ms);
      auto second = eddy::spawn(get_error(c, srv.base() + "/"));  // queues behind the only slot
      co_await eddy::sleep_for(20ms);
      EXPECT_EQ(c.pool().waiting(), 1u);
      second.cancel();
      auto r2 = co_await second;
      EXPECT_EQ(r2, eddy::errc::operation_canceled);
      EXPECT_EQ(c.pool().waiting(), 0u);
      first.cancel();
      auto r1 = co_await first;
      EXPECT_EQ(r1, eddy::errc::operation_canceled);
      EXPECT_EQ(c.pool().open(), 0u);
      // The slot is back: a new request gets a connection at once.
      auto third = eddy::spawn(get_error(c, srv.base() + "/"));
      co_await eddy::sleep_for(20ms);
      EXPECT_EQ(srv.accepted(), 2);
      third.cancel();
      co_await third;
    }
    co_await srv.stop();
  }());
}
