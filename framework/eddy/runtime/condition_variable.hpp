// SPDX-License-Identifier: MIT
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <type_traits>
#include <utility>

#include "eddy/core/errors.hpp"
#include "eddy/runtime/detail/waiter_list.hpp"
#include "eddy/runtime/mutex.hpp"

namespace eddy {

/// Lets tasks holding an `eddy::mutex` wait until another task notifies them
/// (asyncio.Condition, std::condition_variable):
///
///     auto guard = co_await m.scoped_lock();
///     co_await cv.wait(guard, [&] { return !queue.empty(); });
///     // the lock is held again here and the predicate is true
///
/// A wait unlocks the mutex and queues the task (FIFO); `notify_one()` / `notify_all()` move
/// the oldest / every waiter to the mutex's queue, and the wait completes once it owns the
/// mutex again. Every wait returns, or throws, holding the lock: also when it is cancelled or
/// the predicate throws (the only exceptions: a guard that held no lock, a destroyed mutex).
/// Waiting never loses a notification: a notified waiter that is cancelled while it
/// waits for the mutex still completes normally (the cancellation stays requested for its next
/// wait).
///
/// Use on one loop thread (DESIGN rule 1). Notifying without holding the mutex is allowed.
/// Destroying a condition variable while tasks wait on it makes their waits throw
/// `invalid_state_error` once they re-acquired the lock.
class condition_variable {
  class wait_base : protected detail::sync_waiter {
   public:
    wait_base(condition_variable& cv, mutex_guard& guard) noexcept : cv_(&cv), guard_(&guard) {}
    wait_base(wait_base&& o) noexcept : cv_(o.cv_), guard_(o.guard_) {}
    wait_base& operator=(wait_base&&) = delete;

   protected:
    // Why the wait will throw once the lock is held again (`none`: it returns normally).
    enum class failure : std::uint8_t { none, not_owner, cancelled, cv_destroyed, mutex_destroyed };

    // False if the wait must not suspend (a guard that does not own its mutex).
    bool check_guard() noexcept {
      if (guard_->owns_lock()) return true;
      failure_ = failure::not_owner;
      return false;
    }

    // Queues on the condition variable, then releases the mutex. Returns false if the task was
    // already cancelled: it then never released the lock and completes at once, holding it.
    template <class P>
    bool start(std::coroutine_handle<P> h) noexcept {
      mutex_ = guard_->mutex_;
      on_wake_ = &on_notified;
      // Cancelled while waiting for the notification: the default hook wakes the waiter as
      // `cancelled`, and `on_notified` then re-acquires the lock before the task resumes.
      if (!park(h, cv_->waiters_)) {
        failure_ = failure::cancelled;
        return false;
      }
      release_lock();
      return true;
    }

    // Back to waiting for a notification (a predicate that is still false). False if the task
    // is cancelled by now: it keeps the lock and must resume.
    bool wait_again() noexcept {
      on_wake_ = &on_notified;
      if (!repark(cv_->waiters_)) {
        failure_ = failure::cancelled;
        return false;
      }
      release_lock();
      return true;
    }

    // While the lock is released the guard owns nothing, so a frame destroyed while parked
    // does not unlock a mutex it no longer holds; `lock_regained` gives it back.
    void release_lock() noexcept {
      guard_->mutex_ = nullptr;
      mutex_->unlock_unchecked();
    }
    void lock_regained() noexcept { guard_->mutex_ = mutex_; }

    void rethrow_failure() const {
      switch (failure_) {
        case failure::none:
          return;
        case failure::not_owner:
          throw invalid_state_error(
              "eddy::condition_variable::wait needs a guard that holds its mutex");
        case failure::cancelled:
          throw cancelled_error();
        case failure::cv_destroyed:
          throw invalid_state_error("eddy::condition_variable destroyed while a task waited on it");
        case failure::mutex_destroyed:
          throw invalid_state_error("eddy::mutex destroyed while a task waited for it");
      }
    }

    // Runs when the waiter holds the mutex again (default: schedule the coroutine).
    wake_fn on_locked_ = &schedule_handle;
    failure failure_ = failure::none;

   private:
    // Notified (or cancelled, or the condition variable died): re-acquire the mutex.
    static void on_notified(sync_waiter* w) noexcept {
      auto* self = static_cast<wait_base*>(w);
      if (self->status_ == status::cancelled) self->failure_ = failure::cancelled;
      if (self->status_ == status::abandoned) self->failure_ = failure::cv_destroyed;
      self->on_wake_ = &on_mutex_granted;
      if (self->mutex_->try_lock()) {
        self->status_ = status::granted;
        self->lock_regained();
        self->on_locked_(self);
      } else {
        // Behind the tasks already waiting for the lock: the notifier usually holds it and
        // releases it soon, handing it over directly. Cancellation is not re-armed, since the
        // wait cannot end before the lock is held anyway.
        self->requeue(self->mutex_->waiters_);
      }
    }

    static void on_mutex_granted(sync_waiter* w) noexcept {
      auto* self = static_cast<wait_base*>(w);
      if (self->status_ == status::abandoned) {
        // The mutex is gone: the guard stays empty.
        self->failure_ = failure::mutex_destroyed;
        schedule_handle(self);
        return;
      }
      self->lock_regained();
      self->on_locked_(self);
    }

