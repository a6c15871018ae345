// SPDX-License-Identifier: MIT
// Proxy selection (NO_PROXY rules, the environment) and the client through a small proxy
// written here: absolute-form requests for http, a CONNECT tunnel for https.
#include "eddy/http/proxy_settings.hpp"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "client_test_support.hpp"
#include "eddy/http/client.hpp"
#include "support/test_certs.hpp"
#include "support/test_loop.hpp"

using eddy::task;
using eddy::tcp_stream;
using eddy::test::local_app;
using eddy::test::raw_server;
using eddy::test::send;
using eddy::test::text_of;
namespace http = eddy::http;

namespace {

http::url u(std::string_view s) { return http::url::parse(s).value(); }

// What the proxy saw: the request line (or CONNECT line) and Proxy-Authorization of each.
std::vector<std::string> seen_lines;
std::vector<std::string> seen_auth;
bool refuse_connect = false;

task<void> pump(tcp_stream& from, tcp_stream& to) {
  char buf[16 * 1024];
  for (;;) {
    auto n = co_await from.read_some(buf);
    if (!n || *n == 0) break;
    if (!co_await send(to, std::string_view(buf, *n))) break;
  }
  (void)to.shutdown_write();
}

// A minimal forward proxy: CONNECT opens a tunnel; an absolute-form request is forwarded in
// origin form on a new connection per client connection (enough for these tests).
task<void> proxy(tcp_stream s, int) {
  std::string in;
  char buf[4096];
  while (in.find("\r\n\r\n") == std::string::npos) {
    auto n = co_await s.read_some(buf);
    if (!n || *n == 0) co_return;
    in.append(buf, *n);
  }
  std::string line = in.substr(0, in.find("\r\n"));
  seen_lines.push_back(line);
  auto pa = in.find("Proxy-Authorization: ");
  seen_auth.push_back(pa == std::string::npos ? "-" : in.substr(pa + 21, in.find("\r\n", pa) - pa - 21));
  std::string target;  // host:port
  if (line.rfind("CONNECT ", 0) == 0) {
    if (refuse_connect) {
      co_await send(s, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
      co_return;
    }
    target = line.substr(8, line.find(' ', 8) - 8);
  } else {
    auto start = line.find("http://");
    if (start == std::string::npos) co_return;
    auto host_end = line.find('/', start + 7);
    target = line.substr(start + 7, host_end - start - 7);
    // Origin form for the server; the proxy's own header is not forwarded.
    in = line.substr(0, start) + line.substr(host_end) + in.substr(in.find("\r\n"));
    if (pa != std::string::npos) {
      auto a = in.find("Proxy-Authorization: ");
      in.erase(a, in.find("\r\n", a) + 2 - a);
    }
  }
  auto colon = target.rfind(':');
  auto up = co_await tcp_stream::connect(target.substr(0, colon),
                                         static_cast<std::uint16_t>(std::stoi(target.substr(colon + 1))));
  if (!up) co_return;
  if (line.rfind("CONNECT ", 0) == 0) {
    co_await send(s, "HTTP/1.1 200 Connection established\r\n\r\n");
  } else {
    co_await send(*up, in);
  }
  auto back = eddy::spawn(pump(*up, s));
  co_await pump(s, *up);
  co_await back;
}

void add_routes(http::app& app) {
  app.get("/where", [](http::request& req) -> task<http::response> {
    co_return http::response::text(std::string(req.target()) + " " +
                                   std::string(req.header("Proxy-Authorization").value_or("-")));
  });
}

}  // namespace

TEST(ProxySettings, PicksTheProxyBySchemeAndHonoursNoProxy) {
  http::proxy_settings p{.http = "http://proxy.test:3128", .https = "proxy.test:8443",
                         .no_proxy = "internal.test, .corp.test,10.1.2.3, api.test:8080"};
  EXPECT_EQ(p.proxy_for(u("http://example.com/"))->str(), "http://proxy.test:3128/");
  EXPECT_EQ(p.proxy_for(u("https://example.com/"))->port(), 8443);
  EXPECT_FALSE(p.proxy_for(u("http://internal.test/")));
  EXPECT_FALSE(p.proxy_for(u("http://a.internal.test/")));
  EXPECT_FALSE(p.proxy_for(u("http://x.corp.test/")));
  EXPECT_FALSE(p.proxy_for(u("http://10.1.2.3/")));
  EXPECT_FALSE(p.proxy_for(u("http://api.test:8080/")));
  EXPECT_TRUE(p.proxy_for(u("http://api.test:8081/")));
  EXPECT_TRUE(p.proxy_for(u("http://notinternal.test/")));
  http::proxy_settings all{.http = "http://p:1", .no_proxy = "*"};
  EXPECT_FALSE(all.proxy_for(u("http://example.com/")));
  http::proxy_settings none;
  EXPECT_FALSE(none.proxy_for(u("http://example.com/")));
  EXPECT_FALSE(none.proxy_for(u("https://example.com/")));
}

TEST(ProxySettings, ReadsTheEnvironmentLikeCurl) {
  ::setenv("http_proxy", "http://envproxy:1", 1);
  ::setenv("HTTP_PROXY", "http://ignored:2", 1);
  ::setenv("HTTPS_PROXY", "http://secure:3", 1);
  ::setenv("NO_PROXY", "skip.test", 1);
  auto p = http::proxy_settings::from_environment();
  ::unsetenv("http_proxy");
  ::unsetenv("HTTP_PROXY");
  ::unsetenv("HTTPS_PROXY");
  ::unsetenv("NO_PROXY");
  EXPECT_EQ(p.http, "http://envproxy:1");
  EXPECT_EQ(p.https, "http://secure:3");
  EXPECT_EQ(p.no_proxy, "skip.test");
}

TEST(ProxySettings, AClientRejectsAnUnusableProxyUrl) {
  EXPECT_THROW(http::client({.proxy = {.http = "https://tls-proxy.test"}}), std::invalid_argument);
  EXPECT_THROW(http::client({.proxy = {.https = "http://[bad"}}), std::invalid_argument);
}

TEST(ProxySettings, PlainHttpGoesToTheProxyInAbsoluteFormWithItsCredentials) {
  seen_lines.clear();
  seen_auth.clear();
  eddy::test::run_real([]() -> task<void> {
    http::app app("t");
    add_routes(app);
    local_app origin(app);
    raw_server px(proxy);
    {
      http::client c({.proxy = {.http = "http://user:s%40cret@127.0.0.1:" + px.base().substr(px.base().rfind(':') + 1)}});
      auto r = co_await c.get(origin.base() + "/where?x=1");
      std::string got = co_await text_of(r);
      // The origin saw origin form and no proxy credentials.
      EXPECT_EQ(got, "/where?x=1 -");
    }
    co_await px.stop();
    co_await origin.stop();
  }());
  ASSERT_EQ(seen_lines.size(), 1u);
  EXPECT_EQ(seen_lines[0].substr(0, 11), "GET http://");
  EXPECT_NE(seen_lines[0].find("/where?x=1 HTTP/1.1"), std::string::npos);
  EXPECT_EQ(seen_auth[0], "Basic dXNlcjpzQGNyZXQ=");  // user:s@cret
}

TEST(ProxySettings, HttpsTunnelsThroughConnectAndVerifiesTheOrigin) {
  seen_lines.clear();
  seen_auth.clear();
  refuse_connect = false;
  eddy::test::test_pki pki;
  auto cert = pki.issue("server");
  std::string ca = pki.ca().cert;
  eddy::test::run_real([&]() -> task<void> {
    http::app app("t");
    add_routes(app);
    local_app origin(app, {.tls_cert = cert.cert, .tls_key = cert.key});
    raw_server px(proxy);
    std::string base = "https" + origin.base().substr(4);
    {
      http::client c({.tls = {.ca_file = ca}, .proxy = {.https = "http://tunnel:pw@" + px.base().substr(7)}});
      for (int i = 0; i < 3; ++i) {
        auto r = co_await c.get(base + "/where");
        std::string got = co_await text_of(r);
        EXPECT_EQ(got, "/where -");
      }
      // One tunnel, reused for keep-alive requests.
      EXPECT_EQ(px.accepted(), 1);
      refuse_connect = true;
      c.close_idle();
      auto refused = co_await c.get(base + "/where");
      EXPECT_EQ(refused.error(), http::client_errc::proxy_error);
    }
    co_await px.stop();
    co_await origin.stop();
  }());
  ASSERT_GE(seen_lines.size(), 1u);
  EXPECT_EQ(seen_lines[0].substr(0, 8), "CONNECT ");
  EXPECT_NE(seen_lines[0].find("127.0.0.1:"), std::string::npos);
  EXPECT_EQ(seen_auth[0], "Basic dHVubmVsOnB3");  // tunnel:pw
}

TEST(ProxySettings, NoProxyHostsAreReachedDirectly) {
  seen_lines.clear();
  eddy::test::run_real([]() -> task<void> {
    http::app app("t");
    add_routes(app);
    local_app origin(app);
    {
      // The proxy port is closed: going through it would fail.
      http::client c({.proxy = {.http = "http://127.0.0.1:1", .no_proxy = "127.0.0.1"}});
      auto r = co_await c.get(origin.base() + "/where");
      std::string got = co_await text_of(r);
      EXPECT_EQ(got, "/where -");
    }
    co_await origin.stop();
  }());
  EXPECT_TRUE(seen_lines.empty());
}
