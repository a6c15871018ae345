// SPDX-License-Identifier: MIT
#pragma once

#include <coroutine>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <utility>

#include "eddy/core/errors.hpp"
#include "eddy/runtime/detail/waiter_list.hpp"

namespace eddy {

class semaphore;

/// Owns one permit of a `semaphore` and releases it on destruction (or at `release()`).
/// Move-only; a moved-from or released guard owns nothing.
class [[nodiscard]] semaphore_guard {
 public:
  semaphore_guard() noexcept = default;
  /// Adopts a permit the caller already holds (after `try_acquire()`).
  explicit semaphore_guard(semaphore& sem) noexcept : sem_(&sem) {}
  semaphore_guard(semaphore_guard&& o) noexcept : sem_(std::exchange(o.sem_, nullptr)) {}
  semaphore_guard& operator=(semaphore_guard&& o) noexcept {
    if (this != &o) {
      release();
      sem_ = std::exchange(o.sem_, nullptr);
    }
    return *this;
  }
  ~semaphore_guard() { release(); }

  /// True while the guard holds a permit.
  bool owns_permit() const noexcept { return sem_ != nullptr; }
  /// Releases the permit now (no effect if it holds none).
  void release() noexcept;

 private:
  semaphore* sem_ = nullptr;
};

/// A counting semaphore (asyncio.Semaphore) with fair FIFO hand-off: `release()` gives the
/// permit straight to the task that has waited longest, so a task calling `acquire()` or
/// `try_acquire()` meanwhile cannot take it first (no barging).
///
/// Use on one loop thread (DESIGN rule 1). Destroying a semaphore while tasks wait on it wakes
/// them with `invalid_state_error`.
class semaphore {
  class acquire_base : protected detail::sync_waiter {
   public:
    explicit acquire_base(semaphore& sem) noexcept : sem_(&sem) {}
    acquire_base(acquire_base&& o) noexcept : sem_(o.sem_) {}
    acquire_base& operator=(acquire_base&&) = delete;

    bool await_ready() const noexcept { return sem_->try_acquire(); }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
      return park(h, sem_->waiters_);
    }

   protected:
    // A granted waiter received its permit from `release()` before it was scheduled; it keeps
    // it even if cancellation arrives before it runs (the cancellation hook was disarmed at the
    // hand-off, so the request stays pending for the task's next wait).
    void check() const {
      if (status_ == status::cancelled) throw cancelled_error();
      if (status_ == status::abandoned)
        throw invalid_state_error("eddy::semaphore destroyed while a task waited for it");
    }
    semaphore* sem_;
  };

 public:
  /// Awaiter of `acquire()`. Movable until awaited (so it can be passed to `with_timeout`).
  class [[nodiscard]] acquire_awaiter : public acquire_base {
   public:
    using acquire_base::acquire_base;
    void await_resume() const { check(); }
  };

  /// Awaiter of `scoped_acquire()`; yields a `semaphore_guard`.
  class [[nodiscard]] scoped_acquire_awaiter : public acquire_base {
   public:
    using acquire_base::acquire_base;
    semaphore_guard await_resume() const {
      check();
      return semaphore_guard(*sem_);
    }
  };

  /// A semaphore with `initial` permits.
  explicit semaphore(std::size_t initial) noexcept : count_(initial) {}
  semaphore(const semaphore&) = delete;
  semaphore& operator=(const semaphore&) = delete;
  ~semaphore() { waiters_.wake_all(detail::sync_waiter::status::abandoned); }

  /// `co_await sem.acquire()` takes a permit: at once, without suspending, if one is available
  /// and nobody waits; otherwise the task queues (FIFO) until a `release()` hands it one. It
  /// resumes on its own loop. Throws `cancelled_error` if the task is cancelled while queued
  /// (it leaves the queue and holds no permit). If the permit was handed over before the
  /// cancellation arrived, the wait completes normally and the task owns the permit; the
  /// cancellation stays requested and is seen at the task's next suspending wait. Throws
  /// `invalid_state_error` if the semaphore is destroyed meanwhile.
  acquire_awaiter acquire() noexcept { return acquire_awaiter(*this); }

  /// Like `acquire()`, but yields a `semaphore_guard` that releases the permit when destroyed.
  scoped_acquire_awaiter scoped_acquire() noexcept { return scoped_acquire_awaiter(*this); }

  /// Takes a permit if one is available now. Never suspends. Always false while tasks wait
  /// (they are first in line).
  bool try_acquire() noexcept {
    if (count_ == 0) return false;
    // Invariant: permits are only counted when nobody waits (release hands them over).
    --count_;
    return true;
  }

  /// Returns `n` permits: each goes to the longest-waiting task (scheduled on its loop, in
  /// order), the rest become available. Throws `std::overflow_error`, changing nothing, if the
  /// count would overflow.
  void release(std::size_t n = 1) {
    const std::size_t handed = n < waiters_.size() ? n : waiters_.size();
    if (n - handed > std::numeric_limits<std::size_t>::max() - count_)
      throw std::overflow_error("eddy::semaphore count overflow");
    for (std::size_t i = 0; i < handed; ++i) waiters_.front().wake(detail::sync_waiter::status::granted);
    count_ += n - handed;
  }

  /// Permits available now.
  std::size_t available() const noexcept { return count_; }
  /// Number of tasks waiting for a permit.
  std::size_t waiting() const noexcept { return waiters_.size(); }

 private:
  friend class semaphore_guard;
  void release_one() noexcept {
    if (!waiters_.empty()) {
      waiters_.front().wake(detail::sync_waiter::status::granted);
    } else {
      ++count_;
    }
  }

  detail::waiter_list waiters_;
  std::size_t count_;
};

inline void semaphore_guard::release() noexcept {
  if (sem_) std::exchange(sem_, nullptr)->release_one();
}

}  // namespace eddy
