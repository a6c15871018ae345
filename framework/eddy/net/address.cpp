// SPDX-License-Identifier: MIT
#include "eddy/net/address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

namespace eddy {

static_assert(sizeof(sockaddr_storage) == address::capacity);

namespace {
template <class T>
T& as(address& a) noexcept {
  return *static_cast<T*>(a.native());
}
template <class T>
const T& as(const address& a) noexcept {
  return *static_cast<const T*>(a.native());
}
}  // namespace

result<address> address::parse(std::string_view host, std::uint16_t port) noexcept {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  char text[INET6_ADDRSTRLEN + 1];
  if (host.empty() || host.size() >= sizeof(text)) return errc::host_not_found;
  std::memcpy(text, host.data(), host.size());
  text[host.size()] = '\0';
  address a;
  auto& v4 = as<sockaddr_in>(a);
  if (::inet_pton(AF_INET, text, &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(port);
    a.size_ = sizeof(sockaddr_in);
    return a;
  }
  auto& v6 = as<sockaddr_in6>(a);
  if (::inet_pton(AF_INET6, text, &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(port);
    a.size_ = sizeof(sockaddr_in6);
    return a;
  }
  return errc::host_not_found;
}

result<address> address::unix_path(std::string_view path) noexcept {
  address a;
  auto& un = as<sockaddr_un>(a);
  if (path.empty() || path.size() >= sizeof(un.sun_path)) {
    return std::make_error_code(std::errc::filename_too_long);
  }
  un.sun_family = AF_UNIX;
  std::memcpy(un.sun_path, path.data(), path.size());
  const bool abstract = path.front() == '@';
  if (abstract) un.sun_path[0] = '\0';
  a.size_ = static_cast<std::uint32_t>(offsetof(sockaddr_un, sun_path) + path.size() + (abstract ? 0 : 1));
  return a;
}

address address::ipv4_any(std::uint16_t port) noexcept { return *parse("0.0.0.0", port); }
address address::ipv4_loopback(std::uint16_t port) noexcept { return *parse("127.0.0.1", port); }
address address::ipv6_loopback(std::uint16_t port) noexcept { return *parse("::1", port); }

address address::from_native(const void* sa, std::uint32_t size) noexcept {
  address a;
  if (size > capacity) size = capacity;
  std::memcpy(a.storage_.data(), sa, size);
  a.size_ = size;
  return a;
}

address_family address::family() const noexcept {
  if (size_ == 0) return address_family::unspecified;
  switch (as<sockaddr>(*this).sa_family) {
    case AF_INET: return address_family::ipv4;
    case AF_INET6: return address_family::ipv6;
    case AF_UNIX: return address_family::unix_path;
    default: return address_family::unspecified;
  }
}

std::uint16_t address::port() const noexcept {
  switch (family()) {
    case address_family::ipv4: return ntohs(as<sockaddr_in>(*this).sin_port);
    case address_family::ipv6: return ntohs(as<sockaddr_in6>(*this).sin6_port);
    default: return 0;
  }
}

address address::with_port(std::uint16_t port) const noexcept {
  address a = *this;
  switch (family()) {
    case address_family::ipv4: as<sockaddr_in>(a).sin_port = htons(port); break;
    case address_family::ipv6: as<sockaddr_in6>(a).sin6_port = htons(port); break;
    default: break;
  }
  return a;
}

std::string address::host() const {
  char text[INET6_ADDRSTRLEN] = {};
  switch (family()) {
    case address_family::ipv4:
      ::inet_ntop(AF_INET, &as<sockaddr_in>(*this).sin_addr, text, sizeof(text));
      return text;
    case address_family::ipv6:
      ::inet_ntop(AF_INET6, &as<sockaddr_in6>(*this).sin6_addr, text, sizeof(text));
      return text;
    case address_family::unix_path: {
      const auto& un = as<sockaddr_un>(*this);
      const std::size_t offset = offsetof(sockaddr_un, sun_path);
      if (size_ <= offset) return {};  // unnamed socket (socketpair, unbound client)
      std::size_t n = size_ - offset;
      if (un.sun_path[0] == '\0') return "@" + std::string(un.sun_path + 1, n - 1);
      return std::string(un.sun_path, ::strnlen(un.sun_path, n));
    }
    default: return {};
  }
}

std::string address::to_string() const {
  switch (family()) {
    case address_family::ipv4: return host() + ":" + std::to_string(port());
    case address_family::ipv6: return "[" + host() + "]:" + std::to_string(port());
    case address_family::unix_path: return host();
    default: return "<unspecified>";
  }
}

bool address::is_loopback() const noexcept {
  switch (family()) {
    case address_family::ipv4: return (ntohl(as<sockaddr_in>(*this).sin_addr.s_addr) >> 24) == 127;
    case address_family::ipv6: return IN6_IS_ADDR_LOOPBACK(&as<sockaddr_in6>(*this).sin6_addr);
    default: return false;
  }
}

bool operator==(const address& a, const address& b) noexcept {
  return a.size_ == b.size_ && std::memcmp(a.storage_.data(), b.storage_.data(), a.size_) == 0;
}

}  // namespace eddy
