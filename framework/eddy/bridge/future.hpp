// SPDX-License-Identifier: MIT
#pragma once

#include <coroutine>
#include <exception>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "eddy/bridge/detail/ref_count.hpp"
#include "eddy/core/cancellation.hpp"
#include "eddy/core/errors.hpp"
#include "eddy/core/task.hpp"
#include "eddy/core/unique_function.hpp"
#include "eddy/runtime/event_loop.hpp"

namespace eddy {

template <class T>
class future;
template <class T>
class promise;

namespace detail {

/// State shared by a promise (any thread) and its futures (the loop thread). The mutex guards
/// only the outcome; waiter and callbacks are touched on the loop thread alone.
template <class T>
class future_state final : public ref_counted<future_state<T>> {
 public:
  using stored = std::conditional_t<std::is_void_v<T>, char, T>;
  enum status { pending, has_value, has_error, cancelled };

  explicit future_state(event_loop& loop) noexcept : loop_(&loop) {}

  /// Records the outcome unless one exists. Returns false if the future was cancelled; throws
  /// `invalid_state_error` if a value or exception was already set.
  template <class Fill>
  bool settle(status s, Fill&& fill) {
    {
      std::lock_guard lock(mutex_);
      if (status_ == cancelled) return false;
      if (status_ != pending) throw invalid_state_error("promise already satisfied");
      fill();
      status_ = s;
    }
    // Never resume inline: on the loop thread the notification takes the ready queue, from
    // another thread it takes `post`.
    this->add_ref();
    if (event_loop::current() == loop_) {
      loop_->schedule(&notify_trampoline, this);
    } else {
      loop_->post([self = ref_ptr<future_state>::adopt(this)] { self->notify(); });
    }
    return true;
  }

  /// Loop thread. Returns false if the outcome was already set.
  bool cancel() {
    {
      std::lock_guard lock(mutex_);
      if (status_ != pending) return false;
      status_ = cancelled;
    }
    notify();
    return true;
  }

  status current() const {
    std::lock_guard lock(mutex_);
    return status_;
  }

  void notify() noexcept {
    notified_ = true;
    if (waiter_) loop_->schedule(std::exchange(waiter_, {}));
    auto callbacks = std::move(callbacks_);
    callbacks_.clear();
    for (auto& cb : callbacks) {
      future<T> f{this_ref()};
      try {
        cb(f);
      } catch (...) {
        loop_->report(std::current_exception(), "future done callback");
      }
    }
  }

  ref_ptr<future_state> this_ref() noexcept {
    this->add_ref();
    return ref_ptr<future_state>::adopt(this);
  }

  mutable std::mutex mutex_;
  status status_ = pending;
  std::optional<stored> value_;
  std::exception_ptr error_;
  event_loop* loop_;
  // Loop thread only:
  bool notified_ = false;
  std::coroutine_handle<> waiter_;
  std::vector<unique_function<void(future<T>&)>> callbacks_;

 private:
  static void notify_trampoline(void* p) {
    auto self = ref_ptr<future_state>::adopt(static_cast<future_state*>(p));
    self->notify();
  }
};

}  // namespace detail

/// The consuming side of a `promise<T>`, bound to the loop that made it (asyncio.Future).
/// Copies share one state. Every member is for the loop's thread; only the promise may be used
/// elsewhere.
template <class T>
class future {
 public:
  using state = detail::future_state<T>;

  future() noexcept = default;
  explicit future(detail::ref_ptr<state> s) noexcept : s_(std::move(s)) {}

  /// True once a value or exception was set, or the future was cancelled.
  bool done() const { return s_->current() != state::pending; }
  /// True if `cancel()` won.
  bool cancelled() const { return s_->current() == state::cancelled; }

  /// Cancels the future: its awaiter resumes with `cancelled_error`, done callbacks run, and a
  /// later `set_value` is ignored (returns false). Returns false if it was already done.
  bool cancel() { return s_->cancel(); }

  /// The value. Throws `invalid_state_error` if not done, `cancelled_error` if cancelled, or
  /// the exception that was set.
  decltype(auto) result() const {
    switch (s_->current()) {
      case state::pending: throw invalid_state_error("future is not done");
      case state::cancelled: throw cancelled_error();
      case state::has_error: std::rethrow_exception(s_->error_);
      case state::has_value: break;
    }
    if constexpr (std::is_void_v<T>) return;
    else return static_cast<const T&>(*s_->value_);
  }

