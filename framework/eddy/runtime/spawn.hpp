// SPDX-License-Identifier: MIT
#pragma once

#include <cassert>
#include <coroutine>
#include <utility>

#include "eddy/core/errors.hpp"
#include "eddy/core/task.hpp"
#include "eddy/core/unique_function.hpp"
#include "eddy/runtime/event_loop.hpp"

namespace eddy {

namespace detail {

/// Completion of a spawned task: wakes its waiters and drops the loop's reference.
std::coroutine_handle<> root_done(task_promise_base& p) noexcept;
/// Drops one reference; destroys the frame (reporting an unobserved failure) at zero.
void root_release(task_promise_base& p) noexcept;
/// Schedules the first resumption of a freshly spawned root.
void root_start(event_loop& loop, task_promise_base& p);
/// Adds a heap-allocated done callback.
void root_add_callback(task_promise_base& p, unique_function<void()> fn);

}  // namespace detail

/// Handle to a task started with `spawn()` (asyncio's Task). Move-only. Dropping it detaches
/// the task: it keeps running, and if it then fails its exception goes to the loop's exception
/// handler. A handle whose finished task failed and that is dropped without anyone having
/// looked at the result reports the exception the same way. Use on the loop's thread; a handle
/// must not outlive its loop.
template <class T>
class join_handle {
 public:
  using promise_type = detail::task_promise<T>;
  using handle_type = std::coroutine_handle<promise_type>;

  join_handle() noexcept = default;
  explicit join_handle(handle_type h) noexcept : coro_(h) {}
  join_handle(join_handle&& o) noexcept : coro_(std::exchange(o.coro_, {})) {}
  join_handle& operator=(join_handle&& o) noexcept {
    if (this != &o) {
      reset();
      coro_ = std::exchange(o.coro_, {});
    }
    return *this;
  }
  join_handle(const join_handle&) = delete;
  join_handle& operator=(const join_handle&) = delete;
  ~join_handle() { reset(); }

  bool valid() const noexcept { return static_cast<bool>(coro_); }

  /// True once the task finished (value, exception or cancellation).
  bool done() const noexcept { return coro_.promise().root_.done; }
  /// True if the task finished by cancellation (`cancelled_error` escaped it).
  bool cancelled() const noexcept { return done() && coro_.promise().ended_cancelled(); }

  /// Requests cancellation: the task's current wait (and whatever it awaits) ends with
  /// `cancelled_error` / `errc::operation_canceled`. A task that has not started yet never
  /// runs. Returns false if the task already finished.
  bool cancel() noexcept {
    if (done()) return false;
    coro_.promise().root_.source.request_cancel();
    return true;
  }

  /// The task's value. Throws `invalid_state_error` if it has not finished, `cancelled_error`
  /// if it was cancelled, or the task's own exception.
  decltype(auto) result() {
    if (!done()) throw invalid_state_error("task is not done");
    coro_.promise().root_.retrieved = true;
    return coro_.promise().get();
  }

  /// Runs `fn()` on the loop once the task has finished (at once, on the next iteration, if
  /// it already has).
  void add_done_callback(unique_function<void()> fn) {
    detail::root_add_callback(coro_.promise(), std::move(fn));
  }

  /// Waits for the task and returns its value (or rethrows). If the waiting task is
  /// cancelled, the awaited task is cancelled too and the wait ends once it has finished
  /// (asyncio semantics; wrap the wait in `shield()` to wait without cancelling it).
  class awaiter : detail::root_waiter, cancel_hook {
   public:
    explicit awaiter(handle_type h) noexcept : coro_(h) {}
    awaiter(const awaiter&) = delete;
    ~awaiter() {
      // A waiting frame destroyed while parked (loop teardown) unlinks itself.
      if (linked_) {
        auto** link = &coro_.promise().root_.waiters;
        while (*link && *link != this) link = &(*link)->next;
        if (*link) *link = next;
      }
    }
    bool await_ready() const noexcept { return coro_.promise().root_.done; }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h) {
      waiter_ = h;
      auto& r = coro_.promise().root_;
      notify = [](detail::root_waiter* w) noexcept {
        auto* self = static_cast<awaiter*>(w);
        self->linked_ = false;
        self->disarm();
        detail::this_loop().schedule(self->waiter_);
      };
      next = r.waiters;
      r.waiters = this;
      linked_ = true;
      // Forward our cancellation to the awaited task; we keep waiting for it to finish.
      auto forward = [](cancel_hook* hook) noexcept {
        static_cast<awaiter*>(hook)->coro_.promise().root_.source.request_cancel();
      };
      if (!arm(detail::token_of(h), forward)) r.source.request_cancel();
    }
    decltype(auto) await_resume() {
      coro_.promise().root_.retrieved = true;
      return coro_.promise().get();
    }

   private:
    handle_type coro_;
    std::coroutine_handle<> waiter_;
    bool linked_ = false;
  };
  awaiter operator co_await() const noexcept { return awaiter(coro_); }

  /// Makes `loop.run_forever()` return once the task has finished (run_until_complete).
  void stop_loop_when_done(event_loop& loop) {
    add_done_callback([&loop] { loop.stop(); });
  }

  /// For `task_group`: the spawned task's promise.
  detail::task_promise_base* promise_ptr_for_group() noexcept { return &coro_.promise(); }

 private:
  void reset() noexcept {
    if (coro_) detail::root_release(coro_.promise());
    coro_ = {};
  }
  handle_type coro_;
};

/// Starts `t` on `loop` as an independent task (asyncio's create_task): it is scheduled for
/// the loop's next iteration, not run inline. The task observes its own cancellation source,
/// reachable through the returned handle.
template <class T>
join_handle<T> spawn(event_loop& loop, task<T> t) {
  static_assert(alignof(detail::task_promise<T>) == alignof(detail::task_promise_base),
                "detail::frame_of needs the promise at the base's offset in the frame");
  auto h = t.release();
  assert(h);
  auto& p = h.promise();
  p.root_.refs = 2;  // the handle's and the loop's
  p.token_ = p.root_.source.token();
  p.on_done_ = &detail::root_done;
  detail::root_start(loop, p);
  return join_handle<T>(h);
}

/// `spawn` on the loop running on this thread. Precondition: called from inside the loop.
template <class T>
join_handle<T> spawn(task<T> t) {
  return spawn(detail::this_loop(), std::move(t));
}

}  // namespace eddy