    condition_variable* cv_;
    mutex_guard* guard_;
    eddy::mutex* mutex_ = nullptr;
  };

 public:
  /// Awaiter of `wait(guard)`. Movable until awaited.
  class [[nodiscard]] wait_awaiter : public wait_base {
   public:
    using wait_base::wait_base;
    bool await_ready() noexcept { return !check_guard(); }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
      return start(h);
    }
    void await_resume() const { rethrow_failure(); }
  };

  /// Awaiter of `wait(guard, pred)`. Movable until awaited. The predicate is evaluated with the
  /// lock held: on entry, and each time the waiter owns the lock again after a notification,
  /// before its task is resumed (a false predicate sends the waiter straight back to waiting,
  /// without resuming the task).
  template <class Pred>
  class [[nodiscard]] predicate_wait_awaiter : public wait_base {
   public:
    predicate_wait_awaiter(condition_variable& cv, mutex_guard& guard, Pred pred)
        : wait_base(cv, guard), pred_(std::move(pred)) {
      on_locked_ = &on_locked;
    }
    predicate_wait_awaiter(predicate_wait_awaiter&& o) noexcept(std::is_nothrow_move_constructible_v<Pred>)
        : wait_base(std::move(o)), pred_(std::move(o.pred_)) {
      on_locked_ = &on_locked;
    }

    bool await_ready() {
      if (!check_guard()) return true;
      return static_cast<bool>(pred_());
    }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
      return start(h);
    }
    void await_resume() const {
      rethrow_failure();
      if (error_) std::rethrow_exception(error_);
    }

   private:
    static void on_locked(sync_waiter* w) noexcept {
      // The predicate runs on the loop, in its own ready-queue step rather than inside the
      // `unlock()` / `notify` call of another task.
      w->loop().schedule(&check, static_cast<predicate_wait_awaiter*>(w));
    }
    static void check(void* p) noexcept {
      auto* self = static_cast<predicate_wait_awaiter*>(p);
      if (self->failure_ == failure::none) {
        bool satisfied = true;
        try {
          satisfied = static_cast<bool>(self->pred_());
        } catch (...) {
          self->error_ = std::current_exception();
        }
        if (!satisfied && self->wait_again()) return;
      }
      // This callback was scheduled through the ready queue, so the coroutine resumes inside
      // `run_once` like every other one (DESIGN rule 3).
      self->handle().resume();
    }

    Pred pred_;
    std::exception_ptr error_;
  };

  condition_variable() noexcept = default;
  condition_variable(const condition_variable&) = delete;
  condition_variable& operator=(const condition_variable&) = delete;
  ~condition_variable() { waiters_.wake_all(detail::sync_waiter::status::abandoned); }

  /// `co_await cv.wait(guard)` releases the mutex held by `guard` and suspends until notified,
  /// then re-acquires the mutex (FIFO with other lockers) and completes holding it. Resumes on
  /// the task's own loop. Spurious wake-ups do not happen, but another task may change the
  /// state between the notification and the re-acquisition: prefer the predicate form.
  ///
  /// Cancellation: if the task is cancelled while waiting for the notification, it leaves the
  /// queue, re-acquires the mutex (waiting for it, uncancellably, if another task holds it),
  /// and then throws `cancelled_error` with the lock held. If it was already cancelled when
  /// the wait began, it throws at once without releasing the lock. A notified waiter cancelled
  /// before it got the lock back completes normally (the notification is not lost) and sees
  /// the cancellation at its next wait.
  ///
  /// While the task waits, `guard.owns_lock()` is false (the lock is released), so a frame
  /// destroyed while parked does not unlock the mutex; the guard owns it again once the wait
  /// re-acquired it.
  ///
  /// Throws `invalid_state_error` if `guard` does not own a lock (at once, nothing changed),
  /// if the condition variable is destroyed during the wait (after re-acquiring the lock), or
  /// if the mutex is destroyed while the task waits for it (the guard is then left empty).
  wait_awaiter wait(mutex_guard& guard) noexcept { return wait_awaiter(*this, guard); }

  /// `co_await cv.wait(guard, pred)` waits until `pred()` is true, evaluating it with the lock
  /// held: completes at once if it is already true, otherwise waits as `wait(guard)` does until
  /// a notification finds it true. Cancellation and errors as for `wait(guard)`; an exception
  /// thrown by `pred` is rethrown from the wait, with the lock held. Allocates nothing.
  template <class Pred>
    requires std::is_invocable_r_v<bool, Pred&>
  predicate_wait_awaiter<Pred> wait(mutex_guard& guard, Pred pred) {
    return predicate_wait_awaiter<Pred>(*this, guard, std::move(pred));
  }

  /// Wakes the task that has waited longest, if any: it re-acquires the mutex and resumes.
  void notify_one() noexcept {
    if (!waiters_.empty()) waiters_.front().wake(detail::sync_waiter::status::granted);
  }

  /// Wakes every waiting task; they re-acquire the mutex one after another, oldest first.
  void notify_all() noexcept { waiters_.wake_all(detail::sync_waiter::status::granted); }

  /// Number of tasks waiting for a notification (not counting notified ones waiting for the
  /// mutex).
  std::size_t waiting() const noexcept { return waiters_.size(); }

 private:
  detail::waiter_list waiters_;
};

}  // namespace eddy
