// SPDX-License-Identifier: MIT
#pragma once

#include <system_error>

namespace eddy::http {

/// Errors decided by `http::client` (its `result<T>`s also carry `eddy::errc` codes such as
/// `operation_canceled` and `unexpected_eof`, OS codes such as `connection_refused`, and TLS
/// codes, see `is_tls_error`). Each timeout has its own code so that the caller knows which
/// limit fired; `is_timeout(ec)` tests for any of them, and every timeout code also compares
/// equal to the condition `std::errc::timed_out`.
enum class client_errc {
  /// The URL could not be parsed (no scheme or host, bad port, bad IPv6 literal), or a
  /// redirect's `Location` could not be resolved.
  invalid_url = 1,
  /// The scheme is neither `http` nor `https`.
  unsupported_scheme,
  /// `timeouts.connect` expired while resolving the host, connecting, or waiting for a pool
  /// slot. Nothing was sent.
  connect_timeout,
  /// `timeouts.tls_handshake` expired during the TLS handshake. Nothing was sent.
  tls_handshake_timeout,
  /// `timeouts.ttfb` expired between sending the request and the first response byte. The
  /// request may have been processed; retry only an idempotent request.
  ttfb_timeout,
  /// `timeouts.read_idle` expired while waiting for more of the response (head or body).
  read_idle_timeout,
  /// `timeouts.total` expired (it covers the whole exchange: pool wait, connect, redirects,
  /// reading the body).
  total_timeout,
  /// More redirects than `max_redirects` (also what a redirect loop ends in).
  too_many_redirects,
  /// The body is larger than `max_body_bytes` (`text()`, `bytes()`, `json()` only).
  body_too_large,
  /// The body is not valid JSON (`json()`).
  invalid_json,
  /// `raise_for_status()` on a 4xx response.
  client_error_status,
  /// `raise_for_status()` on a 5xx response.
  server_error_status,
  /// A header name or value that cannot be sent (CR, LF, NUL, not a token).
  invalid_header,
  /// The connection was closed before the whole response arrived, after the request may have
  /// been processed (a reused connection the server closed, or a non-idempotent request).
  connection_closed,
  /// The body's `Content-Encoding` (gzip, deflate) could not be decoded: corrupt or truncated
  /// compressed data. The connection is closed.
  decode_error,
  /// The proxy refused the `CONNECT` tunnel (a status other than 2xx) or sent a malformed
  /// answer to it. Nothing reached the origin server.
  proxy_error,
};

/// The category of `client_errc`; `name()` is "eddy.http.client".
const std::error_category& client_category() noexcept;

/// Makes an `std::error_code` from a `client_errc`.
inline std::error_code make_error_code(client_errc e) noexcept {
  return {static_cast<int>(e), client_category()};
}

/// True for any of the client's timeout codes (and for `eddy::errc::timed_out`).
bool is_timeout(const std::error_code& ec) noexcept;

}  // namespace eddy::http

template <>
struct std::is_error_code_enum<eddy::http::client_errc> : std::true_type {};
