// SPDX-License-Identifier: MIT
#include "eddy/http/cookie_jar.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "client_test_support.hpp"
#include "support/test_loop.hpp"

using namespace std::chrono_literals;
using eddy::task;
using eddy::test::local_app;
using eddy::test::text_of;
namespace http = eddy::http;
using http::cookie_jar;

namespace {

http::url u(std::string_view s) { return http::url::parse(s).value(); }

// A fixed "now" (2026-01-01T00:00:00Z): the jar is tested against a manual clock.
const cookie_jar::clock::time_point t0 = cookie_jar::clock::time_point(std::chrono::seconds(1767225600));

}  // namespace

TEST(CookieJar, SendsAHostOnlyCookieBackToThatHostOnly) {
  cookie_jar jar;
  EXPECT_TRUE(jar.store(u("http://example.com/a/b"), "id=42", t0));
  EXPECT_EQ(jar.header_for(u("http://example.com/a/c"), t0), "id=42");
  EXPECT_EQ(jar.header_for(u("http://www.example.com/a/c"), t0), "");
  EXPECT_EQ(jar.header_for(u("http://other.com/a/c"), t0), "");
  ASSERT_EQ(jar.size(), 1u);
  EXPECT_TRUE(jar.cookies()[0].host_only);
}

TEST(CookieJar, ADomainCookieReachesSubdomainsButNotLookalikes) {
  cookie_jar jar;
  EXPECT_TRUE(jar.store(u("http://www.example.com/"), "d=1; Domain=.Example.com", t0));
  EXPECT_EQ(jar.header_for(u("http://example.com/"), t0), "d=1");
  EXPECT_EQ(jar.header_for(u("http://a.b.example.com/"), t0), "d=1");
  EXPECT_EQ(jar.header_for(u("http://badexample.com/"), t0), "");
  EXPECT_FALSE(jar.cookies()[0].host_only);
}

TEST(CookieJar, RejectsForeignDomainsOneLabelDomainsAndIpSuffixes) {
  cookie_jar jar;
  EXPECT_FALSE(jar.store(u("http://example.com/"), "a=1; Domain=other.com", t0));
  EXPECT_FALSE(jar.store(u("http://www.example.com/"), "a=1; Domain=com", t0));
  EXPECT_FALSE(jar.store(u("http://10.0.0.1/"), "a=1; Domain=0.0.1", t0));
  EXPECT_TRUE(jar.store(u("http://10.0.0.1/"), "a=1; Domain=10.0.0.1", t0));
  EXPECT_TRUE(jar.store(u("http://localhost/"), "b=2; Domain=localhost", t0));
  EXPECT_EQ(jar.size(), 2u);
  EXPECT_FALSE(jar.store(u("http://example.com/"), "novalue", t0));
  EXPECT_FALSE(jar.store(u("http://example.com/"), "=x", t0));
}

TEST(CookieJar, PathDefaultsToTheDirectoryAndMatchesOnSegments) {
  cookie_jar jar;
  jar.store(u("http://h.test/docs/page.html"), "dir=1", t0);
  jar.store(u("http://h.test/"), "root=1; Path=/", t0);
  jar.store(u("http://h.test/"), "api=1; Path=/api", t0);
  EXPECT_EQ(jar.header_for(u("http://h.test/docs/other"), t0), "dir=1; root=1");
  EXPECT_EQ(jar.header_for(u("http://h.test/docs"), t0), "dir=1; root=1");
  EXPECT_EQ(jar.header_for(u("http://h.test/api/v1"), t0), "api=1; root=1");
  EXPECT_EQ(jar.header_for(u("http://h.test/apix"), t0), "root=1");
}

TEST(CookieJar, SecureCookiesTravelOverHttpsOnlyAndComeFromHttpsOnly) {
  cookie_jar jar;
  EXPECT_FALSE(jar.store(u("http://h.test/"), "s=1; Secure", t0));
  EXPECT_TRUE(jar.store(u("https://h.test/"), "s=1; Secure; HttpOnly", t0));
  EXPECT_EQ(jar.header_for(u("http://h.test/"), t0), "");
  EXPECT_EQ(jar.header_for(u("https://h.test/"), t0), "s=1");
  EXPECT_TRUE(jar.cookies()[0].http_only);
  EXPECT_TRUE(jar.cookies()[0].secure);
}

