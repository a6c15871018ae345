// SPDX-License-Identifier: MIT
#pragma once

#include <coroutine>
#include <cstddef>

#include "eddy/core/errors.hpp"
#include "eddy/runtime/detail/waiter_list.hpp"

namespace eddy {

/// A flag that tasks can wait for (asyncio.Event). Initially clear; `set()` releases every
/// waiting task, oldest first, and lets later waits through at once until `clear()`.
///
/// Use on one loop thread (DESIGN rule 1); `event_loop::post` a `set()` from other threads.
/// Destroying an event while tasks wait on it wakes them with `invalid_state_error`.
class event {
 public:
  /// Awaiter of `wait()`. Movable until awaited (so it can be passed to `with_timeout`).
  class [[nodiscard]] wait_awaiter : detail::sync_waiter {
   public:
    explicit wait_awaiter(event& ev) noexcept : event_(&ev) {}
    wait_awaiter(wait_awaiter&& o) noexcept : event_(o.event_) {}
    wait_awaiter& operator=(wait_awaiter&&) = delete;

    bool await_ready() const noexcept { return event_->set_; }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
      return park(h, event_->waiters_);
    }
    void await_resume() const {
      if (status_ == status::cancelled) throw cancelled_error();
      if (status_ == status::abandoned)
        throw invalid_state_error("eddy::event destroyed while a task waited for it");
    }

   private:
    event* event_;
  };

  event() noexcept = default;
  /// Starts already set if `initially_set`.
  explicit event(bool initially_set) noexcept : set_(initially_set) {}
  event(const event&) = delete;
  event& operator=(const event&) = delete;
  ~event() { waiters_.wake_all(detail::sync_waiter::status::abandoned); }

  /// Sets the flag and wakes every waiting task, in the order they started waiting; each
  /// resumes on its own loop on a later iteration. The woken waits complete normally even if
  /// `clear()` is called before they run. No effect if already set.
  void set() noexcept {
    if (set_) return;
    set_ = true;
    waiters_.wake_all(detail::sync_waiter::status::granted);
  }

  /// Clears the flag: later waits suspend until the next `set()`.
  void clear() noexcept { set_ = false; }

  /// True while the flag is set.
  bool is_set() const noexcept { return set_; }

  /// Number of tasks waiting.
  std::size_t waiting() const noexcept { return waiters_.size(); }

  /// `co_await ev.wait()` completes at once, without suspending, if the flag is set; otherwise
  /// it suspends until `set()`. Throws `cancelled_error` if the task is cancelled while waiting
  /// (it leaves the queue; the event is unchanged), and `invalid_state_error` if the event is
  /// destroyed meanwhile. Cancellation is noticed only when the wait has to suspend.
  wait_awaiter wait() noexcept { return wait_awaiter(*this); }

 private:
  detail::waiter_list waiters_;
  bool set_ = false;
};

}  // namespace eddy
