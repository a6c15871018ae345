// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <coroutine>
#include <exception>
#include <functional>
#include <optional>
#include <stop_token>
#include <tuple>
#include <type_traits>
#include <utility>

#include "eddy/bridge/detail/ref_count.hpp"
#include "eddy/bridge/thread_pool.hpp"
#include "eddy/core/cancellation.hpp"
#include "eddy/core/errors.hpp"
#include "eddy/core/task.hpp"
#include "eddy/runtime/event_loop.hpp"

namespace eddy {
namespace detail {

/// `fn(stop_token, args...)` if `fn` takes a stop token first, else `fn(args...)`. The
/// arguments are moved in: a job runs once (as `std::thread` passes its arguments).
template <class F, class... Args>
decltype(auto) invoke_with_stop(std::stop_token st, F& fn, Args&&... args) {
  if constexpr (std::is_invocable_v<F&, std::stop_token, Args&&...>) {
    return std::invoke(fn, std::move(st), std::forward<Args>(args)...);
  } else {
    return std::invoke(fn, std::forward<Args>(args)...);
  }
}

template <class F, class... Args>
using thread_result_t = std::decay_t<decltype(invoke_with_stop(
    std::declval<std::stop_token>(), std::declval<F&>(), std::declval<Args&&>()...))>;

/// The job `to_thread` hands to the pool, shared by the awaiting coroutine (loop thread) and a
/// worker. `status_` decides the one winner between the worker finishing and the task being
/// cancelled; the loser only drops its reference.
template <class R, class F, class... Args>
class thread_job final : public pool_job, public ref_counted<thread_job<R, F, Args...>> {
 public:
  enum status : int { queued, running, finished, cancelled };

  thread_job(F fn, std::tuple<Args...> args) : fn_(std::move(fn)), args_(std::move(args)) {
    run = &run_job;
    reject = &reject_job;
  }

  std::atomic<int> status_{queued};
  std::stop_source stop_;
  F fn_;
  std::tuple<Args...> args_;
  std::optional<std::conditional_t<std::is_void_v<R>, char, R>> value_;
  std::exception_ptr error_;
  // Loop thread only:
  event_loop* loop_ = nullptr;
  std::coroutine_handle<> waiter_;

  /// Posted to the loop once the worker finished (or the job was rejected).
  void complete_on_loop() noexcept {
    if (waiter_) loop_->schedule(std::exchange(waiter_, {}));
  }

 private:
  void post_completion() noexcept {
    ref_ptr<thread_job> self = ref_ptr<thread_job>::adopt(this);  // the pool's reference
    event_loop* loop = loop_;
    loop->post([s = std::move(self)] { s->complete_on_loop(); });
  }

  static void run_job(pool_job* j) noexcept {
    auto* self = static_cast<thread_job*>(j);
    int expected = queued;
    if (!self->status_.compare_exchange_strong(expected, running, std::memory_order_acq_rel)) {
      self->release();  // cancelled while queued: dropped without running
      return;
    }
    try {
      if constexpr (std::is_void_v<R>) {
        std::apply([&](Args&... a) { invoke_with_stop(self->stop_.get_token(), self->fn_, std::move(a)...); },
                   self->args_);
        self->value_.emplace('\0');
      } else {
        std::apply(
            [&](Args&... a) {
              self->value_.emplace(invoke_with_stop(self->stop_.get_token(), self->fn_, std::move(a)...));
            },
            self->args_);
      }
    } catch (...) {
      self->error_ = std::current_exception();
    }
    expected = running;
    if (self->status_.compare_exchange_strong(expected, finished, std::memory_order_acq_rel)) {
      self->post_completion();
    } else {
      self->release();  // the task was cancelled meanwhile: the late result is discarded
    }
  }

