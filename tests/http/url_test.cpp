// SPDX-License-Identifier: MIT
#include "eddy/http/url.hpp"

#include <gtest/gtest.h>

using eddy::http::url;

TEST(Url, ParsesEveryComponentAndNormalizesCase) {
  auto u = url::parse("HTTP://user:pw@Example.COM:8080/a/b?x=1&y=2#frag");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme(), "http");
  EXPECT_EQ(u->userinfo(), "user:pw");
  EXPECT_EQ(u->host(), "example.com");
  EXPECT_EQ(u->port(), 8080);
  EXPECT_EQ(u->path(), "/a/b");
  EXPECT_EQ(u->query(), "x=1&y=2");
  EXPECT_EQ(u->fragment(), "frag");
  EXPECT_EQ(u->target(), "/a/b?x=1&y=2");
  EXPECT_EQ(u->authority(), "example.com:8080");
  EXPECT_EQ(u->str(), "http://example.com:8080/a/b?x=1&y=2");
}

TEST(Url, UsesTheSchemesDefaultPortAndRootPath) {
  auto a = url::parse("https://example.com");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->port(), 443);
  EXPECT_EQ(a->path(), "/");
  EXPECT_EQ(a->authority(), "example.com");
  auto b = url::parse("http://example.com:80/");
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->default_port());
  EXPECT_EQ(b->str(), "http://example.com/");
}

TEST(Url, KeepsIpv6LiteralsInBrackets) {
  auto u = url::parse("http://[::1]:8000/x");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host(), "[::1]");
  EXPECT_EQ(u->hostname(), "::1");
  EXPECT_EQ(u->port(), 8000);
  EXPECT_EQ(u->authority(), "[::1]:8000");
  EXPECT_FALSE(url::parse("http://[::1/x"));
  EXPECT_FALSE(url::parse("http://[zz::1]/"));
  EXPECT_FALSE(url::parse("http://[::1]x/"));
}

TEST(Url, PercentEncodesUnsafeCharactersButKeepsEscapes) {
  auto u = url::parse("http://h/a b/%41%zz/\xc3\xa9?q=a b&r=\"<>\"");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->path(), "/a%20b/%41%25zz/%C3%A9");
  EXPECT_EQ(u->query(), "q=a%20b&r=%22%3C%3E%22");
}

TEST(Url, RemovesDotSegments) {
  auto u = url::parse("http://h/a/./b/../../../c");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->path(), "/c");
}

TEST(Url, RejectsMalformedInput) {
  for (const char* bad : {"", "example.com/x", "http:/x", "http://", "http://:80/", "http://h:0/",
                          "http://h:65536/", "http://h:8x/", "http://h h/", "1http://h/",
                          "http://h\r\n/"}) {
    EXPECT_FALSE(url::parse(bad)) << bad;
  }
}

TEST(Url, ResolvesReferencesLikeABrowser) {
  auto base = url::parse("http://h:81/a/b/c?q=1");
  ASSERT_TRUE(base);
  EXPECT_EQ(base->resolve("d")->str(), "http://h:81/a/b/d");
  EXPECT_EQ(base->resolve("../d?x")->str(), "http://h:81/a/d?x");
  EXPECT_EQ(base->resolve("/z")->str(), "http://h:81/z");
  EXPECT_EQ(base->resolve("?n=2")->str(), "http://h:81/a/b/c?n=2");
  EXPECT_EQ(base->resolve("//other/p")->str(), "http://other/p");
  EXPECT_EQ(base->resolve("https://x.org/")->str(), "https://x.org/");
}

TEST(Url, BuildsQueryParameters) {
  auto u = url::parse("http://h/s?a=1");
  ASSERT_TRUE(u);
  u->add_query({{"q", "cats & dogs"}, {"page", "2"}, {"k/e=y", ""}});
  EXPECT_EQ(u->query(), "a=1&q=cats%20%26%20dogs&page=2&k%2Fe%3Dy=");
  EXPECT_EQ(eddy::http::encode_query({{"x", "é"}}), "x=%C3%A9");
}
