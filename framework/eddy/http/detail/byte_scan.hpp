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

/// The 8 bytes at `p` as a little-endian word.
inline std::uint64_t load8(const char* p) noexcept {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
  return w;
}

/// A string of 1 to 7 bytes as one word holding each of its bytes at least once: two
/// overlapping 4-byte loads for 4 to 7 bytes, the first, middle and last bytes in the low
/// three below that (the top bytes zero). Two strings of one length are equal exactly when
/// their words are.
inline std::uint64_t short_word(const char* p, std::size_t n) noexcept {
  if (n >= 4) {
    std::uint32_t lo;
    std::uint32_t hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + n - 4, 4);
    if constexpr (std::endian::native == std::endian::big) {
      lo = __builtin_bswap32(lo);
      hi = __builtin_bswap32(hi);
    }
    return std::uint64_t{lo} | std::uint64_t{hi} << 32;
  }
  const auto byte = [p](std::size_t i) { return std::uint64_t{static_cast<unsigned char>(p[i])}; };
  return byte(0) | byte(n / 2) << 8 | byte(n - 1) << 16;
}

/// `any_byte_below(v, n) || any_byte_is(v, a) || any_byte_is(v, b)` without a branch
/// between the tests (each is exact as a whole-word answer, and so is their union).
constexpr bool any_byte_below_or_is(std::uint64_t v, unsigned n, unsigned char a, unsigned char b) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ull;
  constexpr std::uint64_t highs = 0x8080808080808080ull;
  const std::uint64_t xa = v ^ (ones * a);
  const std::uint64_t xb = v ^ (ones * b);
  return ((((v - ones * n) & ~v) | ((xa - ones) & ~xa) | ((xb - ones) & ~xb)) & highs) != 0;
}

/// A string of 1 to 7 bytes as one word for "any byte" tests: its `short_word`, with the
/// free top bytes (below 4 bytes) set to `pad`.
inline std::uint64_t padded_word(const char* p, std::size_t n, char pad) noexcept {
  const std::uint64_t w = short_word(p, n);
  return n >= 4 ? w : w | (0x0101010101010101ull * static_cast<unsigned char>(pad)) << 24;
}

/// Calls `word(w)` for `s` in little-endian 8-byte words, for predicates on "any byte": the
/// last word of a string of 8 bytes or more overlaps the one before it; a shorter string is
/// one `short_word`, whose free top bytes (below 4 bytes) hold `pad` (a byte the predicate
/// does not look for). Stops and returns true at the first word for which `word` is true.
template <class Word>
bool any_word(std::string_view s, char pad, Word word) noexcept {
  const char* p = s.data();
  const std::size_t n = s.size();
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 <= n; i += 8)
      if (word(load8(p + i))) return true;
    return n % 8 != 0 && word(load8(p + n - 8));
  }
  return n != 0 && word(padded_word(p, n, pad));
}

/// 0x20 in every byte of `w` that is a lowercase ASCII letter, else 0 (per byte, no carries
/// between bytes: the sums stay below 0x100).
constexpr std::uint64_t lowercase_letter_bits(std::uint64_t w) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ull;
  constexpr std::uint64_t highs = 0x8080808080808080ull;
  const std::uint64_t low7 = w & ~highs;
  const std::uint64_t at_least_a = low7 + ones * (0x80 - 'a');
  const std::uint64_t past_z = low7 + ones * (0x80 - 'z' - 1);
  return (at_least_a & ~past_z & ~w & highs) >> 2;
}

/// Whether `a` equals `lower` (lowercase ASCII) with its letters in either case: the bytes
/// at `lower`'s letters compared with the case bit set, the others exactly. A word at a
/// time: header names are short, and a loop per byte costs more than the compare.
[[gnu::always_inline]] inline bool iequals_lower(std::string_view a, std::string_view lower) noexcept {
  const std::size_t n = a.size();
  if (n != lower.size()) return false;
  const auto same = [](std::uint64_t x, std::uint64_t y) { return (x | lowercase_letter_bits(y)) == y; };
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 <= n; i += 8)
      if (!same(load8(a.data() + i), load8(lower.data() + i))) return false;
    return n % 8 == 0 || same(load8(a.data() + n - 8), load8(lower.data() + n - 8));
  }
  return n == 0 || same(short_word(a.data(), n), short_word(lower.data(), n));
}

/// Whether the `n` bytes at `a` and `b` are equal, a word at a time (short keys, where a
/// call to memcmp costs more than the compare).
inline bool equal_bytes(const char* a, const char* b, std::size_t n) noexcept {
  if (n >= 8) {
    for (std::size_t i = 0; i + 8 <= n; i += 8)
      if (load8(a + i) != load8(b + i)) return false;
    return n % 8 == 0 || load8(a + n - 8) == load8(b + n - 8);
  }
  return n == 0 || short_word(a, n) == short_word(b, n);
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

/// Whether every CR of the `n` bytes at `p` is followed by an LF and every LF follows a CR.
/// `after_cr` says the bytes before ended with a CR (their LF is the first byte here), and
/// is set to whether these do. 16 bytes per step with SSE2, the last step overlapping the one
/// before; 64 at a time through `crlf_masks` elsewhere.
inline bool crlf_only(const char* p, std::size_t n, bool& after_cr) noexcept {
  unsigned carry = after_cr ? 1 : 0;
#if defined(__SSE2__)
  if (n >= 16) {
    const __m128i r = _mm_set1_epi8('\r');
    const __m128i l = _mm_set1_epi8('\n');
    auto step = [&](const char* at, unsigned drop) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
      const unsigned mr = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, r))) >> drop;
      const unsigned ml = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, l))) >> drop;
      const bool ok = ml == (((mr << 1) | carry) & (0xffffu >> drop));
      carry = (mr >> (15 - drop)) & 1;
      return ok;
    };
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16)
      if (!step(p + i, 0)) return false;
    // The last bytes: the 16 ending at n, of which the top n - i are new.
    if (i < n && !step(p + n - 16, static_cast<unsigned>(16 - (n - i)))) return false;
    after_cr = carry != 0;
    return true;
  }
#endif
  for (std::size_t i = 0; i < n; i += 64) {
    const std::size_t k = n - i < 64 ? n - i : 64;
    std::uint64_t cr = 0;
    std::uint64_t lf = 0;
    crlf_masks(p + i, k, cr, lf);
    const std::uint64_t valid = k == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << k) - 1;
    if (lf != (((cr << 1) | carry) & valid)) return false;
    carry = static_cast<unsigned>((cr >> (k - 1)) & 1);
  }
  after_cr = carry != 0;
  return true;
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