TEST(CookieJar, ExpiresByMaxAgeOrDateAndMaxAgeWins) {
  cookie_jar jar;
  jar.store(u("http://h.test/"), "short=1; Max-Age=60", t0);
  jar.store(u("http://h.test/"), "dated=1; Expires=Fri, 02 Jan 2026 00:00:00 GMT", t0);
  jar.store(u("http://h.test/"), "both=1; Expires=Fri, 02 Jan 2026 00:00:00 GMT; Max-Age=10", t0);
  jar.store(u("http://h.test/"), "session=1", t0);
  EXPECT_EQ(jar.header_for(u("http://h.test/"), t0), "short=1; dated=1; both=1; session=1");
  EXPECT_EQ(jar.header_for(u("http://h.test/"), t0 + 30s), "short=1; dated=1; session=1");
  EXPECT_EQ(jar.header_for(u("http://h.test/"), t0 + 2h), "dated=1; session=1");
  EXPECT_EQ(jar.header_for(u("http://h.test/"), t0 + 48h), "session=1");
  EXPECT_EQ(jar.size(), 1u);
}

TEST(CookieJar, APastExpiryOrZeroMaxAgeDeletesAndASameNameCookieReplaces) {
  cookie_jar jar;
  jar.store(u("http://h.test/"), "a=1", t0);
  jar.store(u("http://h.test/"), "b=1", t0);
  jar.store(u("http://h.test/"), "a=2", t0);
  EXPECT_EQ(jar.header_for(u("http://h.test/"), t0), "a=2; b=1");  // a keeps its creation order
  jar.store(u("http://h.test/"), "a=gone; Max-Age=0", t0);
  jar.store(u("http://h.test/"), "b=gone; Expires=Thu, 01 Jan 1970 00:00:00 GMT", t0);
  EXPECT_EQ(jar.header_for(u("http://h.test/"), t0), "");
  EXPECT_EQ(jar.size(), 0u);
}

TEST(CookieJar, ParsesTheDateFormatsServersSend) {
  auto expect = cookie_jar::clock::time_point(std::chrono::seconds(784111777));  // 1994-11-06 08:49:37
  EXPECT_EQ(http::parse_cookie_date("Sun, 06 Nov 1994 08:49:37 GMT"), expect);
  EXPECT_EQ(http::parse_cookie_date("Sunday, 06-Nov-94 08:49:37 GMT"), expect);
  EXPECT_EQ(http::parse_cookie_date("Sun Nov  6 08:49:37 1994"), expect);
  EXPECT_FALSE(http::parse_cookie_date("not a date"));
  EXPECT_FALSE(http::parse_cookie_date("Sun, 31 Feb 1994 08:49:37 GMT"));
  EXPECT_FALSE(http::parse_cookie_date("Sun, 06 Nov 1994 25:49:37 GMT"));
}

TEST(CookieJar, TheClientKeepsCookiesFromRedirectHopsAndSendsThemBack) {
  eddy::test::run_real([]() -> task<void> {
    http::app app("t");
    app.get("/login", [](http::request&) -> task<http::response> {
      auto r = http::response::redirect("/home", 302);
      r.header("Set-Cookie", "session=abc; Path=/; HttpOnly");
      co_return r;
    });
    app.get("/home", [](http::request& req) -> task<http::response> {
      auto r = http::response::text(std::string(req.header("Cookie").value_or("-")));
      r.header("Set-Cookie", "seen=1");
      co_return r;
    });
    local_app srv(app);
    {
      http::client with({.cookies = true});
      auto r = co_await with.get(srv.base() + "/login");
      std::string first = co_await text_of(r);
      EXPECT_EQ(first, "session=abc");
      auto again = co_await with.get(srv.base() + "/home");
      std::string second = co_await text_of(again);
      EXPECT_EQ(second, "session=abc; seen=1");
      EXPECT_EQ(with.cookies().size(), 2u);
      // Off by default: nothing stored, nothing sent.
      http::client without;
      auto plain = co_await without.get(srv.base() + "/login");
      std::string none = co_await text_of(plain);
      EXPECT_EQ(none, "-");
      EXPECT_EQ(without.cookies().size(), 0u);
    }
    co_await srv.stop();
  }());
}
