// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <coroutine>
#include <memory>
#include <optional>

#include "eddy/core/result.hpp"
#include "eddy/core/task.hpp"
#include "eddy/net/address.hpp"
#include "eddy/net/detail/socket_ops.hpp"
#include "eddy/net/tcp_stream.hpp"
#include "eddy/net/unique_fd.hpp"
#include "eddy/runtime/event_loop.hpp"
#include "eddy/runtime/io.hpp"

namespace eddy {

/// Options for `tcp_listener`.
struct listen_options {
  /// Length of the kernel's queue of connections not yet accepted (capped by somaxconn).
  int backlog = 1024;
  /// SO_REUSEADDR: rebinding a port whose old connections sit in TIME_WAIT works at once.
  bool reuse_address = true;
  /// SO_REUSEPORT: several listeners (one per worker thread) share the port and the kernel
  /// spreads connections across them.
  bool reuse_port = false;
  /// TCP_NODELAY on every accepted stream.
  bool no_delay = true;
  /// After EMFILE/ENFILE (out of descriptors), `accept` waits this long before trying again
  /// while already-accepted connections keep being served.
  std::chrono::milliseconds exhaustion_backoff{100};
};

/// A listening stream socket (TCP over IPv4/IPv6, or a Unix-domain path) on the loop it was
/// created on (asyncio's Server without the serving loop). Move-only; use on its loop's thread.
class tcp_listener {
 public:
  /// A closed listener.
  tcp_listener() noexcept = default;
  /// Binds and listens on `at` on the running loop. Port 0 picks a free port: read it back
  /// with `local_address()`. Throws `std::system_error` if the socket cannot be bound (port in
  /// use, permission) or listened on (construction errors throw; DESIGN "Error model").
  explicit tcp_listener(const address& at, listen_options options = {});
  /// The same on `loop`.
  tcp_listener(event_loop& loop, const address& at, listen_options options = {});
  tcp_listener(tcp_listener&&) noexcept = default;
  tcp_listener& operator=(tcp_listener&&) noexcept;
  ~tcp_listener();

  class accept_awaiter;
  /// Waits for the next connection and returns it as a registered `tcp_stream` on this loop.
  /// When a connection is already queued it completes without suspending and without
  /// allocating. Aborted handshakes are skipped. When the process runs out of descriptors
  /// (EMFILE/ENFILE, also ENOBUFS/ENOMEM) the listener logs one line to stderr (once per
  /// listener), waits `exhaustion_backoff` and retries, so that the server keeps serving its
  /// existing connections and resumes accepting as soon as descriptors are freed. Errors:
  /// `errc::operation_canceled` on cancellation, `errc::not_connected` after `close()`,
  /// other OS errors as they come.
  accept_awaiter accept() noexcept;

  /// Accepts a queued connection without waiting: EAGAIN (as a system error) when none is
  /// queued, or the accept error.
  result<tcp_stream> try_accept();

  /// The bound address (with the port the kernel picked for port 0).
  address local_address() const noexcept { return impl_ ? impl_->local : address(); }
  /// Stops listening: pending unaccepted connections are reset. No `accept` may be in flight.
  void close() noexcept;
  /// True until `close()`.
  bool is_open() const noexcept { return impl_ != nullptr; }
  /// The descriptor (-1 when closed).
  int native_handle() const noexcept { return impl_ ? impl_->fd.get() : -1; }
  /// How many times `accept` backed off because descriptors ran out.
  std::size_t exhaustion_count() const noexcept { return impl_ ? impl_->exhaustions : 0; }

 private:
  struct impl {
    unique_fd fd;
    io_registration reg;
    address local;
    listen_options options;
    std::size_t exhaustions = 0;
    bool logged = false;
  };
  task<result<tcp_stream>> accept_slow();
  std::unique_ptr<impl> impl_;
};

/// Awaiter of `tcp_listener::accept`: a speculative accept first; only if nothing is queued
/// (or descriptors ran out) does it start the waiting coroutine. Keeping the common path out
/// of a coroutine also keeps accept loops from nesting stack frames when many connections are
/// queued (symmetric transfer is not a guaranteed tail call in unoptimised builds).
class [[nodiscard]] tcp_listener::accept_awaiter {
 public:
  explicit accept_awaiter(tcp_listener& l) noexcept : listener_(&l) {}
  bool await_ready() {
    auto r = listener_->try_accept();
    if (!r && (detail::is_would_block(r) || detail::is_resource_exhaustion(r.error()))) return false;
    ready_.emplace(std::move(r));
    return true;
  }
  template <class P>
  auto await_suspend(std::coroutine_handle<P> h) {
    slow_.emplace(listener_->accept_slow().operator co_await());
    return slow_->await_suspend(h);  // whatever the task awaiter returns (handle or bool)
  }
  result<tcp_stream> await_resume() {
    if (ready_) return std::move(*ready_);
    return slow_->await_resume();
  }

 private:
  tcp_listener* listener_;
  std::optional<result<tcp_stream>> ready_;
  std::optional<task<result<tcp_stream>>::awaiter> slow_;
};

inline tcp_listener::accept_awaiter tcp_listener::accept() noexcept { return accept_awaiter(*this); }

}  // namespace eddy
