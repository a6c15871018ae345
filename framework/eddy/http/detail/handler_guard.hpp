// SPDX-License-Identifier: MIT
#pragma once

#include <coroutine>
#include <utility>

#include "eddy/core/cancellation.hpp"
#include "eddy/core/task.hpp"

namespace eddy::http::detail {

/// Awaits a handler's task under its own cancellation token, running it inline: a handler
/// that finishes without waiting costs nothing more than a plain `co_await`. Only when it
/// suspends is `on_suspend(ctx)` called (the server then watches the connection, so that a
/// client that goes away cancels the token). Resumes the awaiter on the loop thread when the
/// task completes; its exception is rethrown. The result is not moved out: `co_await` yields
/// a reference to it, valid while the `guarded_run` lives (keep it named).
template <class T>
class [[nodiscard]] guarded_run {
 public:
  using suspend_fn = void (*)(void*) noexcept;

  guarded_run(task<T> t, cancel_token token, suspend_fn on_suspend, void* ctx) noexcept
      : coro_(t.release()), token_(token), on_suspend_(on_suspend), ctx_(ctx) {}
  guarded_run(const guarded_run&) = delete;
  guarded_run& operator=(const guarded_run&) = delete;
  ~guarded_run() {
    if (coro_) coro_.destroy();
  }

  bool await_ready() const noexcept { return false; }

  template <class P>
  bool await_suspend(std::coroutine_handle<P> caller) noexcept {
    coro_.promise().continuation_ = caller;
    return !start();  // finished inline: go on without suspending
  }

  T& await_resume() { return coro_.promise().get(); }

  /// Runs the task inline up to its first wait, without an awaiting coroutine: true if it
  /// finished (`result()` then has its value or rethrows its exception), false if it waits
  /// (`on_suspend(ctx)` has been called; `co_await join()` then). Lets a caller that is not
  /// a coroutine frame of its own run a handler that usually does not wait.
  bool start() noexcept {
    auto& p = coro_.promise();
    p.token_ = token_;
    // The task's final step returns here instead of resuming an awaiter while this call is
    // still on the stack (see `task::awaiter` without symmetric transfer).
    p.root_.starting = true;
    coro_.resume();
    if (!p.root_.starting) return true;  // finished inline
    p.root_.starting = false;
    on_suspend_(ctx_);
    return false;
  }
  /// The finished task's value (or its exception, rethrown).
  T& result() { return coro_.promise().get(); }
  /// After `start()` returned false: waits for the task to finish, then yields `result()`.
  struct joiner {
    guarded_run* self;
    bool await_ready() const noexcept { return self->coro_.done(); }
    void await_suspend(std::coroutine_handle<> caller) noexcept { self->coro_.promise().continuation_ = caller; }
    T& await_resume() { return self->result(); }
  };
  joiner join() noexcept { return {this}; }

  /// `co_await g.wait()` awaits a named `g` (GCC 12 copies an lvalue operand of co_await).
  struct by_ref {
    guarded_run* self;
    bool await_ready() const noexcept { return false; }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> caller) noexcept { return self->await_suspend(caller); }
    T& await_resume() { return self->await_resume(); }
  };
  by_ref wait() noexcept { return {this}; }

 private:
  std::coroutine_handle<eddy::detail::task_promise<T>> coro_;
  cancel_token token_;
  suspend_fn on_suspend_;
  void* ctx_;
};

}  // namespace eddy::http::detail
