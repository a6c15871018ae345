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

TEST(ByteScan, CrLfMasksFlagExactlyTheCrsAndLfsOfTheGivenBytes) {
  // Every length up to 64, every position, every byte value: one bit where the byte is a CR
  // (an LF), none elsewhere, none past the length (the bytes after it in memory are CRs).
  std::string memory(128, '\r');
  for (std::size_t n = 1; n <= 64; ++n) {
    for (std::size_t at = 0; at < n; ++at) {
      for (int b = 0; b < 256; ++b) {
        std::string bytes(n, 'x');
        bytes[at] = static_cast<char>(b);
        memory.replace(0, n, bytes);
        std::uint64_t cr = 7;
        std::uint64_t lf = 7;
        crlf_masks(memory.data(), n, cr, lf);
        const std::uint64_t bit = std::uint64_t{1} << at;
        ASSERT_EQ(cr, b == '\r' ? bit : 0) << n << " " << at << " " << b;
        ASSERT_EQ(lf, b == '\n' ? bit : 0) << n << " " << at << " " << b;
      }
    }
  }
  // Several of each, in a full block.
  std::string block(64, 'a');
  block[0] = '\r';
  block[1] = '\n';
  block[62] = '\r';
  block[63] = '\n';
  std::uint64_t cr = 0;
  std::uint64_t lf = 0;
  crlf_masks(block.data(), 64, cr, lf);
  EXPECT_EQ(cr, (std::uint64_t{1} << 62) | 1);
  EXPECT_EQ(lf, (std::uint64_t{1} << 63) | 2);
}
