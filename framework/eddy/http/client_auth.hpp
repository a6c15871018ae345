// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

namespace eddy::http {

/// Credentials that `http::client` sends as `Authorization` (a client-wide default or per
/// request). Like any `Authorization` header they are dropped when a redirect leaves the
/// origin they were first sent to.
struct client_auth {
  /// HTTP Basic (RFC 7617): `Basic base64(user:password)`.
  static client_auth basic(std::string_view user, std::string_view password);
  /// A bearer token (RFC 6750): `Bearer token`.
  static client_auth bearer(std::string_view token);
  /// The `Authorization` value; empty: none.
  std::string header_value{};
};

/// Appends the base64 (RFC 4648, with padding) encoding of `in` to `out`.
void append_base64(std::string_view in, std::string& out);

}  // namespace eddy::http
