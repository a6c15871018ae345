// SPDX-License-Identifier: MIT
#pragma once

#include <cassert>
#include <coroutine>
#include <cstddef>
#include <cstdint>

#include "eddy/core/cancellation.hpp"
#include "eddy/core/task.hpp"
#include "eddy/runtime/event_loop.hpp"

namespace eddy::detail {

class waiter_list;

/// The part of every synchronization awaiter (event, semaphore, mutex, condition variable,
/// channel) that parks a coroutine: an intrusive list node, the cancellation registration, the
/// parked coroutine and its loop. It lives in the awaiter, so a wait allocates nothing.
///
/// A wait ends exactly once, through `wake()`: the primitive wakes it (`granted`, after handing
/// it what it waited for), cancellation wakes it (`cancelled`, only while it is still queued),
/// or the primitive's destructor wakes it (`abandoned`). Waking unlinks the node and disarms
/// cancellation first, which is what makes "granted, then cancelled before it ran" keep what it
/// was granted: once granted, the cancellation hook is gone.
///
/// A frame destroyed while queued unlinks itself (destructor). A frame destroyed after it was
/// granted but before it ran is, as for any scheduled coroutine, a precondition violation: its
/// handle is already in the loop's ready queue (and what it was granted goes with it).
class sync_waiter : public cancel_hook {
 public:
  /// How the wait ended. `idle` until it parks (a wait that completes in `await_ready` stays
  /// `idle`).
  enum class status : std::uint8_t { idle, waiting, granted, cancelled, abandoned };

  /// Called by `wake()` to get the coroutine going again; the default schedules it.
  using wake_fn = void (*)(sync_waiter*) noexcept;

  sync_waiter() noexcept = default;
  sync_waiter(const sync_waiter&) = delete;
  sync_waiter& operator=(const sync_waiter&) = delete;
  /// A frame destroyed while parked takes its waiter out of the primitive's queue, so the
  /// primitive never touches freed memory and nobody's turn is lost.
  ~sync_waiter() { unlink(); }

  /// Records `h` and the running loop, registers for cancellation and queues the waiter at
  /// the back of `list`. Returns false, without queueing, if the task is already cancelled
  /// (status `cancelled`); the caller then completes at once. `on_cancel` runs if the task is
  /// cancelled while parked (default: leave the queue and resume `cancelled`).
  template <class P>
  bool park(std::coroutine_handle<P> h, waiter_list& list,
            hook_fn on_cancel = &cancel_wait) noexcept;

  /// Parks again after a wake, with the same coroutine, loop and cancellation token (a
  /// predicate wait whose predicate is still false). Same result as `park`.
  bool repark(waiter_list& list, hook_fn on_cancel = &cancel_wait) noexcept;

  /// Queues an already-parked waiter on `list` (a condition variable moving a notified waiter to
  /// its mutex) without touching the cancellation registration.
  void requeue(waiter_list& list) noexcept;

  /// Ends the wait with `s`: unlinks, disarms cancellation and calls the wake function, which
  /// schedules the coroutine on its loop (never resumes it inline).
  void wake(status s) noexcept {
    unlink();
    disarm();
    status_ = s;
    on_wake_(this);
  }

  /// Removes the waiter from the list it is queued on, if any.
  void unlink() noexcept;

  bool queued() const noexcept { return list_ != nullptr; }
  status state() const noexcept { return status_; }
  std::coroutine_handle<> handle() const noexcept { return handle_; }
  event_loop& loop() const noexcept { return *loop_; }

  /// The default cancellation hook: a queued waiter leaves the queue and resumes `cancelled`.
  static void cancel_wait(cancel_hook* hook) noexcept {
    static_cast<sync_waiter*>(hook)->wake(status::cancelled);
  }
  static void schedule_handle(sync_waiter* w) noexcept { w->loop_->schedule(w->handle_); }

 protected:
  wake_fn on_wake_ = &schedule_handle;
  status status_ = status::idle;

 private:
  friend class waiter_list;
  sync_waiter* prev_ = nullptr;
  sync_waiter* next_ = nullptr;
  waiter_list* list_ = nullptr;
  std::coroutine_handle<> handle_;
  event_loop* loop_ = nullptr;
  cancel_token token_;
};

/// A FIFO of parked waiters (intrusive, doubly linked: O(1) push, pop and removal of any node).
class waiter_list {
 public:
  waiter_list() noexcept = default;
  waiter_list(const waiter_list&) = delete;
  waiter_list& operator=(const waiter_list&) = delete;
  ~waiter_list() { assert(empty()); }

  bool empty() const noexcept { return head_ == nullptr; }
  std::size_t size() const noexcept { return size_; }
  /// The oldest waiter. Precondition: `!empty()`.
  sync_waiter& front() const noexcept {
    assert(head_);
    return *head_;
  }

  void push_back(sync_waiter& w) noexcept {
    assert(!w.list_);
    w.list_ = this;
    w.prev_ = tail_;
    w.next_ = nullptr;
    if (tail_) tail_->next_ = &w; else head_ = &w;
    tail_ = &w;
    ++size_;
  }

  void erase(sync_waiter& w) noexcept {
    assert(w.list_ == this);
    if (w.prev_) w.prev_->next_ = w.next_; else head_ = w.next_;
    if (w.next_) w.next_->prev_ = w.prev_; else tail_ = w.prev_;
    w.prev_ = w.next_ = nullptr;
    w.list_ = nullptr;
    --size_;
  }

  /// Wakes every waiter, oldest first, with `s` (used by destructors and `close()`).
  void wake_all(sync_waiter::status s) noexcept {
    while (head_) head_->wake(s);
  }

 private:
  sync_waiter* head_ = nullptr;
  sync_waiter* tail_ = nullptr;
  std::size_t size_ = 0;
};

template <class P>
bool sync_waiter::park(std::coroutine_handle<P> h, waiter_list& list, hook_fn on_cancel) noexcept {
  handle_ = h;
  loop_ = &this_loop();
  token_ = token_of(h);
  return repark(list, on_cancel);
}

inline bool sync_waiter::repark(waiter_list& list, hook_fn on_cancel) noexcept {
  if (!arm(token_, on_cancel)) {
    status_ = status::cancelled;
    return false;
  }
  status_ = status::waiting;
  list.push_back(*this);
  return true;
}

inline void sync_waiter::requeue(waiter_list& list) noexcept {
  unlink();
  status_ = status::waiting;
  list.push_back(*this);
}

inline void sync_waiter::unlink() noexcept {
  if (list_) list_->erase(*this);
}

}  // namespace eddy::detail
