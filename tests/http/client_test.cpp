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
using eddy::test::add_routes;
using eddy::test::get_error;
using eddy::test::text_of;
namespace http = eddy::http;
using http::client_errc;

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
