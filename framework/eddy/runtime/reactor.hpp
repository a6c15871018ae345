// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <coroutine>

namespace eddy::detail {

/// An operation parked until its file descriptor becomes ready. It lives in the awaiter of the
/// waiting coroutine (no allocation per wait).
struct io_waiter {
  /// Called on the loop thread when the fd reports readiness for this direction (or an
  /// error/hang-up). Retries the operation; returns true when it finished (the loop then
  /// schedules `handle`), false to stay parked (a spurious wake-up: EAGAIN again).
  bool (*on_ready)(io_waiter*) noexcept = nullptr;
  std::coroutine_handle<> handle;
};

/// Per-descriptor reactor state. Registered once for both directions, edge-triggered.
struct io_state {
  int fd = -1;
  io_waiter* reader = nullptr;
  io_waiter* writer = nullptr;
  /// False once a stream read drained the socket (a short read, or EAGAIN) and nothing was
  /// reported readable since: the next read would only say EAGAIN, so stream reads wait for
  /// the next report instead of asking (one system call fewer per message; tokio does the
  /// same). Set again by every readable report.
  bool read_ready = true;
  /// The peer closed its side or the socket failed (EPOLLRDHUP/HUP/ERR, EV_EOF). Sticky: from
  /// then on reads always ask the kernel, so end of stream is never missed.
  bool hangup = false;
};

/// Readiness reported for one descriptor by `reactor::poll`.
struct io_event {
  io_state* state;
  bool readable;   // includes EOF, hang-up and errors: the retried operation reports them
  bool writable;
  bool hangup;     // peer closed its side, or an error (see io_state::hangup)
};

/// The OS readiness notifier: epoll on Linux (epoll_reactor.cpp), kqueue on BSD/macOS
/// (kqueue_reactor.cpp). CMake compiles exactly one. Only `wake()` is thread-safe.
class reactor {
 public:
  reactor();
  ~reactor();
  reactor(const reactor&) = delete;
  reactor& operator=(const reactor&) = delete;

  /// Registers `s.fd` (non-blocking) for edge-triggered read and write readiness.
  /// Returns 0 or an errno value.
  int add(io_state& s) noexcept;
  /// Deregisters `s.fd`. Call before closing the descriptor.
  void remove(io_state& s) noexcept;

  /// Waits up to `timeout` (negative: without limit; zero: does not block) and calls
  /// `sink(ctx, event)` for each ready descriptor. Returns the number of events. A `wake()`
  /// from any thread ends the wait early and is not reported as an event.
  int poll(std::chrono::nanoseconds timeout, void (*sink)(void*, const io_event&), void* ctx);

  /// Ends a concurrent or the next `poll` early. Safe from any thread and from signal
  /// handlers.
  void wake() noexcept;

 private:
  int fd_ = -1;       // epoll or kqueue descriptor
  int wake_fd_ = -1;  // eventfd (epoll); unused with kqueue's EVFILT_USER
};

}  // namespace eddy::detail
