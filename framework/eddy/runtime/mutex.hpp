// SPDX-License-Identifier: MIT
#pragma once

#include <coroutine>
#include <cstddef>
#include <mutex>
#include <utility>

#include "eddy/core/errors.hpp"
#include "eddy/runtime/detail/waiter_list.hpp"

namespace eddy {

class mutex;
class condition_variable;

/// Owns a locked `mutex` and unlocks it on destruction (or at `unlock()`). Move-only; a
/// moved-from or unlocked guard owns nothing. The mutex must outlive the guard.
class [[nodiscard]] mutex_guard {
 public:
  mutex_guard() noexcept = default;
  /// Adopts a lock the caller already holds (after `try_lock()`).
  mutex_guard(eddy::mutex& m, std::adopt_lock_t) noexcept : mutex_(&m) {}
  mutex_guard(mutex_guard&& o) noexcept : mutex_(std::exchange(o.mutex_, nullptr)) {}
  mutex_guard& operator=(mutex_guard&& o) noexcept {
    if (this != &o) {
      unlock();
      mutex_ = std::exchange(o.mutex_, nullptr);
    }
    return *this;
  }
  ~mutex_guard() { unlock(); }

  /// True while the guard holds the lock.
  bool owns_lock() const noexcept { return mutex_ != nullptr; }
  /// The mutex held, or nullptr.
  eddy::mutex* mutex() const noexcept { return mutex_; }
  /// Unlocks now (no effect if the guard holds nothing).
  void unlock() noexcept;

 private:
  friend class condition_variable;
  eddy::mutex* mutex_ = nullptr;
};

/// A non-recursive lock for tasks (asyncio.Lock) with fair FIFO hand-off: `unlock()` passes
/// ownership straight to the task that has waited longest, so a task calling `lock()` or
/// `try_lock()` meanwhile cannot take it first (no barging). The mutex does not record its
/// owner: any task may unlock it, as with asyncio.Lock.
///
/// Use on one loop thread (DESIGN rule 1). Destroying a mutex while tasks wait on it wakes them
/// with `invalid_state_error`; guards must not outlive their mutex.
class mutex {
  class lock_base : protected detail::sync_waiter {
   public:
    explicit lock_base(eddy::mutex& m) noexcept : mutex_(&m) {}
    lock_base(lock_base&& o) noexcept : mutex_(o.mutex_) {}
    lock_base& operator=(lock_base&&) = delete;

    bool await_ready() const noexcept { return mutex_->try_lock(); }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
      return park(h, mutex_->waiters_);
    }

   protected:
    // A granted waiter was handed the lock by `unlock()` before it was scheduled; it keeps it
    // even if cancellation arrives before it runs (the hook was disarmed at the hand-off, so
    // the request stays pending for the task's next wait).
    void check() const {
      if (status_ == status::cancelled) throw cancelled_error();
      if (status_ == status::abandoned)
        throw invalid_state_error("eddy::mutex destroyed while a task waited for it");
    }
    eddy::mutex* mutex_;
  };

 public:
  /// Awaiter of `lock()`. Movable until awaited (so it can be passed to `with_timeout`).
  class [[nodiscard]] lock_awaiter : public lock_base {
   public:
    using lock_base::lock_base;
    void await_resume() const { check(); }
  };

  /// Awaiter of `scoped_lock()`; yields a `mutex_guard`.
  class [[nodiscard]] scoped_lock_awaiter : public lock_base {
   public:
    using lock_base::lock_base;
    mutex_guard await_resume() const {
      check();
      return mutex_guard(*mutex_, std::adopt_lock);
    }
  };

  mutex() noexcept = default;
  mutex(const mutex&) = delete;
  mutex& operator=(const mutex&) = delete;
  ~mutex() { waiters_.wake_all(detail::sync_waiter::status::abandoned); }

  /// `co_await m.lock()` locks the mutex: at once, without suspending, if it is unlocked;
  /// otherwise the task queues (FIFO) until an `unlock()` hands it the lock. It resumes on its
  /// own loop. Throws `cancelled_error` if the task is cancelled while queued (it leaves the
  /// queue without the lock). If the lock was handed over before the cancellation arrived,
  /// the wait completes normally and the task owns the lock; the cancellation stays requested
  /// and is seen at the task's next suspending wait. Throws `invalid_state_error` if the mutex
  /// is destroyed meanwhile.
  lock_awaiter lock() noexcept { return lock_awaiter(*this); }

  /// Like `lock()`, but yields a `mutex_guard` that unlocks when destroyed.
  scoped_lock_awaiter scoped_lock() noexcept { return scoped_lock_awaiter(*this); }

  /// Locks the mutex if it is unlocked now. Never suspends.
  bool try_lock() noexcept {
    if (locked_) return false;
    locked_ = true;
    return true;
  }

  /// Unlocks: the longest-waiting task becomes the owner (scheduled on its loop), or the mutex
  /// becomes unlocked if nobody waits. Throws `invalid_state_error` if it is not locked.
  void unlock() {
    if (!locked_) throw invalid_state_error("eddy::mutex::unlock on an unlocked mutex");
    unlock_unchecked();
  }

  /// True while some task holds the lock.
  bool is_locked() const noexcept { return locked_; }
  /// Number of tasks waiting for the lock.
  std::size_t waiting() const noexcept { return waiters_.size(); }

 private:
  friend class mutex_guard;
  friend class condition_variable;

  void unlock_unchecked() noexcept {
    if (waiters_.empty()) {
      locked_ = false;
    } else {
      // Ownership passes directly: `locked_` stays true.
      waiters_.front().wake(detail::sync_waiter::status::granted);
    }
  }

  detail::waiter_list waiters_;
  bool locked_ = false;
};

inline void mutex_guard::unlock() noexcept {
  if (mutex_) std::exchange(mutex_, nullptr)->unlock_unchecked();
}

}  // namespace eddy
