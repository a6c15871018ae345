// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <coroutine>
#include <cstdio>
#include <exception>
#include <mutex>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "eddy/bridge/detail/ref_count.hpp"
#include "eddy/core/cancellation.hpp"
#include "eddy/core/errors.hpp"
#include "eddy/core/task.hpp"
#include "eddy/core/unique_function.hpp"
#include "eddy/runtime/event_loop.hpp"

namespace eddy {

/// Options for `from_callback`.
struct from_callback_options {
  /// Runs on the loop thread when the awaiting task is cancelled before the callback fired:
  /// abort the library's operation here. The callback may still fire later; it is ignored.
  unique_function<void()> on_cancel;
};

namespace detail {

template <class... Args>
struct callback_value {
  using type = std::tuple<std::decay_t<Args>...>;
};
template <>
struct callback_value<> {
  using type = void;
};
template <class A>
struct callback_value<A> {
  using type = std::decay_t<A>;
};

/// The state shared by the awaiting coroutine (loop thread) and the callback (any thread).
template <class... Args>
class callback_state final : public ref_counted<callback_state<Args...>> {
 public:
  using value_type = typename callback_value<Args...>::type;
  using stored = std::conditional_t<std::is_void_v<value_type>, char, value_type>;
  enum status { pending, done, cancelled, abandoned };

  explicit callback_state(event_loop& loop) noexcept : loop_(&loop) {}

  /// Stores the outcome and wakes the waiter. A late call (after cancellation or after the
  /// waiter went away) is dropped.
  template <class Fill>
  void settle(Fill&& fill) {
    event_loop* const here = event_loop::current();
    std::coroutine_handle<> h;
    event_loop* loop;
    bool post = false;
    {
      std::lock_guard lock(mutex_);
      if (status_ != pending) return;
      fill();
      status_ = done;
      h = std::exchange(waiter_, {});
      loop = loop_;
      if (h && here != loop) {
        // From another thread the handle is re-read on the loop: the waiting frame may be
        // destroyed before the posted function runs.
        resume_pending_ = std::exchange(h, {});
        post = true;
      }
    }
    // No handle: fired synchronously inside `initiate`, and await_suspend sees it.
    if (h) loop->schedule(h);
    if (post) loop->post([s = this_ref()] { s->resume_on_loop(); });
  }

  void resume_on_loop() noexcept {
    std::coroutine_handle<> h;
    {
      std::lock_guard lock(mutex_);
      h = std::exchange(resume_pending_, {});
    }
    if (h) loop_->schedule(h);
  }

  /// Reports a misuse to the loop's exception handler, from any thread.
  void report_misuse(const char* what) {
    event_loop* loop;
    {
      std::lock_guard lock(mutex_);
      loop = loop_;
    }
    if (!loop) {
      std::fprintf(stderr, "eddy: %s\n", what);  // the awaiting side is gone; still never silent
      return;
    }
    auto e = std::make_exception_ptr(invalid_state_error(what));
    if (event_loop::current() == loop) {
      loop->report(e, "from_callback");
    } else {
      loop->post([loop, e] { loop->report(e, "from_callback"); });
    }
  }

  ref_ptr<callback_state> this_ref() noexcept {
    this->add_ref();
    return ref_ptr<callback_state>::adopt(this);
  }

  std::mutex mutex_;
  status status_ = pending;
  std::optional<stored> value_;
  std::exception_ptr error_;
  event_loop* loop_;                       // null once the awaiter is gone
  std::coroutine_handle<> waiter_;         // set while parked
  std::coroutine_handle<> resume_pending_; // handed from a foreign thread to the loop
  std::atomic<int> calls_{0};
  std::atomic<int> handles_{0};            // live copies of the completion callback
};

}  // namespace detail

template <class Sig>
class completion;

/// The callback handed to the library by `from_callback`: copyable, callable from any thread,
/// exactly once, while the awaiting task's loop exists. A second call is ignored and reported to the loop's exception handler. When
/// the last copy is destroyed without having been called, the awaiting task resumes with
/// `invalid_state_error` instead of hanging.
template <class... Args>
class completion<void(Args...)> {
 public:
  using state = detail::callback_state<Args...>;

  explicit completion(detail::ref_ptr<state> s) noexcept : s_(std::move(s)) { s_->handles_.fetch_add(1); }
  completion(const completion& o) noexcept : s_(o.s_) { s_->handles_.fetch_add(1); }
  completion(completion&& o) noexcept : s_(o.s_) { s_->handles_.fetch_add(1); }
  completion& operator=(const completion&) = delete;
  ~completion() {
    if (s_->handles_.fetch_sub(1) == 1 && s_->calls_.load() == 0) {
      s_->settle([&] {
        s_->error_ = std::make_exception_ptr(
            invalid_state_error("from_callback: the callback was destroyed without being called"));
      });
    }
  }

