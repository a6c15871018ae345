// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eddy/core/result.hpp"

namespace eddy::http {

/// Query parameters in order (`{{"q", "cats"}, {"page", "2"}}`); keys may repeat.
using query_params = std::vector<std::pair<std::string, std::string>>;

/// An absolute URL (RFC 3986), parsed and normalized for sending a request:
/// `scheme://[userinfo@]host[:port][/path][?query][#fragment]`.
///
/// Normalization: the scheme and a registered host name are lower-cased; an IPv6 literal is
/// kept in brackets in `host()` (`[::1]`); the port is explicit or the scheme's default
/// (80/443, `0` for other schemes); an empty path becomes `/`; characters that may not appear
/// in a path or query (space, controls, non-ASCII bytes, `"<>\^`{|}`, a `%` not starting an
/// escape) are percent-encoded while existing escapes are kept as sent. The fragment is kept
/// but never sent.
class url {
 public:
  /// An empty URL (no scheme or host); parse one with `url::parse`.
  url() = default;

  /// Parses `text`. Fails with `std::errc::invalid_argument` for a missing scheme or host, a
  /// bad port (not 1..65535 digits), an unterminated or malformed IPv6 literal, or controls,
  /// spaces or delimiters in the host.
  static result<url> parse(std::string_view text);

  /// Resolves `reference` (a `Location` header: absolute, `//host/...`, `/path`, `?query` or a
  /// relative path) against this URL (RFC 3986 5.2, dot segments removed).
  result<url> resolve(std::string_view reference) const;

  /// Lower-cased scheme ("http", "https").
  const std::string& scheme() const noexcept { return scheme_; }
  /// `user[:password]` as written (still percent-encoded), or "".
  const std::string& userinfo() const noexcept { return userinfo_; }
  /// Lower-cased host name, IPv4 address, or bracketed IPv6 literal.
  const std::string& host() const noexcept { return host_; }
  /// The host as a resolver or TLS wants it: without the IPv6 brackets.
  std::string_view hostname() const noexcept;
  /// The effective port (explicit, or the scheme's default).
  std::uint16_t port() const noexcept { return port_; }
  /// Encoded path, always starting with '/'.
  const std::string& path() const noexcept { return path_; }
  /// Encoded query without '?', or "".
  const std::string& query() const noexcept { return query_; }
  /// The fragment without '#', or "" (never sent to servers).
  const std::string& fragment() const noexcept { return fragment_; }

  /// True for the scheme's default port (then `Host` and `str()` omit it).
  bool default_port() const noexcept;
  /// The request target: path plus `?query` when there is one.
  std::string target() const;
  /// The `Host` header value: host, plus `:port` unless it is the default.
  std::string authority() const;
  /// The normalized URL without userinfo and fragment (safe for logs).
  std::string str() const;
  /// `scheme://host:port`, the identity of a connection pool.
  std::string origin() const;

  /// Appends `key=value` pairs to the query, form-encoded (space as %20, every reserved
  /// character escaped).
  url& add_query(const query_params& params);

  friend bool operator==(const url&, const url&) = default;

 private:
  std::string scheme_, userinfo_, host_, path_ = "/", query_, fragment_;
  std::uint16_t port_ = 0;
};

/// Encodes `params` as `k=v&k2=v2` (application/x-www-form-urlencoded, spaces as %20).
std::string encode_query(const query_params& params);

}  // namespace eddy::http
