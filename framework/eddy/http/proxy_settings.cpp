// SPDX-License-Identifier: MIT
#include "eddy/http/proxy_settings.hpp"

#include <cstdlib>
#include <stdexcept>

#include "eddy/http/headers.hpp"

namespace eddy::http {
namespace {

std::string env(const char* a, const char* b = nullptr) {
  if (const char* v = std::getenv(a); v && *v) return v;
  if (b)
    if (const char* v = std::getenv(b); v && *v) return v;
  return {};
}

bool host_matches(const url& target, std::string_view entry) {
  // Optional ":port" (not inside an IPv6 literal's brackets).
  std::string_view host = entry;
  std::optional<std::uint16_t> port;
  auto colon = entry.rfind(':');
  auto bracket = entry.rfind(']');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket) &&
      entry.find(':') == colon) {
    host = entry.substr(0, colon);
    auto p = entry.substr(colon + 1);
    unsigned v = 0;
    for (char c : p) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + static_cast<unsigned>(c - '0');
      if (v > 65535) return false;
    }
    port = static_cast<std::uint16_t>(v);
  }
  if (port && *port != target.port()) return false;
  if (!host.empty() && host.front() == '.') host.remove_prefix(1);
  if (host.empty()) return false;
  std::string_view t = target.host();
  std::string_view bare = target.hostname();
  if (iequals(t, host) || iequals(bare, host)) return true;
  return t.size() > host.size() && t[t.size() - host.size() - 1] == '.' &&
         iequals(t.substr(t.size() - host.size()), host);
}

}  // namespace

proxy_settings proxy_settings::from_environment() {
  proxy_settings s;
  s.http = env("http_proxy");
  s.https = env("HTTPS_PROXY", "https_proxy");
  s.no_proxy = env("NO_PROXY", "no_proxy");
  return s;
}

std::optional<url> proxy_settings::proxy_for(const url& target) const {
  const std::string& spec = target.scheme() == "https" ? https : http;
  if (spec.empty()) return std::nullopt;
  std::string_view list = no_proxy;
  while (!list.empty()) {
    auto comma = list.find(',');
    std::string_view entry = trim_ows(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (entry == "*") return std::nullopt;
    if (host_matches(target, entry)) return std::nullopt;
  }
  auto parsed = url::parse(spec.find("://") == std::string::npos ? "http://" + spec : spec);
  if (!parsed) throw std::invalid_argument("invalid proxy URL: " + spec);
  if (parsed->scheme() != "http") throw std::invalid_argument("proxy URL must be http://: " + spec);
  return std::move(*parsed);
}

}  // namespace eddy::http