  /// Completes the awaiting operation with `args` (one argument: that value; several: a
  /// tuple). Thread-safe; never resumes the coroutine inline.
  void operator()(Args... args) const {
    if (s_->calls_.fetch_add(1) != 0) {
      s_->report_misuse("from_callback: the callback was called more than once");
      return;
    }
    s_->settle([&] {
      if constexpr (sizeof...(Args) == 0) s_->value_.emplace('\0');
      else if constexpr (sizeof...(Args) == 1) s_->value_.emplace(std::forward<Args>(args)...);
      else s_->value_.emplace(std::forward<Args>(args)...);
    });
  }

 private:
  detail::ref_ptr<state> s_;
};

namespace detail {

template <class Sig, class Initiate>
class from_callback_awaiter;

template <class... Args, class Initiate>
class [[nodiscard]] from_callback_awaiter<void(Args...), Initiate> : cancel_hook {
 public:
  using state = callback_state<Args...>;
  using value_type = typename state::value_type;

  from_callback_awaiter(Initiate initiate, from_callback_options options)
      : initiate_(std::move(initiate)), options_(std::move(options)) {}
  /// Movable until awaited.
  from_callback_awaiter(from_callback_awaiter&& o) noexcept
      : initiate_(std::move(o.initiate_)), options_(std::move(o.options_)) {}
  from_callback_awaiter(const from_callback_awaiter&) = delete;
  ~from_callback_awaiter() {
    if (!s_) return;
    bool never_called = false;
    {
      std::lock_guard lock(s_->mutex_);
      if (s_->status_ == state::pending) {
        s_->status_ = state::abandoned;
        never_called = true;
      }
      s_->waiter_ = {};
      s_->resume_pending_ = {};
      // A completed operation keeps its loop so that a second call can still be reported;
      // otherwise late callbacks must not touch a loop that may be gone.
      if (s_->status_ != state::done) s_->loop_ = nullptr;
    }
    if (never_called) {
      loop_->report(std::make_exception_ptr(invalid_state_error(
                        "from_callback: task destroyed while its callback was never called")),
                    "from_callback");
    }
  }

  bool await_ready() const noexcept { return false; }

  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    loop_ = &this_loop();
    if (!arm(token_of(h), &on_cancel)) {
      cancelled_ = true;
      return false;
    }
    s_ = ref_ptr<state>::adopt(new state(*loop_));
    try {
      initiate_(completion<void(Args...)>(s_));
    } catch (...) {
      std::lock_guard lock(s_->mutex_);
      if (s_->status_ == state::pending) s_->status_ = state::abandoned;  // late call ignored
      disarm();
      throw;
    }
    std::lock_guard lock(s_->mutex_);
    if (s_->status_ == state::done) return false;  // fired synchronously inside initiate
    s_->waiter_ = h;
    return true;
  }

  value_type await_resume() {
    disarm();
    if (cancelled_) throw cancelled_error();
    // Take the exception out of the shared state: the state may be released last by the
    // library's thread, and the exception (and the strings it shares) must die on this one.
    if (s_->error_) std::rethrow_exception(std::exchange(s_->error_, nullptr));
    if constexpr (!std::is_void_v<value_type>) return std::move(*s_->value_);
  }

 private:
  static void on_cancel(cancel_hook* hook) noexcept {
    auto* self = static_cast<from_callback_awaiter*>(hook);
    std::coroutine_handle<> h;
    {
      std::lock_guard lock(self->s_->mutex_);
      if (self->s_->status_ != state::pending) return;  // completion already on its way
      self->s_->status_ = state::cancelled;
      h = std::exchange(self->s_->waiter_, {});
    }
    self->cancelled_ = true;
    if (self->options_.on_cancel) {
      try {
        self->options_.on_cancel();
      } catch (...) {
        self->loop_->report(std::current_exception(), "from_callback on_cancel");
      }
    }
    if (h) self->loop_->schedule(h);
  }

  Initiate initiate_;
  from_callback_options options_;
  ref_ptr<state> s_;
  event_loop* loop_ = nullptr;
  bool cancelled_ = false;
};

}  // namespace detail

/// Adapts a callback-style API (`api(args..., callback)`) in one line:
///
///     int n = co_await from_callback<void(int)>([&](auto cb) { api(x, std::move(cb)); });
///
/// `initiate(cb)` runs when the result is awaited; `cb` is a copyable `completion<Sig>` the
/// library calls exactly once, on any thread, or synchronously inside `initiate`. The task
/// resumes on its own loop with the callback's argument (void for `void()`, a tuple for
/// several). Exceptions thrown by `initiate` propagate from `co_await`.
///
/// Cancellation: the task resumes at once with `cancelled_error`, `options.on_cancel` runs (to
/// abort the library's operation), and a late callback is ignored. Misuse is never silent: a
/// second call is reported to the loop's exception handler, a callback destroyed uncalled
/// resumes the task with `invalid_state_error`, and a task destroyed while still waiting
/// reports that its callback was never called.
template <class Sig, class Initiate>
auto from_callback(Initiate&& initiate, from_callback_options options = {}) {
  return detail::from_callback_awaiter<Sig, std::decay_t<Initiate>>(std::forward<Initiate>(initiate),
                                                                    std::move(options));
}

}  // namespace eddy
