// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "eddy/core/result.hpp"

namespace eddy::http::detail {

/// Decodes a `Content-Encoding: gzip` or `deflate` body incrementally with zlib (the only file
/// that includes zlib is content_decoder.cpp). Input is handed over piece by piece with
/// `input()`; `read()` produces decoded bytes into a bounded buffer, so a small compressed
/// body can never make one call allocate a lot (zip bombs are capped by the caller).
class content_decoder {
 public:
  enum class coding { gzip, deflate };

  /// The coding named by a `Content-Encoding` value (`gzip`, `x-gzip`, `deflate`, case
  /// insensitive, surrounding blanks ignored), or nullopt for anything else (identity,
  /// several codings, br, ...), which the client passes through undecoded.
  static std::optional<coding> parse(std::string_view content_encoding) noexcept;

  /// Throws `std::bad_alloc` when zlib cannot allocate its state.
  explicit content_decoder(coding c);
  ~content_decoder();
  content_decoder(const content_decoder&) = delete;
  content_decoder& operator=(const content_decoder&) = delete;

  /// Hands over the next compressed bytes; they must stay valid until `pending()` is false.
  /// Precondition: `!pending()`.
  void input(std::string_view compressed) noexcept;
  /// True while input is left or decoded output may still be waiting inside zlib.
  bool pending() const noexcept;
  /// Decodes into `out`; returns the bytes written (0 once everything handed over is decoded).
  /// Fails with `client_errc::decode_error` for corrupt data or bytes after the end of a
  /// deflate stream. A gzip body may hold several members (RFC 1952).
  result<std::size_t> read(std::span<char> out) noexcept;
  /// True once the compressed stream ended properly (or no byte was ever handed over: an
  /// empty body); a body that ends before is truncated.
  bool finished() const noexcept;

 private:
  struct state;
  std::unique_ptr<state> s_;
};

}  // namespace eddy::http::detail
