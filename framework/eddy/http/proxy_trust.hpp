// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "eddy/net/ip_network.hpp"

namespace eddy::http {

class request;

/// Where a request came from: the client's address and the scheme it used.
struct request_origin {
  std::string_view remote;
  std::string_view scheme;
};

/// The reverse proxies whose forwarding headers are believed (nginx's `set_real_ip_from`,
/// Sanic's `PROXIES_COUNT`/`FORWARDED_SECRET`). When a request's peer is one of them, its
/// `Forwarded` header (RFC 7239) or, failing that, `X-Forwarded-For` / `X-Forwarded-Proto`
/// say who the client was. Forwarding headers from any other peer are ignored: a client can
/// write whatever it likes in them.
///
/// The address chain is walked from the right (the hop nearest this server) past every
/// trusted proxy; the first untrusted hop is the client. A hop that is not a numeric address
/// ("unknown", an obfuscated name) ends the walk at the last trusted hop, and a scheme other
/// than "http" or "https" is ignored.
class proxy_trust {
 public:
  /// Trusts nobody.
  proxy_trust() = default;
  /// Trusts the peers in `networks` ("10.0.0.0/8", "127.0.0.1", "::1"). Throws
  /// `std::invalid_argument` naming the first entry that is not an address or network.
  explicit proxy_trust(const std::vector<std::string>& networks);

  /// True when no proxy is trusted.
  bool empty() const noexcept { return networks_.empty(); }
  /// Whether `address` ("10.1.2.3", "10.1.2.3:5000", "[::1]:80") is a trusted proxy.
  bool trusts(std::string_view address) const noexcept;

  /// The origin of `req`, which arrived from `peer` over `scheme`. The views point into
  /// `req`'s headers, `peer` or static storage. Does not allocate.
  request_origin resolve(const request& req, std::string_view peer, std::string_view scheme) const noexcept;

 private:
  std::vector<ip_network> networks_;
};

}  // namespace eddy::http
