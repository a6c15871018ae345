// SPDX-License-Identifier: MIT
#pragma once

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

/// Whether any byte of `v` equals `b`.
constexpr bool any_byte_is(std::uint64_t v, unsigned char b) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ull;
  return any_byte_below(v ^ (ones * b), 1);
}

/// Calls `word(w)` for `s` in little-endian 8-byte words; the last one is padded with `pad`
/// (a byte the predicate does not look for). Stops and returns true at the first word for
/// which `word` is true.
template <class Word>
bool any_word(std::string_view s, char pad, Word word) noexcept {
  const char* p = s.data();
  std::size_t n = s.size();
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    if (word(w)) return true;
  }
  if (n == 0) return false;
  char tail[8];
  std::memset(tail, pad, sizeof tail);
  std::memcpy(tail, p, n);
  std::uint64_t w;
  std::memcpy(&w, tail, 8);
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
