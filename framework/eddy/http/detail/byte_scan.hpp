// SPDX-License-Identifier: MIT
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

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

/// The index in memory order (0 to 7) of the first byte below `n` of the word `v` loaded from
/// memory, or 8 if none is. On a little-endian machine the lowest byte flagged by
/// `any_byte_below`'s test is always a true one (no borrow reaches it from the bytes before it);
/// on a big-endian one the bytes are reversed first.
inline unsigned first_byte_below(std::uint64_t v, unsigned n) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ull;
  constexpr std::uint64_t highs = 0x8080808080808080ull;
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  const std::uint64_t flagged = (v - ones * n) & ~v & highs;
  return flagged == 0 ? 8u : static_cast<unsigned>(std::countr_zero(flagged)) / 8;
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

/// Whether `s` holds a CR, an LF or a NUL (what would split or cut a header line).
inline bool has_line_break_or_nul(std::string_view s) noexcept {
  // All three are below 14: one test per word for printable text, then a byte check.
  if (!any_word(s, 'a', [](std::uint64_t w) { return any_byte_below(w, 14); })) return false;
  for (char c : s)
    if (c == '\r' || c == '\n' || c == '\0') return true;
  return false;
}

}  // namespace eddy::http::detail
