// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "eddy/core/result.hpp"

namespace eddy {

/// The kind of endpoint an `address` names.
enum class address_family { unspecified, ipv4, ipv6, unix_path };

/// A socket endpoint: an IPv4 or IPv6 address with a port, or a Unix-domain socket path. A
/// value type holding the native `sockaddr` bytes (no allocation); OS headers stay in the .cpp.
class address {
 public:
  /// An unspecified address (family `unspecified`).
  address() noexcept = default;

  /// Parses a numeric host ("127.0.0.1", "::1", "[::1]") with `port`. Does not resolve names:
  /// returns `errc::host_not_found` for anything that is not a numeric address (use
  /// `resolver` for names).
  static result<address> parse(std::string_view host, std::uint16_t port) noexcept;
  /// A Unix-domain socket path. A leading '@' names an abstract socket (Linux). Returns
  /// `std::errc::filename_too_long` when the path does not fit in `sun_path`.
  static result<address> unix_path(std::string_view path) noexcept;
  /// 0.0.0.0:port (every IPv4 interface).
  static address ipv4_any(std::uint16_t port) noexcept;
  /// 127.0.0.1:port.
  static address ipv4_loopback(std::uint16_t port) noexcept;
  /// [::1]:port.
  static address ipv6_loopback(std::uint16_t port) noexcept;
  /// Copies a native `sockaddr` of `size` bytes (as filled in by accept, getsockname,
  /// recvfrom). Sizes above the storage are truncated to it.
  static address from_native(const void* sockaddr, std::uint32_t size) noexcept;

  /// The address family.
  address_family family() const noexcept;
  /// The port (0 for Unix paths and unspecified addresses).
  std::uint16_t port() const noexcept;
  /// A copy with `port` replaced (no effect for Unix paths).
  address with_port(std::uint16_t port) const noexcept;
  /// The numeric host ("127.0.0.1", "::1") or the socket path.
  std::string host() const;
  /// "127.0.0.1:80", "[::1]:80", or the socket path.
  std::string to_string() const;
  /// True for 127.0.0.0/8 and ::1.
  bool is_loopback() const noexcept;

  /// The native `sockaddr` and its length, for system calls.
  const void* native() const noexcept { return storage_.data(); }
  void* native() noexcept { return storage_.data(); }
  std::uint32_t native_size() const noexcept { return size_; }
  /// Capacity of the native storage (sizeof(sockaddr_storage)).
  static constexpr std::uint32_t capacity = 128;

  friend bool operator==(const address& a, const address& b) noexcept;

 private:
  alignas(8) std::array<unsigned char, capacity> storage_{};
  std::uint32_t size_ = 0;
};

}  // namespace eddy
