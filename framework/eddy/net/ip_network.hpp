// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "eddy/core/result.hpp"

namespace eddy {

/// An IP network: an address and a prefix length ("10.0.0.0/8", "2001:db8::/32"), or a single
/// address ("127.0.0.1", "::1"), as used for lists of trusted proxies. A value type; no
/// allocation. IPv4-mapped IPv6 addresses (`::ffff:10.1.2.3`) match IPv4 networks.
class ip_network {
 public:
  /// Parses CIDR notation or a single numeric address (brackets allowed around IPv6).
  /// Returns `std::errc::invalid_argument` for anything else (a host name, a prefix longer
  /// than the address, trailing characters).
  static result<ip_network> parse(std::string_view text) noexcept;

  /// Whether `ip` is a numeric address inside this network. `ip` may carry brackets and a
  /// port ("[::1]:8080", "10.0.0.7:5000"); anything that is not an address gives false.
  bool contains(std::string_view ip) const noexcept;

  /// "10.0.0.0/8", "::1/128".
  std::string to_string() const;

  /// The address part of "host:port", "[v6]:port", "[v6]" or a bare address, as a view into
  /// `text` (unchanged when there is no port).
  static std::string_view strip_port(std::string_view text) noexcept;

 private:
  std::array<std::uint8_t, 16> bytes_{};
  std::uint8_t prefix_ = 0;
  bool v6_ = false;
};

}  // namespace eddy