  /// Runs `fn(future&)` on the loop once the future is done — in the iteration that notices
  /// the outcome, or on the next iteration if it is done already (asyncio's
  /// add_done_callback). Exceptions go to the loop's exception handler.
  void add_done_callback(unique_function<void(future&)> fn) {
    if (s_->notified_) {
      s_->loop_->call_soon([f = *this, fn = std::move(fn)]() mutable { fn(f); });
      return;
    }
    s_->callbacks_.push_back(std::move(fn));
  }

  /// Waits for the outcome; resumes on the future's loop and returns the value (a copy, or
  /// the moved value for move-only types) or rethrows. Cancelling the waiting task cancels the
  /// future (asyncio semantics). One coroutine may wait at a time; a second concurrent waiter
  /// gets `invalid_state_error`.
  class awaiter : cancel_hook {
   public:
    explicit awaiter(detail::ref_ptr<state> s) noexcept : s_(std::move(s)) {}
    awaiter(const awaiter&) = delete;
    ~awaiter() {
      if (parked_ && s_->waiter_ == handle_) s_->waiter_ = {};
    }
    bool await_ready() const { return s_->notified_; }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) {
      if (s_->waiter_) throw invalid_state_error("future is already awaited");
      if (!arm(detail::token_of(h), &on_cancel)) {
        s_->cancel();
        return false;
      }
      handle_ = h;
      s_->waiter_ = h;
      parked_ = true;
      return true;
    }
    T await_resume() {
      disarm();
      parked_ = false;
      future f(s_);
      if constexpr (std::is_void_v<T>) {
        f.result();
      } else if constexpr (std::is_copy_constructible_v<T>) {
        return f.result();
      } else {
        f.result();
        return std::move(*s_->value_);
      }
    }

   private:
    static void on_cancel(cancel_hook* hook) noexcept {
      auto* self = static_cast<awaiter*>(hook);
      // If the outcome is already set, its notification resumes us with it.
      self->s_->cancel();
    }
    detail::ref_ptr<state> s_;
    std::coroutine_handle<> handle_;
    bool parked_ = false;
  };
  awaiter operator co_await() const noexcept { return awaiter(s_); }

  bool valid() const noexcept { return static_cast<bool>(s_); }

 private:
  detail::ref_ptr<state> s_;
};

/// The producing side: `set_value` / `set_exception` may be called from any thread, once. The
/// future's waiter and callbacks always run on the future's loop, never inline on the calling
/// thread. A promise destroyed without a result sets `invalid_state_error("broken promise")`.
template <class T>
class promise {
 public:
  using state = detail::future_state<T>;

  /// A promise whose future belongs to `loop`.
  explicit promise(event_loop& loop) : s_(detail::ref_ptr<state>::adopt(new state(loop))) {}
  promise(promise&&) noexcept = default;
  promise& operator=(promise&& o) noexcept {
    if (this != &o) {
      abandon();
      s_ = std::move(o.s_);
    }
    return *this;
  }
  promise(const promise&) = delete;
  ~promise() { abandon(); }

  /// The future; call as often as needed (copies share the state).
  future<T> get_future() const noexcept { return future<T>(s_); }

  /// Sets the value. Returns false (dropping it) if the future was cancelled; throws
  /// `invalid_state_error` if a value or exception was already set. Thread-safe.
  template <class... U>
  bool set_value(U&&... v) {
    return s_->settle(state::has_value, [&] {
      if constexpr (std::is_void_v<T>) s_->value_.emplace('\0');
      else s_->value_.emplace(std::forward<U>(v)...);
    });
  }

  /// Sets an exception, rethrown by `result()` and `co_await`. Same rules as `set_value`.
  bool set_exception(std::exception_ptr e) {
    return s_->settle(state::has_error, [&] { s_->error_ = std::move(e); });
  }

 private:
  void abandon() noexcept {
    if (!s_) return;
    if (s_->current() == state::pending) {
      try {
        set_exception(std::make_exception_ptr(invalid_state_error("broken promise")));
      } catch (...) {
        // Lost a race with another setter: nothing to report.
      }
    }
  }
  detail::ref_ptr<state> s_;
};

/// A promise whose future belongs to the loop running on this thread
/// (`loop.create_future()`).
template <class T = void>
promise<T> make_promise() {
  return promise<T>(detail::this_loop());
}

}  // namespace eddy
