// SPDX-License-Identifier: MIT
// Retries with backoff, default credentials and tracing callbacks.
#include "eddy/http/client.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "client_test_support.hpp"
#include "support/test_loop.hpp"

using namespace std::chrono_literals;
using eddy::task;
using eddy::tcp_stream;
using eddy::test::local_app;
using eddy::test::raw_server;
using eddy::test::read_request;
using eddy::test::send;
using eddy::test::text_of;
namespace http = eddy::http;
using http::client_errc;

namespace {

int hits = 0;

// Fails with `fails` 503s (with Retry-After: 0), then succeeds; counts every request.
void add_routes(http::app& app) {
  app.route(http::router::bit(http::method::get) | http::router::bit(http::method::post), "/flaky/<fails:int>",
            [](http::request& req) -> task<http::response> {
              if (hits++ < req.param<int>("fails")) {
                auto r = http::response::text("busy", 503);
                r.header("Retry-After", "0");
                co_return r;
              }
              co_return http::response::text("ok after " + std::to_string(hits));
            });
  app.get("/auth", [](http::request& req) -> task<http::response> {
    co_return http::response::text(std::string(req.header("Authorization").value_or("-")));
  });
  app.get("/hello", [](http::request&) -> task<http::response> { co_return http::response::text("hello"); });
}

}  // namespace

TEST(ClientHooks, RetriesARetryableStatusWithBackoffUntilItSucceeds) {
  eddy::test::run_real([]() -> task<void> {
    http::app app("t");
    add_routes(app);
    local_app srv(app);
    {
      hits = 0;
      http::client c({.retry = {.attempts = 4, .backoff = 1ms}});
      auto r = co_await c.get(srv.base() + "/flaky/2");
      std::string got = co_await text_of(r);
      EXPECT_EQ(got, "ok after 3");
      // Attempts run out: the last response is returned as it is.
      hits = 0;
      auto gave_up = co_await c.get(srv.base() + "/flaky/9");
      EXPECT_TRUE(gave_up && gave_up->status() == 503);
      EXPECT_EQ(hits, 4);
      // Off by default.
      hits = 0;
      http::client plain;
      auto once = co_await plain.get(srv.base() + "/flaky/1");
      EXPECT_TRUE(once && once->status() == 503);
      EXPECT_EQ(hits, 1);
    }
    co_await srv.stop();
  }());
}

TEST(ClientHooks, DoesNotRetryAPostUnlessTold) {
  eddy::test::run_real([]() -> task<void> {
    http::app app("t");
    add_routes(app);
    local_app srv(app);
    {
      hits = 0;
      http::client c({.retry = {.attempts = 3, .backoff = 1ms}});
      auto r = co_await c.post(srv.base() + "/flaky/1");
      EXPECT_TRUE(r && r->status() == 503);
      EXPECT_EQ(hits, 1);
      hits = 0;
      http::request_options o{.retry = http::retry_policy{.attempts = 3, .idempotent_only = false, .backoff = 1ms}};
      auto forced = co_await c.post(srv.base() + "/flaky/1", std::move(o));
      std::string got = co_await text_of(forced);
      EXPECT_EQ(got, "ok after 2");
    }
    co_await srv.stop();
  }());
}

// Refuses the first two connections (closes them unanswered), then answers.
task<void> close_first_two(tcp_stream s, int index) {
  co_await read_request(s);
  if (index < 2) {
    s.abort();
    co_return;
  }
  co_await send(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  co_await read_request(s);
}

TEST(ClientHooks, RetriesAConnectionErrorAndStopsAtTheTotalTimeout) {
  eddy::test::run_real([]() -> task<void> {
    raw_server srv(close_first_two);
    {
      http::client c({.retry = {.attempts = 5, .backoff = 1ms}});
      auto r = co_await c.get(srv.base() + "/");
      std::string got = co_await text_of(r);
      EXPECT_EQ(got, "ok");
      EXPECT_EQ(srv.accepted(), 3);
    }
    co_await srv.stop();
    // A backoff that would cross the total timeout ends the retries with the last error.
    raw_server dead(eddy::test::never_answer);
    {
      http::client c({.timeouts = {.total = 300ms, .ttfb = 50ms},
                      .retry = {.attempts = 100, .backoff = 1s, .max_backoff = 1s}});
      auto r = co_await c.get(dead.base() + "/");
      EXPECT_EQ(r.error(), client_errc::ttfb_timeout);
      EXPECT_EQ(dead.accepted(), 1);
    }
    co_await dead.stop();
  }());
}

TEST(ClientHooks, SendsBasicOrBearerCredentialsAndARequestMayOverrideThem) {
  eddy::test::run_real([]() -> task<void> {
    http::app app("t");
    add_routes(app);
    local_app srv(app);
    {
      http::client basic({.auth = http::client_auth::basic("Aladdin", "open sesame")});
      auto r = co_await basic.get(srv.base() + "/auth");
      std::string got = co_await text_of(r);
      EXPECT_EQ(got, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
      http::request_options o{.auth = http::client_auth::bearer("t0ken")};
      auto b = co_await basic.get(srv.base() + "/auth", std::move(o));
      std::string bearer = co_await text_of(b);
      EXPECT_EQ(bearer, "Bearer t0ken");
      http::request_options own{.headers = {{"Authorization", "Custom x"}}};
      auto c = co_await basic.get(srv.base() + "/auth", std::move(own));
      std::string custom = co_await text_of(c);
      EXPECT_EQ(custom, "Custom x");
    }
    co_await srv.stop();
  }());
}

TEST(ClientHooks, TracesEachExchangeWithReuseAndTimings) {
  struct record {
    std::string what;
    int attempt;
    int status;
    bool reused;
    http::request_timings timings;
  };
  std::vector<record> log;
  eddy::test::run_real([&]() -> task<void> {
    http::app app("t");
    add_routes(app);
    local_app srv(app);
    {
      auto rec = [&](const char* what) {
        return [&log, what](const http::request_trace& t) {
          log.push_back({what, t.attempt, t.status, t.reused_connection, t.timings});
        };
      };
      http::client c({.retry = {.attempts = 2, .backoff = 1ms},
                      .trace = {.on_request_start = rec("start"), .on_request_end = rec("end"),
                                .on_connection_created = rec("created"), .on_connection_reused = rec("reused")}});
      hits = 0;
      auto r = co_await c.get(srv.base() + "/flaky/1");  // a 503, then a retry
      std::string got = co_await text_of(r);
      EXPECT_EQ(got, "ok after 2");
    }
    co_await srv.stop();
  }());
  std::vector<std::string> order;
  for (auto& r : log) order.push_back(r.what + std::to_string(r.attempt));
  EXPECT_EQ(order, (std::vector<std::string>{"start1", "created1", "end1", "start2", "reused2", "end2"}));
  if (log.size() == 6) {
    EXPECT_EQ(log[2].status, 503);
    EXPECT_EQ(log[5].status, 200);
    EXPECT_FALSE(log[2].reused);
    EXPECT_TRUE(log[5].reused);
    // A new connection has connect and first-byte timings; a reused one has no connect.
    EXPECT_GT(log[2].timings.connect.count() + log[2].timings.dns.count(), 0);
    EXPECT_GE(log[2].timings.total, log[2].timings.ttfb);
    EXPECT_EQ(log[5].timings.connect.count(), 0);
    EXPECT_GT(log[5].timings.total.count(), 0);
  }
}
