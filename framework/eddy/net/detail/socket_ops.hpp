// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "eddy/core/result.hpp"
#include "eddy/net/address.hpp"

// Thin wrappers over the socket system calls, so that public headers need no OS header. Every
// function is non-blocking and reports would-block as EAGAIN (for `io_operation`). The I/O
// calls return `errc::not_connected` for fd -1 (the descriptor of a closed stream or socket).
namespace eddy::detail {

enum class socket_kind { stream, datagram };

/// A new non-blocking, close-on-exec socket for `family`.
result<int> open_socket(address_family family, socket_kind kind) noexcept;
/// recv(2); 0 at end of stream. EINTR is retried.
result<std::size_t> sock_recv(int fd, std::span<char> buf) noexcept;
/// send(2) without SIGPIPE.
result<std::size_t> sock_send(int fd, std::span<const char> buf) noexcept;
/// sendmsg(2) with an iovec per buffer (at most IOV_MAX are sent per call), without SIGPIPE.
result<std::size_t> sock_sendv(int fd, std::span<const std::span<const char>> bufs) noexcept;
/// Sends up to `count` bytes of file `file_fd` from `offset` on socket `fd` without copying
/// them through user space (sendfile(2) on Linux, BSD and macOS; read + send elsewhere).
/// 0 only when the file ends before `offset`.
result<std::size_t> sock_sendfile(int fd, int file_fd, std::uint64_t offset, std::size_t count) noexcept;
/// recvfrom(2); `from` receives the sender.
result<std::size_t> sock_recvfrom(int fd, std::span<char> buf, address* from) noexcept;
/// sendto(2).
result<std::size_t> sock_sendto(int fd, std::span<const char> buf, const address& to) noexcept;
/// accept4(2) with SOCK_NONBLOCK | SOCK_CLOEXEC. Fills `peer` if given.
result<int> sock_accept(int fd, address* peer) noexcept;
/// connect(2); EINPROGRESS is reported as success with `*in_progress = true`.
result<void> sock_connect(int fd, const address& to, bool* in_progress) noexcept;
/// The pending error of a socket (SO_ERROR), as a result.
result<void> sock_error(int fd) noexcept;
result<void> sock_bind(int fd, const address& at) noexcept;
result<void> sock_listen(int fd, int backlog) noexcept;
result<address> sock_name(int fd) noexcept;
result<address> peer_name(int fd) noexcept;
/// shutdown(fd, SHUT_WR).
result<void> sock_shutdown_write(int fd) noexcept;
/// SO_LINGER {1, 0}: the next close sends RST instead of FIN.
result<void> sock_set_linger_zero(int fd) noexcept;
result<void> sock_set_reuse_address(int fd, bool on) noexcept;
result<void> sock_set_reuse_port(int fd, bool on) noexcept;
result<void> sock_set_no_delay(int fd, bool on) noexcept;
/// SO_KEEPALIVE, and TCP_KEEPIDLE in seconds when `idle_seconds` > 0.
result<void> sock_set_keep_alive(int fd, bool on, int idle_seconds) noexcept;
/// IPV6_V6ONLY.
result<void> sock_set_v6_only(int fd, bool on) noexcept;
/// Makes `fd` non-blocking and close-on-exec (for adopted descriptors).
result<void> set_nonblocking(int fd) noexcept;
/// True for the accept(2) errors that mean "out of descriptors or memory": EMFILE, ENFILE,
/// ENOBUFS, ENOMEM.
bool is_resource_exhaustion(const std::error_code& ec) noexcept;
/// True for accept(2) errors about one aborted connection that should simply be skipped.
bool is_transient_accept_error(const std::error_code& ec) noexcept;

}  // namespace eddy::detail
