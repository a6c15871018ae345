// SPDX-License-Identifier: MIT
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
namespace http = eddy::http;
using http::client_errc;

namespace {

// The body as text, or "<error: ...>" (co_await cannot appear inside the EXPECT macros).
task<std::string> text_of(eddy::result<http::client_response>& r) {
  if (!r) co_return "<error: " + r.error().message() + ">";
  auto t = co_await r->text();
  if (!t) co_return "<error: " + t.error().message() + ">";
  co_return *t;
}

// The error of a GET (or none), for requests run with `spawn`.
task<std::error_code> get_error(http::client& c, std::string u) {
  auto r = co_await c.get(u);
  co_return r.error();
}

void add_routes(http::app& app) {
  app.get("/hello", [](http::request&) -> task<http::response> { co_return http::response::text("hello"); });
  app.get("/json", [](http::request&) -> task<http::response> {
    co_return http::response::json({{"n", 1}, {"s", "x"}});
  });
  app.get("/missing-here", [](http::request&) -> task<http::response> {
    co_return http::response::text("nope", 404);
  });
  app.get("/boom", [](http::request&) -> task<http::response> { co_return http::response::text("x", 503); });
  auto echo = [](http::request& req) -> task<http::response> {
    std::string out(req.method_name());
    out += "|" + std::string(req.header("Content-Type").value_or("-"));
    out += "|" + std::string(req.query_string());
    out += "|" + std::string(req.body());
    out += "|" + std::string(req.header("Authorization").value_or("-"));
    co_return http::response::text(out);
  };
  app.route(http::router::bit(http::method::get) | http::router::bit(http::method::post) |
                http::router::bit(http::method::put) | http::router::bit(http::method::patch) |
                http::router::bit(http::method::del),
            "/echo", echo);
  app.get("/r/<n:int>", [](http::request& req) -> task<http::response> {
    int n = req.param<int>("n");
    co_return http::response::redirect(n <= 1 ? "/hello" : "/r/" + std::to_string(n - 1), 302);
  });
  app.get("/loop", [](http::request&) -> task<http::response> { co_return http::response::redirect("/loop"); });
  app.post("/see-other", [](http::request&) -> task<http::response> {
    co_return http::response::redirect("/echo", 303);
  });
  app.post("/moved", [](http::request&) -> task<http::response> {
    co_return http::response::redirect("/echo", 301);
  });
  app.get("/slow/<n:int>", [](http::request& req) -> task<http::response> {
    co_await eddy::sleep_for(5ms);
    co_return http::response::text(std::to_string(req.param<int>("n")));
  });
  app.post("/temporary", [](http::request&) -> task<http::response> {
    co_return http::response::redirect("/echo?kept=1", 307);
  });
}

}  // namespace

TEST(Client, GetsTextJsonAndHeadersFromTheAppServer) {
  eddy::test::run_real([]() -> task<void> {
    http::app app("t");
    add_routes(app);
    local_app srv(app);
    {
      http::client c;
      auto r = co_await c.get(srv.base() + "/hello");
      EXPECT_TRUE(r) << r.error().message();
      if (r) {
        EXPECT_EQ(r->status(), 200);
        EXPECT_EQ(r->reason(), "OK");
        EXPECT_TRUE(r->headers().get("Content-Type").has_value());
        auto t = co_await r->text();
        EXPECT_TRUE(t && *t == "hello");
      }
      auto j = co_await c.get(srv.base() + "/json");
      EXPECT_TRUE(j);
      if (j) {
        auto v = co_await j->json();
        EXPECT_TRUE(v && v->find("n") && v->find("n")->as_int() == 1);
      }
      auto notjson = co_await c.get(srv.base() + "/hello");
      EXPECT_TRUE(notjson);
      if (notjson) { auto got = (co_await notjson->json()).error(); EXPECT_EQ(got, client_errc::invalid_json); }
    }
    co_await srv.stop();
  }());
}

