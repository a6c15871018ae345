// SPDX-License-Identifier: MIT
#pragma once

#include <coroutine>
#include <cstdint>

#include "eddy/core/cancellation.hpp"
#include "eddy/core/errors.hpp"
#include "eddy/core/task.hpp"
#include "eddy/runtime/event_loop.hpp"

namespace eddy {

/// Awaiter of `sleep_for` / `sleep_until`. It holds its own timer node: sleeping allocates
/// nothing.
class [[nodiscard]] sleep_awaiter : cancel_hook, detail::timer_node {
 public:
  explicit sleep_awaiter(time_point when, bool yield_only = false) noexcept {
    this->when = when;
    user_flags = yield_only ? yield_only_flag : 0;
  }
  /// Movable until awaited (so it can be handed to `with_timeout` and friends).
  sleep_awaiter(sleep_awaiter&& o) noexcept {
    when = o.when;
    user_flags = o.user_flags;
  }
  sleep_awaiter& operator=(sleep_awaiter&&) = delete;
  ~sleep_awaiter() {
    if (queued()) loop_->remove_timer(*this);
  }

  bool await_ready() const noexcept { return false; }

  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    handle_ = h;
    loop_ = &detail::this_loop();
    if (!arm(detail::token_of(h), &on_cancel)) {
      user_flags |= cancelled_flag;
      return false;
    }
    if (user_flags & yield_only_flag) {
      // sleep_for(0): let every other ready coroutine run once (asyncio.sleep(0)).
      disarm();
      loop_->schedule(h);
      return true;
    }
    fire = &on_fire;
    loop_->add_timer(*this);
    return true;
  }

  /// Throws `cancelled_error` if the sleeping task was cancelled.
  void await_resume() const {
    if (user_flags & cancelled_flag) throw cancelled_error();
  }

 private:
  // The awaiter is its own timer node and cancellation hook: a sleeping task's frame holds
  // nothing else (a million sleeping tasks must fit in 256 MiB).
  static void on_fire(detail::timer_node* n) noexcept {
    auto* self = static_cast<sleep_awaiter*>(n);
    self->disarm();
    self->loop_->schedule(self->handle_);
  }
  static void on_cancel(cancel_hook* hook) noexcept {
    auto* self = static_cast<sleep_awaiter*>(hook);
    self->loop_->remove_timer(*self);
    self->user_flags |= cancelled_flag;
    self->loop_->schedule(self->handle_);
  }

  static constexpr std::uint8_t yield_only_flag = 1;
  static constexpr std::uint8_t cancelled_flag = 2;
  event_loop* loop_ = nullptr;
  std::coroutine_handle<> handle_;
};

/// Suspends the calling task until `when` (loop time). Throws `cancelled_error` on
/// cancellation; the timer is removed at once.
inline sleep_awaiter sleep_until(time_point when) noexcept { return sleep_awaiter(when); }

/// Suspends the calling task for `d`. `sleep_for(0s)` yields to the other ready tasks once.
/// Resumes on the task's own loop. Throws `cancelled_error` on cancellation.
template <class Rep, class Period>
sleep_awaiter sleep_for(std::chrono::duration<Rep, Period> d) noexcept {
  if (d <= d.zero()) return sleep_awaiter(time_point{}, true);
  return sleep_awaiter(detail::this_loop().now() +
                       std::chrono::ceil<duration>(d));
}

/// Lets every other ready task run once before continuing (asyncio.sleep(0)).
inline sleep_awaiter yield() noexcept { return sleep_awaiter(time_point{}, true); }

}  // namespace eddy
