// SPDX-License-Identifier: MIT
#include "eddy/http/url_codec.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>

using namespace eddy::http;

namespace {
std::string normalized(std::string_view raw) {
  std::string out;
  return normalize_path(raw, out) ? out : std::string("<rejected>");
}
}  // namespace

TEST(UrlCodec, PlainPathsPassThrough) {
  EXPECT_EQ(normalized("/"), "/");
  EXPECT_EQ(normalized("/users/42"), "/users/42");
  EXPECT_EQ(normalized("/a//b/"), "/a//b/");
  EXPECT_EQ(normalized("/file.tar.gz"), "/file.tar.gz");
}

TEST(UrlCodec, DecodesAndResolvesDotSegmentsNeverAboveTheRoot) {
  EXPECT_EQ(normalized("/a/%62/c"), "/a/b/c");
  EXPECT_EQ(normalized("/a/./b"), "/a/b");
  EXPECT_EQ(normalized("/a/../b"), "/b");
  EXPECT_EQ(normalized("/../../etc/passwd"), "/etc/passwd");
  EXPECT_EQ(normalized("/%2e%2e/%2e%2e/etc"), "/etc");
  EXPECT_EQ(normalized("/a/.hidden"), "/a/.hidden");
}

TEST(UrlCodec, RejectsWhatWouldChangeThePathsStructure) {
  EXPECT_EQ(normalized("relative"), "<rejected>");
  EXPECT_EQ(normalized(""), "<rejected>");
  EXPECT_EQ(normalized("/a%2Fb"), "<rejected>");   // encoded slash
  EXPECT_EQ(normalized("/a%5Cb"), "<rejected>");   // encoded backslash
  EXPECT_EQ(normalized("/a\\b"), "<rejected>");    // backslash
  EXPECT_EQ(normalized("/a%00b"), "<rejected>");   // NUL
  EXPECT_EQ(normalized("/a%zz"), "<rejected>");    // bad escape
  EXPECT_EQ(normalized("/a%4"), "<rejected>");     // truncated escape
}

TEST(UrlCodec, PercentDecodingOfQueryValues) {
  std::string out;
  EXPECT_TRUE(percent_decode("a+b%21", out, true));
  EXPECT_EQ(out, "a b!");
  EXPECT_TRUE(percent_decode("a+b", out, false));
  EXPECT_EQ(out, "a+b");
  std::string enc;
  percent_encode("a b/c~", enc);
  EXPECT_EQ(enc, "a%20b%2Fc~");
}

// Found by fuzzing: the fast path for paths with nothing to decode let a raw NUL through.
TEST(UrlCodec, RejectsARawNulAsItRejectsAnEncodedOne) {
  EXPECT_EQ(normalized(std::string_view("/a\0b", 4)), "<rejected>");
  EXPECT_EQ(normalized(std::string_view("/\0", 2)), "<rejected>");
  EXPECT_EQ(normalized("/a%00b"), "<rejected>");
}

TEST(UrlCodec, TheShapeOfATargetMatchesItsPartsFoundOneAtATime) {
  for (std::string_view t :
       {"/", "/plaintext", "/json", "/a/b/c/d/e/f/g/h/i", "/users/42", "/static/hello.txt", "/a?b=c", "/a?b=c?d",
        "/?", "/a#f", "/a?b#f", "/%41", "/a/../b", "/a/./b", "/.hidden", "/a\\b", "/a?x=%2e%2e/..", "*",
        "http://example.com/a?b", "", "/abcdefgh?", "/abcdefg#", "/abcdefghijklmno.", "/abcdefghijklmnop\\"}) {
    const target_shape s = shape_of_target(t);
    const std::size_t q = std::min(t.find('?'), t.size());
    EXPECT_EQ(s.query_at, q) << t;
    EXPECT_EQ(s.fragment, t.find('#') != std::string_view::npos) << t;
    EXPECT_EQ(s.normal_path, is_normal_path(t.substr(0, q))) << t;
  }
}