TEST(Client, SendsBodiesJsonFormsQueriesAndEveryMethod) {
  eddy::test::run_real([]() -> task<void> {
    http::app app("t");
    add_routes(app);
    local_app srv(app);
    {
      http::client c;
      auto u = srv.base() + "/echo";
      auto a = co_await c.post(u, [] { return http::request_options{.json = http::json{{"a", 1}}, .query = {{"q", "x y"}}}; }());
      { auto got = co_await text_of(a); EXPECT_EQ(got, "POST|application/json|q=x%20y|{\"a\":1}|-"); }
      auto b = co_await c.put(u, [] { return http::request_options{.form = http::query_params{{"k", "v&w"}}}; }());
      { auto got = co_await text_of(b); EXPECT_EQ(got, "PUT|application/x-www-form-urlencoded||k=v%26w|-"); }
      auto d = co_await c.patch(u, [] { return http::request_options{.headers = {{"Content-Type", "text/plain"}}, .body = "raw"}; }());
      { auto got = co_await text_of(d); EXPECT_EQ(got, "PATCH|text/plain||raw|-"); }
      auto e = co_await c.del(u);
      { auto got = co_await text_of(e); EXPECT_EQ(got, "DELETE|-|||-"); }
      auto h = co_await c.head(srv.base() + "/hello");
      EXPECT_TRUE(h);
      if (h) {
        EXPECT_EQ(h->status(), 200);
        EXPECT_TRUE(h->body().done());
        { auto got = co_await text_of(h); EXPECT_EQ(got, ""); }
      }
      auto auth = co_await c.get("http://me:s%20cret@127.0.0.1:" + srv.base().substr(17) + "/echo");
      { auto got = co_await text_of(auth); EXPECT_EQ(got, "GET|-|||Basic bWU6cyBjcmV0"); }
      // The URL is copied when the task is made: storing it before awaiting is safe.
      auto pending = c.get(srv.base() + "/hello");
      auto stored = co_await std::move(pending);
      { auto got = co_await text_of(stored); EXPECT_EQ(got, "hello"); }
      auto bad = co_await c.get(u, [] { return http::request_options{.headers = {{"X-Evil", "a\r\nInjected: 1"}}}; }());
      EXPECT_EQ(bad.error(), client_errc::invalid_header);
      // All of that went over one keep-alive connection.
      EXPECT_EQ(c.pool().opened_total(), 1u);
    }
    co_await srv.stop();
  }());
}

TEST(Client, StatusesAreNotErrorsUntilRaiseForStatus) {
  eddy::test::run_real([]() -> task<void> {
    http::app app("t");
    add_routes(app);
    local_app srv(app);
    {
      http::client c;
      auto r = co_await c.get(srv.base() + "/missing-here");
      EXPECT_TRUE(r);
      EXPECT_EQ(r->status(), 404);
      EXPECT_FALSE(r->ok());
      EXPECT_EQ(r->raise_for_status().error(), client_errc::client_error_status);
      { auto got = co_await text_of(r); EXPECT_EQ(got, "nope"); }
      auto s = co_await c.get(srv.base() + "/boom");
      EXPECT_EQ(s->raise_for_status().error(), client_errc::server_error_status);
      auto ok = co_await c.get(srv.base() + "/hello");
      EXPECT_TRUE(ok->raise_for_status());
    }
    co_await srv.stop();
  }());
}

TEST(Client, RejectsBadUrlsAndSchemes) {
  eddy::test::run_real([]() -> task<void> {
    http::client c;
    { auto got = (co_await c.get("not a url")).error(); EXPECT_EQ(got, client_errc::invalid_url); }
    { auto got = (co_await c.get("ftp://127.0.0.1/")).error(); EXPECT_EQ(got, client_errc::unsupported_scheme); }
    { auto got = (co_await c.get("http://[::1/")).error(); EXPECT_EQ(got, client_errc::invalid_url); }
  }());
}

