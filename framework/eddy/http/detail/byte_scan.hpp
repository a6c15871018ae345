// SPDX-License-Identifier: MIT
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace eddy::http::detail {

/// Eight bytes at a time ("SWAR"): whether any byte of `v` is below `n`, for 1 <= n <= 128
/// (exact: no false positives, see "Bit Twiddling Hacks", hasless). The per-request checks of
/// the server run on short strings, where a call to memchr per byte class costs more than
/// the scan.
constexpr bool any_byte_below(std::uint64_t v, unsigned n) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ull;
  constexpr std::uint64_t highs = 0x8080808080808080ull;
  return ((v - ones * n) & ~v & highs) != 0;
}

/// Whether any byte of `v` equals `b`.
constexpr bool any_byte_is(std::uint64_t v, unsigned char b) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ull;
  return any_byte_below(v ^ (ones * b), 1);
}

/// Calls `word(w)` for `s` in little-endian 8-byte words, for predicates on "any byte": the
/// last word of a string of 8 bytes or more overlaps the one before it; a shorter string is
/// padded with `pad` (a byte the predicate does not look for). Stops and returns true at the
/// first word for which `word` is true.
template <class Word>
bool any_word(std::string_view s, char pad, Word word) noexcept {
  const char* p = s.data();
  const std::size_t n = s.size();
  std::uint64_t w;
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 <= n; i += 8) {
      std::memcpy(&w, p + i, 8);
      if (word(w)) return true;
    }
    if (n % 8 == 0) return false;
    std::memcpy(&w, p + n - 8, 8);
    return word(w);
  }
  if (n == 0) return false;
  w = 0x0101010101010101ull * static_cast<unsigned char>(pad);
  for (std::size_t i = 0; i < n; ++i) {
    w &= ~(std::uint64_t{0xff} << (8 * i));
    w |= std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  }
  return word(w);
}

/// Bit i of `cr` (of `lf`) is set when byte i of the `n` bytes at `p` (n <= 64) is a CR (an
/// LF); bits from n up are clear. 16 bytes per compare with SSE2 (every x86-64; the bytes
/// read are within the n given), else eight at a time with an exact per-byte test.
inline void crlf_masks(const char* p, std::size_t n, std::uint64_t& cr, std::uint64_t& lf) noexcept {
  cr = 0;
  lf = 0;
#if defined(__SSE2__)
  if (n >= 16) {
    const __m128i r = _mm_set1_epi8('\r');
    const __m128i l = _mm_set1_epi8('\n');
    auto masks = [&](const char* at, unsigned& mr, unsigned& ml) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
      mr = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, r)));
      ml = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, l)));
    };
    unsigned mr = 0;
    unsigned ml = 0;
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
      masks(p + i, mr, ml);
      cr |= std::uint64_t{mr} << i;
      lf |= std::uint64_t{ml} << i;
    }
    if (i < n) {
      // The last 16 bytes, overlapping the group before: their top n - i bits are new.
      masks(p + n - 16, mr, ml);
      const unsigned drop = static_cast<unsigned>(16 - (n - i));
      cr |= std::uint64_t{mr >> drop} << i;
      lf |= std::uint64_t{ml >> drop} << i;
    }
    return;
  }
  for (std::size_t i = 0; i < n; ++i) {
    cr |= std::uint64_t{p[i] == '\r'} << i;
    lf |= std::uint64_t{p[i] == '\n'} << i;
  }
#else
  alignas(8) char block[64];
  if (n < 64) {
    // Zero bytes are neither: the padding sets no bit.
    std::memset(block, 0, sizeof block);
    std::memcpy(block, p, n);
    p = block;
  }
  // Per byte, exactly: the high bit of each byte of `eq(w, c)` is set where that byte is c.
  constexpr std::uint64_t lows = 0x7f7f7f7f7f7f7f7full;
  constexpr std::uint64_t ones = 0x0101010101010101ull;
  auto eq = [](std::uint64_t w, unsigned char c) {
    const std::uint64_t t = w ^ (ones * c);
    return ~(((t & lows) + lows) | t | lows);
  };
  // The high bits of the eight bytes, gathered into the low byte in memory order.
  auto gather = [](std::uint64_t m) { return ((m >> 7) * 0x0102040810204080ull) >> 56; };
  for (unsigned i = 0; i < 8; ++i) {
    std::uint64_t w;
    std::memcpy(&w, p + 8 * i, 8);
    if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
    cr |= gather(eq(w, '\r')) << (8 * i);
    lf |= gather(eq(w, '\n')) << (8 * i);
  }
#endif
}

/// Whether `s` holds a CR, an LF or a NUL (what would split or cut a header line).
inline bool has_line_break_or_nul(std::string_view s) noexcept {
  // All three are below 14: one test per word for printable text, then a byte check.
  if (!any_word(s, 'a', [](std::uint64_t w) { return any_byte_below(w, 14); })) return false;
  for (char c : s)
    if (c == '\r' || c == '\n' || c == '\0') return true;
  return false;
}

}  // namespace eddy::http::detail
