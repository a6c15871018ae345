// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>

#include "eddy/http/url.hpp"

namespace eddy::http {

/// Which HTTP proxy `http::client` uses (none by default). Plain http requests go to the
/// proxy in absolute form (`GET http://host/path HTTP/1.1`); https requests open a `CONNECT`
/// tunnel through it and run TLS with the origin inside. Userinfo in a proxy URL
/// (`http://user:pass@proxy:3128`) is sent as `Proxy-Authorization: Basic ...` to the proxy
/// only, never to the origin.
struct proxy_settings {
  /// The proxy for `http://` URLs (`http://proxy:3128`; no scheme means http); empty: direct.
  std::string http{};
  /// The proxy for `https://` URLs (itself reached over plain http); empty: direct.
  std::string https{};
  /// Hosts reached directly: a comma-separated list of host names (matching the host and its
  /// subdomains; a leading dot is allowed), IP addresses, `host:port`, or `*` for all.
  std::string no_proxy{};

  /// The settings of the environment (curl's rules): `http_proxy` (the lower-case name only,
  /// since `HTTP_PROXY` can be set by a CGI request header), `HTTPS_PROXY`/`https_proxy`,
  /// `NO_PROXY`/`no_proxy`.
  static proxy_settings from_environment();

  /// The proxy URL for a request to `target`, or nullopt to connect directly. Throws
  /// `std::invalid_argument` when the configured proxy URL cannot be parsed or is not http.
  std::optional<url> proxy_for(const url& target) const;
};

}  // namespace eddy::http
