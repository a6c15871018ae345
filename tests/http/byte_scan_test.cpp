// SPDX-License-Identifier: MIT
#include "eddy/http/detail/byte_scan.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

using namespace eddy::http::detail;

TEST(ByteScan, AnyByteBelowIsExactForEveryByteAndPosition) {
  for (unsigned n : {1u, 14u, 47u, 128u}) {
    for (unsigned b = 0; b < 256; ++b) {
      for (int pos = 0; pos < 8; ++pos) {
        std::uint64_t w = 0xc8c8c8c8c8c8c8c8ull;  // a byte above every n tried
        w &= ~(0xffull << (8 * pos));
        w |= static_cast<std::uint64_t>(b) << (8 * pos);
        ASSERT_EQ(any_byte_below(w, n), b < n) << "n=" << n << " b=" << b << " pos=" << pos;
      }
    }
  }
}

TEST(ByteScan, AnyByteIsFindsOnlyThatByte) {
  for (unsigned b = 0; b < 256; ++b) {
    std::uint64_t w = 0x5c5c5c5c5c5c5c5cull & ~0xff00ull;
    w |= static_cast<std::uint64_t>(b) << 8;
    EXPECT_TRUE(any_byte_is(w, '\\'));
    std::uint64_t v = 0x6161616161616161ull & ~0xff0000ull;
    v |= static_cast<std::uint64_t>(b) << 16;
    EXPECT_EQ(any_byte_is(v, '\\'), b == '\\') << b;
  }
}

TEST(ByteScan, LineBreaksAndNulAreFoundAtEveryOffsetOfEveryLength) {
  for (std::size_t len = 0; len <= 20; ++len) {
    const std::string clean(len, 'x');
    EXPECT_FALSE(has_line_break_or_nul(clean)) << len;
    for (std::size_t at = 0; at < len; ++at) {
      for (char bad : {'\r', '\n', '\0'}) {
        std::string s = clean;
        s[at] = bad;
        EXPECT_TRUE(has_line_break_or_nul(s)) << len << " " << at << " " << int(bad);
      }
      // Other control bytes (a tab, say) pass the word test but are not line breaks.
      std::string tab = clean;
      tab[at] = '\t';
      EXPECT_FALSE(has_line_break_or_nul(tab)) << len << " " << at;
    }
  }
  // A view into a longer string: the bytes past its end are not looked at.
  const std::string text = "value\r\n";
  EXPECT_FALSE(has_line_break_or_nul(std::string_view(text).substr(0, 5)));
}

TEST(ByteScan, FirstByteBelowFindsTheFirstEvenWithMoreBehindIt) {
  for (int first = 0; first <= 8; ++first) {
    char bytes[8];
    for (int i = 0; i < 8; ++i) bytes[i] = i < first ? 'x' : (i % 2 ? '\n' : '\r');
    std::uint64_t w;
    std::memcpy(&w, bytes, 8);
    EXPECT_EQ(first_byte_below(w, 14), static_cast<unsigned>(first));
  }
  // Bytes at 128 and above are not below 14, and a borrow from them does not flag others.
  const char high[8] = {'\xff', '\x80', '\x0e', '\x0d', 'a', 'b', 'c', 'd'};
  std::uint64_t w;
  std::memcpy(&w, high, 8);
  EXPECT_EQ(first_byte_below(w, 14), 3u);
}