  static void reject_job(pool_job* j, const char* why) noexcept {
    auto* self = static_cast<thread_job*>(j);
    int expected = queued;
    if (self->status_.compare_exchange_strong(expected, finished, std::memory_order_acq_rel)) {
      try {
        self->error_ = std::make_exception_ptr(rejected_error(why));
      } catch (...) {
        self->error_ = std::current_exception();
      }
      self->post_completion();
    } else {
      self->release();
    }
  }
};

/// Awaiter of `to_thread` / `run_in`: submits the job in `await_suspend`, so nothing runs
/// until the task is awaited.
template <class F, class... Args>
class [[nodiscard]] thread_awaiter : cancel_hook {
 public:
  using R = thread_result_t<F, Args...>;
  using job = thread_job<R, F, Args...>;

  thread_awaiter(thread_pool& pool, F fn, std::tuple<Args...> args)
      : pool_(&pool), job_(ref_ptr<job>::adopt(new job(std::move(fn), std::move(args)))) {}
  /// Movable until awaited (so it can be wrapped by `as_task`, timeouts and friends).
  thread_awaiter(thread_awaiter&& o) noexcept : pool_(o.pool_), job_(std::move(o.job_)) {}
  thread_awaiter(const thread_awaiter&) = delete;
  ~thread_awaiter() {
    // The awaiting frame is destroyed while the job is queued or running (loop teardown): make
    // the worker discard its result and never touch the frame.
    if (job_ && job_->waiter_) {
      job_->waiter_ = {};
      abandon();
    }
  }

  bool await_ready() const noexcept { return false; }

  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    if (!arm(token_of(h), &on_cancel)) {
      cancelled_ = true;
      return false;
    }
    job_->loop_ = &this_loop();
    job_->waiter_ = h;
    job_->add_ref();  // the pool's reference, released by the worker or by the rejection
    pool_->submit_job(job_.get());
    return true;
  }

  R await_resume() {
    disarm();
    if (cancelled_) throw cancelled_error();
    if (job_->error_) std::rethrow_exception(job_->error_);
    if constexpr (!std::is_void_v<R>) return std::move(*job_->value_);
  }

 private:
  /// Takes the job away from the worker if it has not finished. Returns true if it did.
  bool abandon() noexcept {
    int s = job_->status_.load(std::memory_order_acquire);
    while (s == job::queued || s == job::running) {
      if (job_->status_.compare_exchange_weak(s, job::cancelled, std::memory_order_acq_rel)) {
        job_->stop_.request_stop();
        return true;
      }
    }
    return false;
  }

  static void on_cancel(cancel_hook* hook) noexcept {
    auto* self = static_cast<thread_awaiter*>(hook);
    // If the worker already finished, its completion is on the way and the value wins.
    if (!self->abandon()) return;
    self->cancelled_ = true;
    self->job_->loop_->schedule(std::exchange(self->job_->waiter_, {}));
  }

  thread_pool* pool_;
  ref_ptr<job> job_;
  bool cancelled_ = false;
};

}  // namespace detail

/// Runs `fn(args...)` on `pool` and resumes the awaiting task, on its own loop, with the
/// result (asyncio's `loop.run_in_executor(pool, fn, *args)`). `fn` and `args` are copied or
/// moved into the job; nothing runs until the result is awaited. Exceptions thrown by `fn` are
/// rethrown from `co_await`; a full or shut-down pool gives `rejected_error`.
///
/// Cancellation: a queued job is dropped without running; a running job sees its
/// `std::stop_token` stop requested, if `fn` takes one as its first parameter
/// (`fn(std::stop_token, args...)`). In both cases the task resumes at once with
/// `cancelled_error` and a late result is discarded on the worker.
template <class F, class... Args>
auto run_in(thread_pool& pool, F&& fn, Args&&... args) {
  return detail::thread_awaiter<std::decay_t<F>, std::decay_t<Args>...>(
      pool, std::forward<F>(fn), std::tuple<std::decay_t<Args>...>(std::forward<Args>(args)...));
}

/// `run_in(default_thread_pool(), fn, args...)`: asyncio's `to_thread`.
template <class F, class... Args>
auto to_thread(F&& fn, Args&&... args) {
  return run_in(default_thread_pool(), std::forward<F>(fn), std::forward<Args>(args)...);
}

}  // namespace eddy