TEST(Client, ReportsARefusedConnection) {
  eddy::test::run_real([]() -> task<void> {
    std::uint16_t port;
    {
      eddy::tcp_listener l(eddy::address::parse("127.0.0.1", 0).value());
      port = l.local_address().port();
    }
    http::client c;
    auto r = co_await c.get("http://127.0.0.1:" + std::to_string(port) + "/");
    EXPECT_EQ(r.error(), std::errc::connection_refused);
    EXPECT_EQ(c.pool().open(), 0u);
  }());
}

TEST(Client, FollowsRedirectChainsWithHistory) {
  eddy::test::run_real([]() -> task<void> {
    http::app app("t");
    add_routes(app);
    local_app srv(app);
    {
      http::client c;
      auto r = co_await c.get(srv.base() + "/r/3");
      EXPECT_TRUE(r);
      EXPECT_EQ(r->status(), 200);
      EXPECT_EQ(r->url().path(), "/hello");
      EXPECT_EQ(r->history().size(), 3u);
      if (r->history().size() == 3) {
        EXPECT_EQ(r->history()[0].url.path(), "/r/3");
        EXPECT_EQ(r->history()[2].status, 302);
      }
      { auto got = co_await text_of(r); EXPECT_EQ(got, "hello"); }
      auto none = co_await c.get(srv.base() + "/r/3", [] { return http::request_options{.max_redirects = 0}; }());
      EXPECT_EQ(none->status(), 302);
      auto few = co_await c.get(srv.base() + "/r/3", [] { return http::request_options{.max_redirects = 2}; }());
      EXPECT_EQ(few.error(), client_errc::too_many_redirects);
      auto loop = co_await c.get(srv.base() + "/loop");
      EXPECT_EQ(loop.error(), client_errc::too_many_redirects);
      // 303 turns POST into GET without the body; 307 keeps both.
      auto see = co_await c.post(srv.base() + "/see-other", [] { return http::request_options{.body = "payload"}; }());
      { auto got = co_await text_of(see); EXPECT_EQ(got, "GET|-|||-"); }
      auto moved = co_await c.post(srv.base() + "/moved", [] { return http::request_options{.body = "payload"}; }());
      { auto got = co_await text_of(moved); EXPECT_EQ(got, "GET|-|||-"); }
      auto tmp = co_await c.post(srv.base() + "/temporary", [] { return http::request_options{.body = "payload"}; }());
      { auto got = co_await text_of(tmp); EXPECT_EQ(got, "POST|application/octet-stream|kept=1|payload|-"); }
      EXPECT_EQ(c.pool().opened_total(), 1u);
    }
    co_await srv.stop();
  }());
}

TEST(Client, DropsAuthorizationWhenARedirectLeavesTheOrigin) {
  eddy::test::run_real([]() -> task<void> {
    http::app target("target");
    add_routes(target);
    local_app other(target);
    http::app origin("origin");
    static std::string where;
    where = other.base() + "/echo";
    origin.get("/away", [](http::request&) -> task<http::response> {
      co_return http::response::redirect(where, 307);
    });
    origin.get("/echo", [](http::request& req) -> task<http::response> {
      co_return http::response::text(std::string(req.header("Authorization").value_or("-")));
    });
    origin.get("/here", [](http::request&) -> task<http::response> { co_return http::response::redirect("/echo"); });
    local_app first(origin);
    {
      http::client c;
      auto same = co_await c.get(first.base() + "/here", [] { return http::request_options{.headers = {{"Authorization", "Bearer t"}}}; }());
      { auto got = co_await text_of(same); EXPECT_EQ(got, "Bearer t"); }
      auto away = co_await c.get(first.base() + "/away", [] { return http::request_options{.headers = {{"Authorization", "Bearer t"}}}; }());
      { auto got = co_await text_of(away); EXPECT_EQ(got, "GET|-|||-"); }
    }
    co_await first.stop();
    co_await other.stop();
  }());
}

