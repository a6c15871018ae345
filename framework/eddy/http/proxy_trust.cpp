// SPDX-License-Identifier: MIT
#include "eddy/http/proxy_trust.hpp"

#include <stdexcept>

#include "eddy/http/headers.hpp"
#include "eddy/http/request.hpp"

namespace eddy::http {
namespace {

std::string_view unquote(std::string_view s) noexcept {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

// A numeric address, possibly with brackets and a port; not a network.
bool is_address(std::string_view s) noexcept {
  return s.find('/') == std::string_view::npos && ip_network::parse(ip_network::strip_port(s)).has_value();
}

// "http" or "https" (any case) as a static string; empty for anything else.
std::string_view known_scheme(std::string_view s) noexcept {
  s = trim_ows(unquote(trim_ows(s)));
  if (iequals(s, "https")) return "https";
  if (iequals(s, "http")) return "http";
  return {};
}

// Calls `fn(item)` for each comma-separated item of every `name` header, from the last item
// of the last header to the first of the first, until `fn` returns false.
template <class F>
void for_each_item_from_right(const request& req, std::string_view name, F&& fn) {
  for (std::size_t i = req.header_count(); i-- > 0;) {
    auto [n, value] = req.header_at(i);
    if (!iequals(n, name)) continue;
    while (!value.empty()) {
      auto comma = value.rfind(',');
      std::string_view item = comma == std::string_view::npos ? value : value.substr(comma + 1);
      value = comma == std::string_view::npos ? std::string_view{} : value.substr(0, comma);
      item = trim_ows(item);
      if (!item.empty() && !fn(item)) return;
    }
  }
}

// The value of parameter `key` in a Forwarded element ("for=1.2.3.4;proto=https"), unquoted.
std::string_view forwarded_param(std::string_view element, std::string_view key) noexcept {
  while (!element.empty()) {
    auto semi = element.find(';');
    std::string_view pair = trim_ows(element.substr(0, semi));
    element = semi == std::string_view::npos ? std::string_view{} : element.substr(semi + 1);
    auto eq = pair.find('=');
    if (eq != std::string_view::npos && iequals(trim_ows(pair.substr(0, eq)), key)) return unquote(trim_ows(pair.substr(eq + 1)));
  }
  return {};
}

}  // namespace

proxy_trust::proxy_trust(const std::vector<std::string>& networks) {
  for (const auto& text : networks) {
    auto n = ip_network::parse(text);
    if (!n) throw std::invalid_argument("trusted proxy '" + text + "' is not an IP address or CIDR network");
    networks_.push_back(*n);
  }
}

bool proxy_trust::trusts(std::string_view address) const noexcept {
  for (const auto& n : networks_)
    if (n.contains(address)) return true;
  return false;
}

request_origin proxy_trust::resolve(const request& req, std::string_view peer, std::string_view scheme) const noexcept {
  request_origin out{peer, scheme};
  if (networks_.empty() || !trusts(peer)) return out;
  // RFC 7239 `Forwarded` wins over the de-facto X-Forwarded-* headers when both are present:
  // it carries each hop's address and scheme together.
  bool have_forwarded = false;
  for_each_item_from_right(req, "forwarded", [&](std::string_view element) {
    have_forwarded = true;
    std::string_view node = forwarded_param(element, "for");
    if (!is_address(node)) return false;  // "unknown", "_hidden", or no `for`: stop here
    out.remote = node;
    if (auto s = known_scheme(forwarded_param(element, "proto")); !s.empty()) out.scheme = s;
    return trusts(node);  // a trusted hop: the client is further left
  });
  if (have_forwarded) return out;
  for_each_item_from_right(req, "x-forwarded-for", [&](std::string_view hop) {
    if (!is_address(hop)) return false;
    out.remote = hop;
    return trusts(hop);
  });
  // X-Forwarded-Proto is set by the proxy that faced the client (the leftmost value when
  // several proxies appended theirs).
  std::string_view proto;
  for_each_item_from_right(req, "x-forwarded-proto", [&](std::string_view p) {
    proto = p;
    return true;
  });
  if (auto s = known_scheme(proto); !s.empty()) out.scheme = s;
  return out;
}

}  // namespace eddy::http
