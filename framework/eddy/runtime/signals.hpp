// SPDX-License-Identifier: MIT
#pragma once

#include <initializer_list>
#include <vector>

#include "eddy/core/result.hpp"
#include "eddy/runtime/event_loop.hpp"
#include "eddy/runtime/io.hpp"

namespace eddy {

/// Receives POSIX signals as awaitable events (asyncio's add_signal_handler):
/// `int s = co_await signals({SIGINT, SIGTERM}).wait();`.
///
/// While at least one `signals` object lists a signal, eddy's handler is installed for it (the
/// previous disposition is restored when the last one goes away). Every `signals` object that
/// lists the signal receives it; deliveries that arrive while nobody waits are queued and
/// returned by the next `wait()`. The handler only writes one byte to a pipe, so it is
/// async-signal-safe and wakes the loop through the reactor. Construct on the loop's thread.
class signals {
 public:
  /// Watches `numbers` on `loop` (default: the running loop). Throws `std::system_error` if a
  /// pipe cannot be made or a handler cannot be installed, `std::invalid_argument` for a bad
  /// signal number or more than 64 concurrent `signals` objects.
  explicit signals(std::initializer_list<int> numbers);
  signals(event_loop& loop, std::initializer_list<int> numbers);
  signals(const signals&) = delete;
  signals& operator=(const signals&) = delete;
  ~signals();

  /// Waits for the next watched signal and returns its number. Throws `cancelled_error` if the
  /// waiting task is cancelled.
  task<int> wait();

 private:
  int slot_ = -1;
  int read_fd_ = -1;
  int write_fd_ = -1;
  io_registration reg_;
  std::vector<int> numbers_;
};

namespace detail {

/// Used by `eddy::run`: while alive, the first SIGINT calls `on_interrupt` unless some
/// `signals` object watches SIGINT itself. Installed only if SIGINT has its default
/// disposition. `reraise()` restores the default disposition and raises SIGINT again, so the
/// process ends the way an uncaught Ctrl-C ends it (exit status 130 in a shell).
class interrupt_guard : io_waiter {
 public:
  interrupt_guard(event_loop& loop, unique_function<void()> on_interrupt);
  ~interrupt_guard();
  interrupt_guard(const interrupt_guard&) = delete;
  interrupt_guard& operator=(const interrupt_guard&) = delete;
  bool fired() const noexcept { return fired_; }
  [[noreturn]] void reraise();

 private:
  static bool on_signal(io_waiter* w) noexcept;
  bool fired_ = false;
  int slot_ = -1;
  int read_fd_ = -1;
  int write_fd_ = -1;
  io_registration reg_;
  unique_function<void()> on_interrupt_;
};

}  // namespace detail
}  // namespace eddy
