// SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <span>

#include "eddy/core/result.hpp"
#include "eddy/net/address.hpp"
#include "eddy/net/detail/socket_ops.hpp"
#include "eddy/net/unique_fd.hpp"
#include "eddy/runtime/event_loop.hpp"
#include "eddy/runtime/io.hpp"

namespace eddy {

/// Options for `udp_socket`.
struct udp_options {
  /// SO_REUSEADDR.
  bool reuse_address = true;
  /// SO_REUSEPORT: one socket per worker thread on the same port; the kernel spreads
  /// datagrams by source.
  bool reuse_port = false;
};

/// A datagram socket (UDP over IPv4/IPv6, or a Unix-domain datagram socket) on the loop it was
/// created on. Unconnected: `send_to` / `receive_from`; after `connect`, `send` / `receive`
/// talk to one peer and datagrams from others are dropped by the kernel. Each call moves
/// exactly one datagram, tries the system call first and parks only on EAGAIN, allocating
/// nothing. Move-only; one receive and one send in flight at a time; loop thread only.
/// Errors are OS codes, or `errc::operation_canceled` on cancellation.
class udp_socket {
 public:
  /// A closed socket.
  udp_socket() noexcept = default;
  /// Opens a socket bound to `at` (port 0: the kernel picks one; see `local_address`) on the
  /// running loop. Throws `std::system_error` when the socket cannot be created or bound.
  explicit udp_socket(const address& at, udp_options options = {});
  udp_socket(udp_socket&&) noexcept = default;
  udp_socket& operator=(udp_socket&&) noexcept = default;
  ~udp_socket() = default;

  /// Connected mode: fixes the peer for `send` / `receive` (no packet is sent).
  result<void> connect(const address& peer) noexcept;

  /// Sends `data` as one datagram to `to`. `std::errc::message_size` if it is too large.
  auto send_to(std::span<const char> data, const address& to) {
    return io_operation(reg(), io_direction::write, [fd = fd_of(), data, to = &to] {
      return detail::sock_sendto(fd, data, *to);
    });
  }
  /// Receives one datagram into `buf` and stores its sender in `from`. A datagram larger
  /// than `buf` is truncated to it (the rest is discarded, as recvfrom does).
  auto receive_from(std::span<char> buf, address& from) {
    return io_operation(reg(), io_direction::read, [fd = fd_of(), buf, from = &from] {
      return detail::sock_recvfrom(fd, buf, from);
    });
  }
  /// Connected mode: sends one datagram to the peer.
  auto send(std::span<const char> data) {
    return io_operation(reg(), io_direction::write,
                        [fd = fd_of(), data] { return detail::sock_send(fd, data); });
  }
  /// Connected mode: receives one datagram from the peer. `connection_refused` reports an
  /// ICMP port-unreachable for an earlier `send`.
  auto receive(std::span<char> buf) {
    return io_operation(reg(), io_direction::read,
                        [fd = fd_of(), buf] { return detail::sock_recv(fd, buf); });
  }

  /// The bound address.
  result<address> local_address() const noexcept;
  /// Closes the socket. No operation may be in flight.
  void close() noexcept { impl_.reset(); }
  bool is_open() const noexcept { return impl_ != nullptr; }
  int native_handle() const noexcept { return fd_of(); }

 private:
  struct impl {
    unique_fd fd;
    io_registration reg;  // declared after fd: deregistered before the fd closes
  };
  io_registration& reg() noexcept;
  int fd_of() const noexcept { return impl_ ? impl_->fd.get() : -1; }
  std::unique_ptr<impl> impl_;
};

}  // namespace eddy
