// SPDX-License-Identifier: MIT
#include "eddy/http/detail/byte_scan.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cstring>
#include <string>
#include <string_view>

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

namespace {
// The one-byte reference for iequals_lower: a letter of `lower` matches either case.
bool iequals_reference(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char y = lower[i];
    const char x = y >= 'a' && y <= 'z' ? static_cast<char>(a[i] | 0x20) : a[i];
    if (x != y) return false;
  }
  return true;
}
}  // namespace

TEST(ByteScan, LowercaseLetterBitsMarkExactlyTheLowercaseLetters) {
  for (unsigned b = 0; b < 256; ++b) {
    for (int pos = 0; pos < 8; ++pos) {
      std::uint64_t w = 0x4141414141414141ull;  // 'A': not lowercase
      w &= ~(0xffull << (8 * pos));
      w |= static_cast<std::uint64_t>(b) << (8 * pos);
      const std::uint64_t expected = b >= 'a' && b <= 'z' ? 0x20ull << (8 * pos) : 0;
      ASSERT_EQ(lowercase_letter_bits(w), expected) << b << " at " << pos;
    }
  }
}

TEST(ByteScan, IequalsLowerAgreesWithTheByteByByteCompareForEveryByteAtEveryPosition) {
  // Lowercase keys of every length to 24 with letters, digits and punctuation, each compared
  // with itself, its uppercase form, and every byte value at every position.
  const std::string alphabet = "transfer-encoding100-continue:z{`@[";
  for (std::size_t n = 0; n <= 24; ++n) {
    const std::string lower = (alphabet + alphabet).substr(n % 7, n);
    std::string upper = lower;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_TRUE(iequals_lower(lower, lower)) << lower;
    EXPECT_TRUE(iequals_lower(upper, lower)) << upper;
    if (n > 0) {
      EXPECT_FALSE(iequals_lower(lower.substr(1), lower)) << lower;
    }
    for (std::size_t at = 0; at < n; ++at) {
      for (int b = 0; b < 256; ++b) {
        std::string a = (at % 2 ? upper : lower);
        a[at] = static_cast<char>(b);
        ASSERT_EQ(iequals_lower(a, lower), iequals_reference(a, lower)) << lower << " byte " << b << " at " << at;
        ASSERT_EQ(equal_bytes(a.data(), lower.data(), n), a == lower) << lower << " byte " << b << " at " << at;
      }
    }
  }
  EXPECT_TRUE(iequals_lower("HoSt", "host"));
  EXPECT_FALSE(iequals_lower("hos", "host"));
  EXPECT_FALSE(iequals_lower("Transfer\rEncoding", "transfer-encoding"));  // CR | 0x20 is '-'
}

TEST(ByteScan, AnyByteBelowOrIsIsTheUnionOfItsThreeTests) {
  for (unsigned b = 0; b < 256; ++b) {
    for (int pos = 0; pos < 8; ++pos) {
      std::uint64_t w = 0x6161616161616161ull;  // 'a': none of them
      w &= ~(0xffull << (8 * pos));
      w |= static_cast<std::uint64_t>(b) << (8 * pos);
      ASSERT_EQ(any_byte_below_or_is(w, '/', '?', '\\'), b < '/' || b == '?' || b == '\\') << b << " at " << pos;
    }
  }
}

namespace {
// The one-byte reference for crlf_only.
bool crlf_reference(std::string_view s, bool& after_cr) {
  bool cr = after_cr;
  for (char c : s) {
    if (cr != (c == '\n')) return false;
    cr = c == '\r';
  }
  after_cr = cr;
  return true;
}
}  // namespace

TEST(ByteScan, CrlfOnlyAgreesWithTheByteByByteCheckWholeAndSplitAnywhere) {
  // Strings of CRs, LFs and letters of every length to 80 (more CRLF pairs than chance would
  // give, so that long valid runs are common), from either carry, checked whole and as two
  // calls split at every point.
  std::uint64_t seed = 42;
  auto next = [&seed] {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<unsigned>(seed >> 33);
  };
  std::size_t valid = 0;
  for (std::size_t n = 0; n <= 80; ++n) {
    for (int round = 0; round < 60; ++round) {
      std::string s;
      while (s.size() < n) {
        const unsigned k = next() % 8;
        if (k < 3 && s.size() + 2 <= n) {
          s += "\r\n";
        } else {
          s += k == 3 ? '\r' : k == 4 ? '\n' : static_cast<char>('a' + k);
        }
      }
      for (bool carry : {false, true}) {
        bool expected_cr = carry;
        const bool expected = crlf_reference(s, expected_cr);
        valid += expected;
        bool got_cr = carry;
        ASSERT_EQ(crlf_only(s.data(), s.size(), got_cr), expected) << n << " " << round << " " << carry;
        if (expected) {
          ASSERT_EQ(got_cr, expected_cr) << n << " " << round;
        }
        for (std::size_t cut = 0; cut <= n; ++cut) {
          bool split_cr = carry;
          const bool split = crlf_only(s.data(), cut, split_cr) && crlf_only(s.data() + cut, n - cut, split_cr);
          ASSERT_EQ(split, expected) << n << " cut " << cut;
          if (expected) {
            ASSERT_EQ(split_cr, expected_cr) << n << " cut " << cut;
          }
        }
      }
    }
  }
  EXPECT_GT(valid, 500u);  // the valid case is well exercised, not only failures
}
