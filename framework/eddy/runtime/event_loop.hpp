// SPDX-License-Identifier: MIT
#pragma once

#include <cassert>
#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string_view>
#include <vector>

#include "eddy/core/detail/ring_queue.hpp"
#include "eddy/core/task.hpp"
#include "eddy/core/unique_function.hpp"
#include "eddy/runtime/detail/timer_heap.hpp"
#include "eddy/runtime/reactor.hpp"

namespace eddy {

using steady_clock = std::chrono::steady_clock;
using time_point = std::chrono::steady_clock::time_point;
using duration = std::chrono::steady_clock::duration;

class event_loop;

namespace detail {
struct callback_node;
struct post_queue;
}  // namespace detail

/// A callback scheduled with `call_soon`, `call_later` or `call_at`. Dropping the handle does
/// not cancel the callback (asyncio's Handle); `cancel()` does.
class callback_handle {
 public:
  callback_handle() noexcept = default;
  callback_handle(callback_handle&& o) noexcept : node_(std::exchange(o.node_, nullptr)) {}
  callback_handle& operator=(callback_handle&& o) noexcept;
  callback_handle(const callback_handle&) = delete;
  callback_handle& operator=(const callback_handle&) = delete;
  ~callback_handle();

  /// Prevents the callback from running if it has not run yet, and frees what it captured.
  /// Call on the loop's thread.
  void cancel() noexcept;
  /// True after `cancel()`.
  bool cancelled() const noexcept;

 private:
  friend class event_loop;
  explicit callback_handle(detail::callback_node* n) noexcept : node_(n) {}
  detail::callback_node* node_ = nullptr;
};

/// Options for an `event_loop`.
struct loop_options {
  /// Use a virtual clock that starts at the epoch and only moves when the loop has nothing
  /// else to do (it then jumps to the next timer) or when `advance()` is called. Timer tests
  /// run instantly and deterministically with it.
  bool virtual_time = false;
};

/// The event loop: a ready queue, a timer heap and a reactor, driven on one thread.
///
/// Each `run_once()` polls the reactor (until the next timer when nothing is ready; while work
/// is ready, without blocking and only every 16th iteration, so that a busy loop does not pay
/// a system call per task switch), moves due timers to the ready queue, then runs the
/// coroutines and callbacks that were ready at that point — asyncio's `_run_once` and libuv's
/// `uv_run`.
/// Coroutines are only ever resumed there. Nothing here is thread-safe except `post()`
/// (DESIGN rule 1).
class event_loop {
 public:
  explicit event_loop(loop_options options = {});
  ~event_loop();
  event_loop(const event_loop&) = delete;
  event_loop& operator=(const event_loop&) = delete;

  /// The loop running on the calling thread (inside `run_*`), or nullptr.
  static event_loop* current() noexcept;

  /// The loop's time, read once per iteration (cheap; monotonic).
  time_point now() const noexcept { return now_; }
  /// Virtual time only: moves the clock forward by `d`; due timers fire on the next iteration.
  void advance(duration d) noexcept;
  bool virtual_time() const noexcept { return options_.virtual_time; }

  /// Resumes `h` on a later iteration of this loop (asyncio's call_soon for a coroutine).
  void schedule(std::coroutine_handle<> h) { ready_.push({&resume_coroutine, h.address()}); }

  /// Runs `fn` on the next iteration. Exceptions it throws go to the exception handler.
  callback_handle call_soon(unique_function<void()> fn);
  /// Runs `fn` once, `delay` from now.
  callback_handle call_later(duration delay, unique_function<void()> fn);
  /// Runs `fn` once at `when`.
  callback_handle call_at(time_point when, unique_function<void()> fn);

  /// Thread-safe: runs `fn` on the loop's thread soon, waking the loop if it is blocked in the
  /// reactor (asyncio's call_soon_threadsafe). Callable from any thread, including before or
  /// while the loop runs; functions posted after the loop is destroyed are a precondition
  /// violation.
  void post(unique_function<void()> fn);

  /// Runs one iteration (see the class comment). Blocks in the reactor only when nothing is
  /// ready, for at most the time until the next timer (without limit if there is none).
  void run_once();
  /// Runs iterations until `stop()` is called.
  void run_forever();
  /// Makes `run_forever()` return after the current iteration. Call on the loop thread (or
  /// through `post` from another).
  void stop() noexcept { stopping_ = true; }

  /// Replaces the handler of exceptions nobody can receive: a detached task that failed, a
  /// failed task whose handle was dropped unobserved, a throwing callback. The default writes
  /// one line to stderr. `context` says where it came from.
  void set_exception_handler(unique_function<void(std::exception_ptr, std::string_view)> h);
  /// Passes an exception to the handler. Never throws.
  void report(std::exception_ptr e, std::string_view context) noexcept;

  /// Number of spawned tasks that have not finished.
  std::size_t live_tasks() const noexcept { return roots_.size(); }
  /// Requests cancellation of every live spawned task.
  void cancel_all() noexcept;
  /// Cancels every live task and runs the loop until all of them finished.
  void drain();

  // ---- internal interface used by eddy's own awaitables (not for applications) ----
  void schedule(void (*fn)(void*), void* arg) { ready_.push({fn, arg}); }
  void add_timer(detail::timer_node& n) { timers_.push(&n); }
  void remove_timer(detail::timer_node& n) noexcept { timers_.remove(&n); }
  int add_io(detail::io_state& s) noexcept { return reactor_.add(s); }
  void remove_io(detail::io_state& s) noexcept { reactor_.remove(s); }
  void adopt_root(detail::task_promise_base& p);
  void release_root(detail::task_promise_base& p) noexcept;

 private:
  struct ready_item {
    void (*fn)(void*);
    void* arg;
  };
  static void resume_coroutine(void* address);
  static void run_callback(void* node);
  static void on_io(void* self, const detail::io_event& ev);
  void drain_posted();
  // Before a blocking poll: false if something was posted meanwhile (then the poll must not
  // block), else marks the loop asleep so that the next post() wakes the reactor.
  bool prepare_to_sleep() noexcept;
  void fire_due_timers();

  loop_options options_;
  time_point now_;
  bool stopping_ = false;
  bool draining_ = false;
  std::uint32_t busy_iterations_ = 0;  // iterations since the last reactor poll
  detail::ring_queue<ready_item> ready_;
  detail::timer_heap timers_;
  detail::reactor reactor_;
  std::unique_ptr<detail::post_queue> posted_;
  // Live spawned tasks. A vector with each task's index in its root block costs a task 12
  // bytes where an intrusive list would put 16 in every coroutine frame.
  std::vector<detail::task_promise_base*> roots_;
  unique_function<void(std::exception_ptr, std::string_view)> exception_handler_;
};

namespace detail {
/// Makes `loop` the current loop of the calling thread for the guard's lifetime.
class current_loop_guard {
 public:
  explicit current_loop_guard(event_loop& loop) noexcept;
  ~current_loop_guard();
  current_loop_guard(const current_loop_guard&) = delete;
  current_loop_guard& operator=(const current_loop_guard&) = delete;

 private:
  event_loop* previous_;
};

/// The loop running on this thread, or null (see `current_loop_guard`).
extern constinit thread_local event_loop* current_loop;

/// The current loop; asserts that one runs on this thread. Inline: the server asks for it
/// several times per request (timeouts, metrics), and a call per ask shows.
inline event_loop& this_loop() noexcept {
  assert(current_loop && "no eddy event loop runs on this thread");
  return *current_loop;
}
}  // namespace detail

}  // namespace eddy
