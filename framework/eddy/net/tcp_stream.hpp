// SPDX-License-Identifier: MIT
#pragma once

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "eddy/core/result.hpp"
#include "eddy/core/task.hpp"
#include "eddy/net/address.hpp"
#include "eddy/net/detail/socket_ops.hpp"
#include "eddy/net/unique_fd.hpp"
#include "eddy/runtime/event_loop.hpp"
#include "eddy/runtime/io.hpp"

namespace eddy {

namespace detail {

/// `sock_recv` on a stream socket, tracking readiness in `st` (see `io_state::read_ready`): a
/// read that drained the socket marks it not ready, and a read while not ready says EAGAIN
/// without a system call. Only for stream sockets: a short datagram says nothing about the
/// next one.
inline result<std::size_t> stream_recv(io_state& st, int fd, std::span<char> buf) noexcept {
  if (!st.read_ready && !st.hangup) return std::error_code(EAGAIN, std::system_category());
  auto n = sock_recv(fd, buf);
  if (!st.hangup && (n ? (*n > 0 && *n < buf.size()) : is_would_block(n))) st.read_ready = false;
  return n;
}

}  // namespace detail

/// Options for `tcp_stream::connect`.
struct connect_options {
  /// Limit for the whole connect: resolution plus every attempt. Exceeding it yields
  /// `errc::timed_out`.
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  /// Happy Eyeballs (RFC 8305 "Connection Attempt Delay"): when a host has several
  /// addresses, the next one is tried after this long while the previous attempts keep
  /// going; the first to connect wins and the others are cancelled.
  std::chrono::milliseconds attempt_delay{250};
  /// TCP_NODELAY on the connected socket (on by default: eddy writes whole messages).
  bool no_delay = true;
};

/// A connected stream socket (TCP, or a Unix-domain stream socket) registered with the loop
/// it was created on. Satisfies `byte_stream`. Move-only; use on its loop's thread. At most
/// one read and one write may be in flight at a time.
///
/// Reads and writes try the system call first and park in the reactor only on EAGAIN; they
/// allocate nothing. All I/O returns `result<T>`: OS errors as `std::system_category()`
/// codes, `errc::operation_canceled` when the awaiting task is cancelled (no bytes were
/// transferred by the cancelled call), `errc::not_connected` after `close()`.
class tcp_stream {
 public:
  /// A closed stream.
  tcp_stream() noexcept = default;
  tcp_stream(tcp_stream&&) noexcept = default;
  tcp_stream& operator=(tcp_stream&&) noexcept;
  ~tcp_stream();

  /// Wraps a connected socket (made non-blocking here) and registers it with `loop`.
  /// Fails with the OS error if the registration fails; the descriptor is then closed.
  static result<tcp_stream> adopt(unique_fd fd, event_loop& loop);
  /// `adopt` on the running loop.
  static result<tcp_stream> adopt(unique_fd fd);

  /// Connects to `host`:`port` (open_connection). A numeric host is used as is; a name is
  /// resolved with `resolver` and its addresses are raced Happy-Eyeballs style (RFC 8305):
  /// families interleaved, a new attempt every `attempt_delay` or as soon as one fails, the
  /// first success wins and the other attempts are cancelled. Completes on the calling task's loop. Errors:
  /// `errc::host_not_found`, `errc::timed_out`, the last attempt's OS error
  /// (`connection_refused`, ...), or `errc::operation_canceled`.
  static task<result<tcp_stream>> connect(std::string host, std::uint16_t port,
                                          connect_options options = {});
  /// Races connections to `candidates` in the given order, Happy-Eyeballs style (see above),
  /// for callers that resolved names themselves. No candidates: `errc::host_not_found`.
  static task<result<tcp_stream>> connect(std::vector<address> candidates, connect_options options = {});
  /// Connects to one address (IPv4, IPv6 or a Unix path) with `options.timeout`.
  static task<result<tcp_stream>> connect(address to, connect_options options = {});

