// SPDX-License-Identifier: MIT
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <memory>
#include <vector>

#include "eddy/core/cancellation.hpp"
#include "eddy/core/task.hpp"
#include "eddy/runtime/event_loop.hpp"
#include "eddy/runtime/spawn.hpp"

namespace eddy {

/// A set of concurrently running tasks that is awaited as a whole (asyncio.TaskGroup, trio's
/// nursery):
///
///     task_group tg;
///     tg.spawn(fetch(a));
///     tg.spawn(fetch(b));
///     co_await tg.join();   // both finished; the first failure is rethrown here
///
/// When a child fails (any exception but `cancelled_error`), the group cancels the other
/// children; `join()` waits for all of them and then rethrows the first failure (all failures
/// are in `errors()`). Cancelling the task that awaits `join()` cancels every child, waits for
/// them, and throws `cancelled_error`. Destroying a group that was not joined cancels the
/// children still running (they unwind on the loop, unobserved). Use on one loop thread.
class task_group {
 public:
  task_group() = default;
  task_group(const task_group&) = delete;
  task_group& operator=(const task_group&) = delete;
  ~task_group();

  /// Starts `t` on the running loop as a member of the group; the returned handle may be
  /// dropped. Throws `invalid_state_error` after `join()` finished.
  template <class T>
  join_handle<T> spawn(task<T> t) {
    if (joined_) throw invalid_state_error("task_group already joined");
    auto h = eddy::spawn(std::move(t));
    adopt(h_promise(h));
    return h;
  }

  /// Cancels every child still running.
  void cancel() noexcept;

  /// Waits until every child finished (see the class comment for failures and cancellation).
  /// A group with no children completes at once.
  class join_awaiter;
  join_awaiter join() noexcept;

  /// Children still running.
  std::size_t running() const noexcept { return running_; }
  /// Every failure so far, in completion order (cancellations are not failures).
  const std::vector<std::exception_ptr>& errors() const noexcept { return errors_; }

 private:
  struct member : detail::root_waiter {
    task_group* group;
    detail::task_promise_base* promise;
    bool done = false;
  };
  template <class T>
  static detail::task_promise_base& h_promise(join_handle<T>& h) {
    return *h.promise_ptr_for_group();
  }
  void adopt(detail::task_promise_base& p);
  static void on_member_done(detail::root_waiter* w) noexcept;
  void wake_joiner() noexcept;

  std::vector<std::unique_ptr<member>> members_;
  std::vector<std::exception_ptr> errors_;
  std::size_t running_ = 0;
  std::coroutine_handle<> joiner_;
  bool failed_ = false;
  bool joined_ = false;

 public:
  class join_awaiter : cancel_hook {
   public:
    explicit join_awaiter(task_group& g) noexcept : group_(&g) {}
    bool await_ready() const noexcept { return group_->running_ == 0; }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h) noexcept {
      group_->joiner_ = h;
      if (!arm(detail::token_of(h), &on_cancel)) on_cancel(this);
    }
    void await_resume();

   private:
    static void on_cancel(cancel_hook* hook) noexcept {
      auto* self = static_cast<join_awaiter*>(hook);
      self->cancelled_ = true;
      self->group_->cancel();
    }
    task_group* group_;
    bool cancelled_ = false;
  };
};

inline task_group::join_awaiter task_group::join() noexcept { return join_awaiter(*this); }

}  // namespace eddy
