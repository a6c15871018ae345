// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace eddy::http {

/// HTTP request methods (RFC 9110 section 9 plus PATCH). `other` stands for any method token
/// eddy does not name; the raw token stays available on the request.
enum class method : std::uint8_t {
  get, head, post, put, del, connect, options, trace, patch, other
};

/// The method's token ("GET", "DELETE", ...); "OTHER" for `method::other`.
constexpr std::string_view to_string(method m) noexcept {
  switch (m) {
    case method::get: return "GET";
    case method::head: return "HEAD";
    case method::post: return "POST";
    case method::put: return "PUT";
    case method::del: return "DELETE";
    case method::connect: return "CONNECT";
    case method::options: return "OPTIONS";
    case method::trace: return "TRACE";
    case method::patch: return "PATCH";
    case method::other: return "OTHER";
  }
  return "OTHER";
}

/// Parses a method token (case-sensitive, as RFC 9110 requires); `method::other` if unknown.
constexpr method method_from_string(std::string_view s) noexcept {
  for (auto m : {method::get, method::head, method::post, method::put, method::del,
                 method::connect, method::options, method::trace, method::patch}) {
    if (to_string(m) == s) return m;
  }
  return method::other;
}

/// Safe methods (RFC 9110 9.2.1): GET, HEAD, OPTIONS, TRACE.
constexpr bool is_safe(method m) noexcept {
  return m == method::get || m == method::head || m == method::options || m == method::trace;
}

/// Idempotent methods (RFC 9110 9.2.2): the safe ones plus PUT and DELETE.
constexpr bool is_idempotent(method m) noexcept {
  return is_safe(m) || m == method::put || m == method::del;
}

}  // namespace eddy::http