TEST(Client, ReadsChunkedAndCloseDelimitedBodies) {
  eddy::test::run_real([]() -> task<void> {
    raw_server srv([](tcp_stream s, int) -> task<void> {
      for (;;) {
        auto req = co_await read_request(s);
        if (req.empty()) co_return;
        if (req.starts_with("GET /chunked")) {
          co_await send(s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
          co_await eddy::sleep_for(10ms);
          co_await send(s, "6\r\n world\r\n0\r\n\r\n");
        } else {
          co_await send(s, "HTTP/1.0 200 OK\r\n\r\nuntil the end");
          s.close();  // closing ends the body
          co_return;
        }
      }
    });
    {
      http::client c;
      auto a = co_await c.get(srv.base() + "/chunked");
      { auto got = co_await text_of(a); EXPECT_EQ(got, "hello world"); }
      auto b = co_await c.get(srv.base() + "/chunked");
      { auto got = co_await text_of(b); EXPECT_EQ(got, "hello world"); }
      EXPECT_EQ(c.pool().opened_total(), 1u);
      auto d = co_await c.get(srv.base() + "/close");
      { auto got = co_await text_of(d); EXPECT_EQ(got, "until the end"); }
      EXPECT_EQ(c.pool().open(), 0u);  // the kept-alive connection ended with that body
    }
    co_await srv.stop();
  }());
}

TEST(Client, ReportsABodyCutShortAndCapsBufferedBodies) {
  eddy::test::run_real([]() -> task<void> {
    raw_server srv([](tcp_stream s, int) -> task<void> {
      auto req = co_await read_request(s);
      if (req.starts_with("GET /short"))
        co_await send(s, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
      else
        co_await send(s, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x'));
      s.close();
    });
    {
      http::client c({.max_body_bytes = 50});
      auto a = co_await c.get(srv.base() + "/short");
      { auto got = (co_await a->text()).error(); EXPECT_EQ(got, eddy::errc::unexpected_eof); }
      auto b = co_await c.get(srv.base() + "/big");
      { auto got = (co_await b->text()).error(); EXPECT_EQ(got, client_errc::body_too_large); }
      EXPECT_EQ(c.pool().open(), 0u);
    }
    co_await srv.stop();
  }());
}

TEST(Client, StreamsABigDownloadInBoundedChunks) {
  eddy::test::run_real([]() -> task<void> {
    raw_server srv([](tcp_stream s, int) -> task<void> {
      co_await read_request(s);
      constexpr std::size_t total = 64u << 20;
      co_await send(s, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(total) + "\r\n\r\n");
      std::string block(256 * 1024, 'z');
      for (std::size_t sent = 0; sent < total; sent += block.size())
        if (!co_await send(s, block)) co_return;
      co_await read_request(s);
    });
    {
      http::client c({.max_body_bytes = 1024});  // the cap applies to buffered reads only
      auto r = co_await c.get(srv.base() + "/big");
      EXPECT_TRUE(r);
      std::size_t got = 0, biggest = 0;
      http::body_chunk ch;
      while ((ch = co_await r->body().next())) {
        got += ch.bytes.size();
        biggest = std::max(biggest, ch.bytes.size());
      }
      EXPECT_FALSE(ch.error) << ch.error.message();
      EXPECT_EQ(got, 64u << 20);
      // Every chunk is a view of the connection's fixed read buffer: memory stays constant.
      EXPECT_LE(biggest, 16u * 1024);
      EXPECT_EQ(c.pool().idle(), 1u);
    }
    co_await srv.stop();
  }());
}

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

task<void> never_answer(tcp_stream s, int) {
  co_await read_request(s);
  co_await eddy::sleep_for(1h);
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
      EXPECT_TRUE(r);
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
