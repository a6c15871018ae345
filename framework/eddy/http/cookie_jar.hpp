// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/http/url.hpp"

namespace eddy::http {

/// One stored cookie (RFC 6265 section 5.3).
struct cookie {
  std::string name{};
  std::string value{};
  /// Lower-cased, without a leading dot: the host that set it (`host_only`) or the `Domain`.
  std::string domain{};
  /// The `Path` attribute, or the default path of the URL that set it.
  std::string path{};
  /// When it expires; nullopt for a session cookie (kept while the jar lives).
  std::optional<std::chrono::system_clock::time_point> expires{};
  /// No `Domain` attribute: sent to exactly the host that set it, not to its subdomains.
  bool host_only = true;
  /// `Secure`: sent over https only (and accepted from https only).
  bool secure = false;
  /// `HttpOnly`: recorded for callers that expose cookies to scripts; requests send it.
  bool http_only = false;
};

/// The cookies of one `http::client` (on with `client_options::cookies`), following RFC 6265:
/// `Domain` must domain-match the setting host (an IP address matches only itself, a
/// one-label domain such as `com` only the identical host), a cookie without `Domain` is
/// host-only, `Path` defaults to the directory of the request path, `Max-Age` wins over
/// `Expires`, a past expiry deletes, `Secure` cookies are sent over https only and cannot be
/// set from http. The jar holds at most 3,000 cookies (the oldest go first) and ignores
/// name+value pairs over 4 KiB. Not thread-safe (one client, one loop).
///
/// There is no public-suffix list: `Domain=co.uk` set by `a.co.uk` is accepted.
class cookie_jar {
 public:
  using clock = std::chrono::system_clock;

  /// Parses one `Set-Cookie` value received in a response from `from` and stores it (or, for
  /// an expiry in the past, deletes the matching cookie). Returns false when the value is
  /// rejected (no `name=`, a foreign `Domain`, `Secure` from http, too big).
  bool store(const url& from, std::string_view set_cookie, clock::time_point now = clock::now());
  /// The `Cookie` header value for a request to `to` ("a=1; b=2": longer paths first, then
  /// older cookies), or "" when none applies. Drops expired cookies.
  std::string header_for(const url& to, clock::time_point now = clock::now());
  /// The stored cookies (expired ones may remain until the next `header_for`).
  const std::vector<cookie>& cookies() const noexcept { return cookies_; }
  /// Number of stored cookies.
  std::size_t size() const noexcept { return cookies_.size(); }
  /// Forgets every cookie.
  void clear() noexcept {
    cookies_.clear();
    created_.clear();
  }

 private:
  std::vector<cookie> cookies_;
  std::vector<std::uint64_t> created_;  // creation order, parallel to cookies_
  std::uint64_t next_ = 0;
};

/// Parses a cookie date (RFC 6265 section 5.1.1: `Wed, 09 Jun 2021 10:18:14 GMT` and the
/// older variants); nullopt when it is not one.
std::optional<std::chrono::system_clock::time_point> parse_cookie_date(std::string_view text);

}  // namespace eddy::http
