// SPDX-License-Identifier: MIT
#include "eddy/net/ip_network.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <system_error>

namespace eddy {
namespace {

struct ip_bytes {
  std::array<std::uint8_t, 16> bytes{};
  bool v6 = false;
};

// Parses a numeric address without allocating: inet_pton wants a NUL-terminated string, so
// the text is copied into a small stack buffer (INET6_ADDRSTRLEN bounds every valid form).
bool parse_ip(std::string_view text, ip_bytes& out) noexcept {
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof buf) return false;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  if (::inet_pton(AF_INET, buf, out.bytes.data()) == 1) {
    out.v6 = false;
    return true;
  }
  if (::inet_pton(AF_INET6, buf, out.bytes.data()) == 1) {
    static constexpr std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(out.bytes.data(), mapped, sizeof mapped) == 0) {
      // ::ffff:a.b.c.d is the IPv4 peer of a dual-stack socket: compare it as IPv4.
      std::memmove(out.bytes.data(), out.bytes.data() + 12, 4);
      std::memset(out.bytes.data() + 4, 0, 12);
      out.v6 = false;
    } else {
      out.v6 = true;
    }
    return true;
  }
  return false;
}

std::string_view unbracket(std::string_view s) noexcept {
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') return s.substr(1, s.size() - 2);
  return s;
}

}  // namespace

std::string_view ip_network::strip_port(std::string_view text) noexcept {
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    return close == std::string_view::npos ? text : text.substr(1, close - 1);
  }
  // One colon: IPv4 (or a name) with a port. More than one: a bare IPv6 address.
  auto colon = text.find(':');
  if (colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos)
    return text.substr(0, colon);
  return text;
}

result<ip_network> ip_network::parse(std::string_view text) noexcept {
  const auto invalid = std::make_error_code(std::errc::invalid_argument);
  std::string_view host = text;
  std::string_view length;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    host = text.substr(0, slash);
    length = text.substr(slash + 1);
    if (length.empty()) return invalid;
  }
  ip_bytes ip;
  if (!parse_ip(unbracket(host), ip)) return invalid;
  const unsigned max_prefix = ip.v6 ? 128 : 32;
  unsigned prefix = max_prefix;
  if (!length.empty()) {
    auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), prefix);
    if (ec != std::errc() || end != length.data() + length.size() || prefix > max_prefix) return invalid;
  }
  ip_network n;
  n.v6_ = ip.v6;
  n.prefix_ = static_cast<std::uint8_t>(prefix);
  // Keep only the network bits, so that "10.1.2.3/8" and "10.0.0.0/8" are the same network.
  for (unsigned i = 0; i < 16; ++i) {
    unsigned bits = prefix > i * 8 ? std::min(8u, prefix - i * 8) : 0;
    std::uint8_t mask = bits == 0 ? 0 : static_cast<std::uint8_t>(0xff << (8 - bits));
    n.bytes_[i] = ip.bytes[i] & mask;
  }
  return n;
}

bool ip_network::contains(std::string_view text) const noexcept {
  ip_bytes ip;
  if (!parse_ip(strip_port(text), ip) || ip.v6 != v6_) return false;
  unsigned full = prefix_ / 8;
  if (std::memcmp(ip.bytes.data(), bytes_.data(), full) != 0) return false;
  unsigned rest = prefix_ % 8;
  if (rest == 0) return true;
  std::uint8_t mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (ip.bytes[full] & mask) == bytes_[full];
}

std::string ip_network::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  if (!::inet_ntop(v6_ ? AF_INET6 : AF_INET, bytes_.data(), buf, sizeof buf)) return {};
  return std::string(buf) + "/" + std::to_string(prefix_);
}

}  // namespace eddy