  /// Reads up to `buf.size()` bytes; completes when at least one byte arrived (0 at end of
  /// stream).
  auto read_some(std::span<char> buf) {
    return io_operation(reg(), io_direction::read, [fd = fd_of(), buf, st = &reg().state()] {
      return detail::stream_recv(*st, fd, buf);
    });
  }
  /// Writes at least one byte of `buf` (returns how many); waits while the socket buffer is
  /// full. `std::errc::broken_pipe` / `connection_reset` when the peer is gone (no SIGPIPE).
  auto write_some(std::span<const char> buf) {
    return io_operation(reg(), io_direction::write,
                        [fd = fd_of(), buf] { return detail::sock_send(fd, buf); });
  }
  /// Sends at least one byte of the `count` bytes of file `file_fd` that start at `offset`,
  /// straight from the page cache (sendfile(2)); waits while the socket buffer is full.
  /// Returns how many were sent; 0 when the file ends before `offset`. Errors as
  /// `write_some`.
  auto send_file(int file_fd, std::uint64_t offset, std::size_t count) {
    return io_operation(reg(), io_direction::write, [fd = fd_of(), file_fd, offset, count] {
      return detail::sock_sendfile(fd, file_fd, offset, count);
    });
  }
  /// Gathered `write_some`: writes at least one byte from `bufs` in one system call.
  auto writev_some(std::span<const std::span<const char>> bufs) {
    return io_operation(reg(), io_direction::write,
                        [fd = fd_of(), bufs] { return detail::sock_sendv(fd, bufs); });
  }
  /// Writes all of `buf`, awaiting socket-buffer space as needed (asyncio's write + drain).
  /// Yields `buf.size()` once everything was handed to the kernel. An awaiter, not a
  /// coroutine: no allocation, and a write that completes at once does not suspend. On error
  /// the bytes already written are not reported; the stream should be closed.
  auto write(std::span<const char> buf) {
    return io_operation(reg(), io_direction::write,
                        [fd = fd_of(), rest = buf, total = buf.size()]() mutable -> result<std::size_t> {
                          while (!rest.empty()) {
                            auto n = detail::sock_send(fd, rest);
                            if (!n) return n;  // EAGAIN parks; the retry continues from `rest`
                            rest = rest.subspan(*n);
                          }
                          return total;
                        });
  }
  /// Writes every buffer of `bufs` in order with as few system calls as possible.
  task<result<void>> writev(std::span<const std::span<const char>> bufs);

  /// Reads without waiting: the bytes available now, 0 at end of stream, or EAGAIN. Like
  /// `read_some` it skips the system call when the last read drained the socket and nothing
  /// was reported since (see `read_would_block`); a FIN or reset the loop has been told of is
  /// always read.
  result<std::size_t> try_read_some(std::span<char> buf) noexcept {
    return detail::stream_recv(reg().state(), fd_of(), buf);
  }
  /// Writes without waiting: how many bytes of `buf` the socket took now (at least one), or
  /// EAGAIN when its buffer is full (then `write_some` waits). Errors as `write_some`.
  result<std::size_t> try_write_some(std::span<const char> buf) noexcept { return detail::sock_send(fd_of(), buf); }
  /// True when the last read drained the socket and the loop has reported nothing readable
  /// since, so a read now would only say EAGAIN (callers can go straight to
  /// `wait_readable`). Never true after the peer closed its side.
  bool read_would_block() noexcept { return !reg().state().read_ready; }
  /// Waits until the socket may be readable again, without reading. Edge-triggered: call it
  /// after a read returned EAGAIN. Lets an idle connection wait without holding a buffer.
  auto wait_readable() { return wait_ready(reg(), io_direction::read); }
  /// Waits until the socket may be readable, until `when` (loop time; `errc::timed_out`
  /// then). Completes at once unless the last read drained the socket and nothing was
  /// reported since (`read_would_block`). Needs no coroutine frame of its own.
  auto wait_readable_until(time_point when) noexcept {
    return wait_ready_until(reg(), io_direction::read, when, !read_would_block());
  }

  /// Sends FIN (half-close): the peer reads end of stream; this side can still read.
  result<void> shutdown_write() noexcept;
  /// Closes the socket (graceful: unsent kernel-buffered data is still delivered). No read
  /// or write may be in flight. Idempotent.
  void close() noexcept;
  /// Closes with RST instead of FIN (SO_LINGER 0): the peer sees `connection_reset`, and
  /// buffered data is discarded. No read or write may be in flight. Idempotent.
  void abort() noexcept;

  /// True until `close()` / `abort()`.
  bool is_open() const noexcept { return impl_ != nullptr; }
  /// The remote endpoint.
  result<address> peer_address() const noexcept;
  /// The local endpoint.
  result<address> local_address() const noexcept;
  /// TCP_NODELAY (default on for eddy streams; fails for Unix sockets).
  result<void> set_no_delay(bool on) noexcept;
  /// SO_KEEPALIVE, with the idle time before the first probe when `idle` is positive.
  result<void> set_keep_alive(bool on, std::chrono::seconds idle = {}) noexcept;
  /// Deregisters from the loop and gives up the descriptor (for `transport::start` and other
  /// owners that drive the socket themselves); the stream is closed afterwards. No read or
  /// write may be in flight.
  unique_fd release() noexcept;
  /// The descriptor (-1 when closed). Still owned by the stream.
  int native_handle() const noexcept { return impl_ ? impl_->fd.get() : -1; }

 private:
  struct impl {
    unique_fd fd;
    io_registration reg;
  };
  // Operations on a closed stream fail with not_connected: a dummy registration with fd -1
  // makes every syscall fail with EBADF, which we map in the .cpp for the non-awaiting calls.
  io_registration& reg() noexcept { return impl_ ? impl_->reg : closed_registration(); }
  static io_registration& closed_registration() noexcept;
  int fd_of() const noexcept { return impl_ ? impl_->fd.get() : -1; }
  std::unique_ptr<impl> impl_;
};

}  // namespace eddy
