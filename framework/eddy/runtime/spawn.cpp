// SPDX-License-Identifier: MIT
#include "eddy/runtime/spawn.hpp"

namespace eddy::detail {
namespace {

struct callback_waiter : root_waiter {
  unique_function<void()> fn;
};

void notify_callback(root_waiter* w) noexcept {
  auto* cb = static_cast<callback_waiter*>(w);
  this_loop().call_soon(std::move(cb->fn));
  delete cb;
}

void start(void* p) {
  auto& promise = *static_cast<task_promise_base*>(p);
  if (promise.root_.source.cancel_requested()) {
    // Cancelled before it ever ran: finish as cancelled without running the body (asyncio
    // cancels a task that has not started the same way).
    promise.exception_ = std::make_exception_ptr(cancelled_error());
    root_done(promise);
    return;
  }
  frame_of(promise).resume();
}

}  // namespace

void root_start(event_loop& loop, task_promise_base& p) {
  loop.adopt_root(p);
  loop.schedule(&start, &p);
}

std::coroutine_handle<> root_done(task_promise_base& p) noexcept {
  root_block& r = p.root_;
  r.done = true;
  this_loop().release_root(p);
  // Waiters were pushed in front; wake them in the order they started waiting.
  root_waiter* list = nullptr;
  while (r.waiters) {
    root_waiter* w = r.waiters;
    r.waiters = w->next;
    w->next = list;
    list = w;
  }
  while (list) {
    root_waiter* w = list;
    list = w->next;
    w->notify(w);
  }
  root_release(p);  // may destroy the frame: touch nothing after this
  return std::noop_coroutine();
}

void root_release(task_promise_base& p) noexcept {
  root_block& r = p.root_;
  if (--r.refs > 0) return;
  if (p.exception_ && !r.retrieved && !p.ended_cancelled()) {
    if (event_loop* loop = event_loop::current()) {
      loop->report(p.exception_, "task (exception never retrieved)");
    } else {
      // Dropped outside any loop: still never silent.
      event_loop fallback;
      fallback.report(p.exception_, "task (exception never retrieved)");
    }
  }
  frame_of(p).destroy();
}

void root_add_callback(task_promise_base& p, unique_function<void()> fn) {
  if (p.root_.done) {
    this_loop().call_soon(std::move(fn));
    return;
  }
  auto* cb = new callback_waiter;
  cb->fn = std::move(fn);
  cb->notify = &notify_callback;
  cb->next = p.root_.waiters;
  p.root_.waiters = cb;
}

}  // namespace eddy::detail
