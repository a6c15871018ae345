// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <coroutine>
#include <optional>
#include <utility>

#include "eddy/core/awaitable_traits.hpp"
#include "eddy/core/cancellation.hpp"
#include "eddy/core/errors.hpp"
#include "eddy/core/outcome.hpp"
#include "eddy/core/task.hpp"
#include "eddy/core/when_all.hpp"
#include "eddy/runtime/event_loop.hpp"

namespace eddy {
namespace detail {

enum class on_timeout { raise, give_up };

/// Runs a task shielded from the awaiting task's cancellation.
template <class T>
class [[nodiscard]] shield_awaitable {
 public:
  explicit shield_awaitable(task<T> t) noexcept : handle_(t.release()) {}
  shield_awaitable(const shield_awaitable&) = delete;
  ~shield_awaitable() {
    if (handle_) handle_.destroy();
  }
  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> parent) noexcept {
    handle_.promise().continuation_ = parent;
    handle_.promise().token_ = cancel_token{};
    return handle_;
  }
  non_void_t<T> await_resume() { return take_value(handle_); }

 private:
  std::coroutine_handle<task_promise<T>> handle_;
};

template <class T, on_timeout Mode>
class rescheduling_awaitable;

}  // namespace detail

/// A deadline that can be moved while the work it guards runs (asyncio's
/// `Timeout.reschedule`): a server pushes it forward at each phase of a connection (headers,
/// body, keep-alive idle) without allocating or restarting anything. Use with
/// `with_deadline`. Moving it later costs a store; moving it earlier re-queues the timer.
class deadline {
 public:
  deadline() noexcept = default;
  explicit deadline(time_point when) noexcept : when_(when) {}
  deadline(const deadline&) = delete;
  deadline& operator=(const deadline&) = delete;

  time_point when() const noexcept { return when_; }
  /// Moves the deadline to `when` (earlier or later).
  void reschedule(time_point when) noexcept {
    when_ = when;
    if (node_ && node_->queued() && when < node_->when) {
      loop_->remove_timer(*node_);
      node_->when = when;
      loop_->add_timer(*node_);
    }
  }
  /// Pushes the deadline `d` past the loop's current time.
  template <class Rep, class Period>
  void reschedule_after(std::chrono::duration<Rep, Period> d) noexcept {
    reschedule(loop_ ? loop_->now() + std::chrono::ceil<duration>(d)
                     : detail::this_loop().now() + std::chrono::ceil<duration>(d));
  }
  /// True once the deadline cancelled the work.
  bool expired() const noexcept { return expired_; }

 private:
  template <class T, detail::on_timeout Mode>
  friend class detail::rescheduling_awaitable;
  time_point when_ = time_point::max();
  event_loop* loop_ = nullptr;
  detail::timer_node* node_ = nullptr;
  bool expired_ = false;
};

namespace detail {

/// Runs a task under a movable deadline: a cancellation source linked to the parent's token
/// and a timer that cancels it. The timer re-reads the deadline when it fires and sleeps again
/// if it moved later. Only a cancellation that the timer caused is converted (asyncio's
/// `timeouts.py` does the same with `uncancel()`): if the parent is cancelled too, the
/// cancellation propagates unchanged. `Mode` says whether expiry throws `timeout_error` or
/// yields an empty optional.
template <class T, on_timeout Mode>
class [[nodiscard]] rescheduling_awaitable {
 public:
  rescheduling_awaitable(deadline& d, task<T> t) noexcept : handle_(t.release()), d_(&d) {}
  rescheduling_awaitable(const rescheduling_awaitable&) = delete;
  ~rescheduling_awaitable() {
    if (timer_.queued()) loop_->remove_timer(timer_);
    if (d_->node_ == &timer_) d_->node_ = nullptr;
    if (handle_) handle_.destroy();
  }
  bool await_ready() const noexcept { return false; }

  template <class P>
  auto await_suspend(std::coroutine_handle<P> parent) noexcept {
    loop_ = &this_loop();
    parent_ = parent;
    parent_token_ = token_of(parent);
    source_.link(parent_token_);
    auto& p = handle_.promise();
    p.token_ = source_.token();
    p.on_done_ = &on_child_done;
    p.done_ctx_ = this;
    d_->loop_ = loop_;
    d_->node_ = &timer_;
    d_->expired_ = false;
    timer_.when = d_->when_;
    timer_.fire = &on_fire;
    loop_->add_timer(timer_);
#if EDDY_SYMMETRIC_TRANSFER
    return std::coroutine_handle<>(handle_);
#else
    // As in task's awaiter: run inline, and go on without suspending if the work finished.
    starting_ = true;
    handle_.resume();
    if (!starting_) return false;
    starting_ = false;
    return true;
#endif
  }

  auto await_resume() {
    d_->node_ = nullptr;
    auto& p = handle_.promise();
    const bool ours = d_->expired_ && !parent_token_.cancel_requested() && p.ended_cancelled();
    if constexpr (Mode == on_timeout::raise) {
      if (ours) throw timeout_error();
      return take_value(handle_);
    } else {
      using V = non_void_t<T>;
      if (ours) return std::optional<V>();
      return std::optional<V>(take_value(handle_));
    }
  }

 private:
  struct node : timer_node {
    rescheduling_awaitable* self;
  };
  static std::coroutine_handle<> on_child_done(task_promise_base& p) noexcept {
    auto* self = static_cast<rescheduling_awaitable*>(p.done_ctx_);
    self->loop_->remove_timer(self->timer_);
    if (self->starting_) {
      self->starting_ = false;  // back to await_suspend, which continues without suspending
      return std::noop_coroutine();
    }
    return self->parent_;
  }
  static void on_fire(timer_node* n) noexcept {
    auto* self = static_cast<node*>(n)->self;
    if (self->d_->when_ > self->loop_->now()) {
      // Moved later meanwhile: sleep again until the new deadline.
      self->timer_.when = self->d_->when_;
      self->loop_->add_timer(self->timer_);
      return;
    }
    self->d_->expired_ = true;
    self->source_.request_cancel();
  }

  std::coroutine_handle<task_promise<T>> handle_;
  deadline* d_;
  event_loop* loop_ = nullptr;
  std::coroutine_handle<> parent_;
  cancel_token parent_token_;
  linked_cancel_source source_;
  node timer_{{}, this};
  bool starting_ = false;
};

/// A fixed deadline (`with_timeout`, `fail_after`, `move_on_after`): a `deadline` of its own
/// around the rescheduling awaitable.
template <class T, on_timeout Mode>
class [[nodiscard]] deadline_awaitable {
 public:
  deadline_awaitable(time_point when, task<T> t) noexcept : own_(when), inner_(own_, std::move(t)) {}
  deadline_awaitable(const deadline_awaitable&) = delete;
  bool await_ready() const noexcept { return false; }
  template <class P>
  auto await_suspend(std::coroutine_handle<P> parent) noexcept {
    return inner_.await_suspend(parent);
  }
  auto await_resume() { return inner_.await_resume(); }
  /// True if the deadline expired (whether or not the work noticed).
  bool expired() const noexcept { return own_.expired(); }

 private:
  deadline own_;
  rescheduling_awaitable<T, Mode> inner_;
};

template <class D>
time_point deadline_after(D d) {
  return this_loop().now() + std::chrono::ceil<duration>(d);
}

}  // namespace detail

/// Awaits `aw` with a time limit (asyncio.wait_for). When `d` elapses the work is cancelled,
/// awaited until it has unwound, and `timeout_error` is thrown. If the awaiting task itself is
/// cancelled, `cancelled_error` propagates instead. Yields the work's value otherwise.
template <class Rep, class Period, class A>
  requires awaitable<A>
auto with_timeout(std::chrono::duration<Rep, Period> d, A aw) {
  return detail::deadline_awaitable<await_result_t<A>, detail::on_timeout::raise>(
      detail::deadline_after(d), as_task(std::move(aw)));
}

/// The scope form of `with_timeout` (trio/anyio's fail_after): the work inside must finish
/// within `d` or `timeout_error` is thrown.
template <class Rep, class Period, class A>
  requires awaitable<A>
auto fail_after(std::chrono::duration<Rep, Period> d, A aw) {
  return with_timeout(d, std::move(aw));
}

/// Like `fail_after` with an absolute deadline (loop time).
template <class A>
  requires awaitable<A>
auto fail_at(time_point deadline, A aw) {
  return detail::deadline_awaitable<await_result_t<A>, detail::on_timeout::raise>(
      deadline, as_task(std::move(aw)));
}

/// Gives the work `d` to finish; on expiry it is cancelled and `std::nullopt` is returned
/// instead of throwing (trio's move_on_after). Yields `std::optional<T>` (`void_value` for
/// `void` work).
template <class Rep, class Period, class A>
  requires awaitable<A>
auto move_on_after(std::chrono::duration<Rep, Period> d, A aw) {
  return detail::deadline_awaitable<await_result_t<A>, detail::on_timeout::give_up>(
      detail::deadline_after(d), as_task(std::move(aw)));
}

/// Like `move_on_after` with an absolute deadline (loop time).
template <class A>
  requires awaitable<A>
auto move_on_at(time_point deadline, A aw) {
  return detail::deadline_awaitable<await_result_t<A>, detail::on_timeout::give_up>(
      deadline, as_task(std::move(aw)));
}

/// Awaits `aw` under a movable deadline: when `d.when()` passes, the work is cancelled and
/// `timeout_error` is thrown (as `fail_at`), but `d.reschedule(...)` may move it meanwhile.
template <class A>
  requires awaitable<A>
auto with_deadline(deadline& d, A aw) {
  return detail::rescheduling_awaitable<await_result_t<A>, detail::on_timeout::raise>(
      d, as_task(std::move(aw)));
}

/// Runs `aw` protected from the awaiting task's cancellation: it runs to completion even if the
/// caller is cancelled meanwhile; the caller sees its cancellation at its next wait. Use it
/// for cleanup that must finish (flushing, a graceful close).
template <class A>
  requires awaitable<A>
auto shield(A aw) {
  return detail::shield_awaitable<await_result_t<A>>(as_task(std::move(aw)));
}

}  // namespace eddy
