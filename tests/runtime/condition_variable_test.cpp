// SPDX-License-Identifier: MIT
#include "eddy/runtime/condition_variable.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <optional>
#include <stdexcept>
#include <vector>

#include "eddy/core/when_all.hpp"
#include "eddy/runtime/mutex.hpp"
#include "eddy/runtime/sleep.hpp"
#include "eddy/runtime/spawn.hpp"
#include "support/test_loop.hpp"

using namespace eddy;
using namespace std::chrono_literals;

namespace {

// Waits once (no predicate), checks the lock is held again, records `id`.
task<void> wait_once(mutex& m, condition_variable& cv, std::vector<int>& order, int id) {
  auto guard = co_await m.scoped_lock();
  co_await cv.wait(guard);
  EXPECT_TRUE(guard.owns_lock());
  EXPECT_TRUE(m.is_locked());
  order.push_back(id);
}

// Waits until `flag`, counting predicate evaluations; records whether the lock was held.
task<void> wait_for_flag(mutex& m, condition_variable& cv, const bool& flag, int& checks,
                         bool& held_after) {
  auto guard = co_await m.scoped_lock();
  co_await cv.wait(guard, [&] {
    ++checks;
    return flag;
  });
  held_after = guard.owns_lock() && m.is_locked() && flag;
}

// Waits once; on cancellation records whether the lock was held when the exception arrived.
task<void> wait_and_observe_cancel(mutex& m, condition_variable& cv, bool& held_on_cancel) {
  auto guard = co_await m.scoped_lock();
  try {
    co_await cv.wait(guard);
  } catch (const cancelled_error&) {
    held_on_cancel = guard.owns_lock() && m.is_locked();
    throw;
  }
}

}  // namespace

TEST(ConditionVariable, WaitReleasesTheMutexAndHoldsItAgainWhenItReturns) {
  auto body = []() -> task<void> {
    mutex m;
    condition_variable cv;
    std::vector<int> order;
    auto waiter = spawn(wait_once(m, cv, order, 1));
    co_await yield();
    EXPECT_EQ(cv.waiting(), 1u);
    EXPECT_FALSE(m.is_locked());
    {
      auto guard = co_await m.scoped_lock();
      cv.notify_one();
      EXPECT_EQ(cv.waiting(), 0u);
      EXPECT_EQ(m.waiting(), 1u);  // notified: now queued for the mutex
      co_await sleep_for(5ms);
      EXPECT_TRUE(order.empty());  // cannot return while we hold the lock
    }
    co_await waiter;
    EXPECT_EQ(order, std::vector<int>{1});
    EXPECT_FALSE(m.is_locked());
  };
  test::run_virtual(body());
}

TEST(ConditionVariable, NotifyOneWakesTheOldestAndNotifyAllTheRestInOrder) {
  auto body = []() -> task<void> {
    mutex m;
    condition_variable cv;
    std::vector<int> order;
    std::vector<join_handle<void>> hs;
    for (int id : {4, 2, 3, 1}) hs.push_back(spawn(wait_once(m, cv, order, id)));
    co_await yield();
    EXPECT_EQ(cv.waiting(), 4u);
    cv.notify_one();
    co_await sleep_for(1ms);
    EXPECT_EQ(order, std::vector<int>{4});
    cv.notify_all();
    for (auto& h : hs) co_await h;
    EXPECT_EQ(order, (std::vector<int>{4, 2, 3, 1}));
    EXPECT_FALSE(m.is_locked());
  };
  test::run_virtual(body());
}

TEST(ConditionVariable, ANotificationWithNobodyWaitingIsNotRemembered) {
  auto body = []() -> task<void> {
    mutex m;
    condition_variable cv;
    std::vector<int> order;
    cv.notify_one();
    cv.notify_all();
    auto waiter = spawn(wait_once(m, cv, order, 1));
    co_await sleep_for(1s);
    EXPECT_TRUE(order.empty());
    cv.notify_one();
    co_await waiter;
    EXPECT_EQ(order, std::vector<int>{1});
  };
  test::run_virtual(body());
}

TEST(ConditionVariable, PredicateWaitReturnsAtOnceWithoutReleasingTheLockWhenAlreadyTrue) {
  auto body = []() -> task<void> {
    mutex m;
    condition_variable cv;
    auto guard = co_await m.scoped_lock();
    int checks = 0;
    auto start = detail::this_loop().now();
    co_await cv.wait(guard, [&] {
      ++checks;
      return true;
    });
    EXPECT_EQ(checks, 1);
    EXPECT_TRUE(guard.owns_lock());
    EXPECT_EQ(detail::this_loop().now(), start);
  };
  test::run_virtual(body());
}

TEST(ConditionVariable, PredicateWaitKeepsWaitingWhileThePredicateIsFalse) {
  auto body = []() -> task<void> {
    mutex m;
    condition_variable cv;
    bool flag = false;
    int checks = 0;
    bool held_after = false;
    auto waiter = spawn(wait_for_flag(m, cv, flag, checks, held_after));
    co_await yield();
    EXPECT_EQ(checks, 1);
    for (int i = 0; i < 3; ++i) {
      cv.notify_one();
      co_await sleep_for(1ms);
      EXPECT_EQ(cv.waiting(), 1u);   // re-checked under the lock, then back to waiting
      EXPECT_FALSE(m.is_locked());   // and the lock was released again
      EXPECT_FALSE(waiter.done());
    }
    EXPECT_EQ(checks, 4);
    {
      auto guard = co_await m.scoped_lock();
      flag = true;
      cv.notify_all();
    }
    co_await waiter;
    EXPECT_EQ(checks, 5);
    EXPECT_TRUE(held_after);
  };
  test::run_virtual(body());
}

TEST(ConditionVariable, CancelledWaiterReacquiresTheLockBeforeThrowing) {
  auto body = []() -> task<void> {
    mutex m;
    condition_variable cv;
    bool held_on_cancel = false;
    auto waiter = spawn(wait_and_observe_cancel(m, cv, held_on_cancel));
    co_await yield();
    {
      auto guard = co_await m.scoped_lock();
      waiter.cancel();
      EXPECT_EQ(cv.waiting(), 0u);
      EXPECT_EQ(m.waiting(), 1u);  // waiting, uncancellably, for the lock
      co_await sleep_for(10ms);
      EXPECT_FALSE(waiter.done());
    }
    EXPECT_THROW(co_await waiter, cancelled_error);
    EXPECT_TRUE(held_on_cancel);
    EXPECT_FALSE(m.is_locked());  // released by the waiter's guard while unwinding
  };
  test::run_virtual(body());
}

TEST(ConditionVariable, AnAlreadyCancelledTaskThrowsWithoutEverReleasingTheLock) {
  auto body = []() -> task<void> {
    mutex m;
    condition_variable cv;
    std::vector<int> order;
    bool lock_was_never_released = false;
    auto h = spawn([](mutex& m, condition_variable& cv, bool& never_released) -> task<void> {
      auto guard = co_await m.scoped_lock();
      auto token = co_await this_task::token();
      while (!token.cancel_requested()) co_await yield();
      try {
        co_await cv.wait(guard);
      } catch (const cancelled_error&) {
        // The competitor is still queued: the lock was never handed to it.
        never_released = guard.owns_lock() && m.waiting() == 1 && cv.waiting() == 0;
        throw;
      }
    }(m, cv, lock_was_never_released));
    co_await yield();
    auto competitor = spawn([](mutex& m, std::vector<int>& order) -> task<void> {
      auto guard = co_await m.scoped_lock();
      order.push_back(2);
    }(m, order));
    co_await yield();
    h.cancel();
    EXPECT_THROW(co_await h, cancelled_error);
    EXPECT_TRUE(lock_was_never_released);
    co_await competitor;
    EXPECT_EQ(order, std::vector<int>{2});
  };
  test::run_virtual(body());
}

TEST(ConditionVariable, NotifiedWaiterCancelledBeforeItGetsTheLockBackStillReturnsNormally) {
  auto body = []() -> task<void> {
    mutex m;
    condition_variable cv;
    int stage = 0;
    auto waiter = spawn([](mutex& m, condition_variable& cv, int& stage) -> task<void> {
      auto guard = co_await m.scoped_lock();
      co_await cv.wait(guard);
      stage = 1;  // the notification was not lost to the cancellation
      guard.unlock();
      co_await sleep_for(1s);  // the pending cancellation is seen here
      stage = 2;
    }(m, cv, stage));
    co_await yield();
    {
      auto guard = co_await m.scoped_lock();
      cv.notify_one();
      waiter.cancel();
    }
    EXPECT_THROW(co_await waiter, cancelled_error);
    EXPECT_EQ(stage, 1);
    EXPECT_FALSE(m.is_locked());
  };
  test::run_virtual(body());
}

TEST(ConditionVariable, PredicateWaiterCancelledAfterAFalseCheckThrowsHoldingTheLock) {
  auto body = []() -> task<void> {
    mutex m;
    condition_variable cv;
    bool held_on_cancel = false;
    int checks = 0;
    auto waiter = spawn([](mutex& m, condition_variable& cv, int& checks, bool& held) -> task<void> {
      auto guard = co_await m.scoped_lock();
      try {
        co_await cv.wait(guard, [&] { return ++checks > 100; });
      } catch (const cancelled_error&) {
        held = guard.owns_lock() && m.is_locked();
        throw;
      }
    }(m, cv, checks, held_on_cancel));
    co_await yield();
    cv.notify_one();
    co_await yield();
    co_await yield();
    EXPECT_EQ(checks, 2);
    EXPECT_EQ(cv.waiting(), 1u);
    waiter.cancel();
    EXPECT_THROW(co_await waiter, cancelled_error);
    EXPECT_TRUE(held_on_cancel);
    EXPECT_EQ(checks, 2);
    EXPECT_FALSE(m.is_locked());
  };
  test::run_virtual(body());
}

TEST(ConditionVariable, NotifiedPredicateWaiterCancelledWhileThePredicateIsFalseThrows) {
  auto body = []() -> task<void> {
    mutex m;
    condition_variable cv;
    bool flag = false;
    int checks = 0;
    bool held_after = false;
    auto waiter = spawn(wait_for_flag(m, cv, flag, checks, held_after));
    co_await yield();
    {
      auto guard = co_await m.scoped_lock();
      cv.notify_one();
      waiter.cancel();  // notified, queued for the lock, and the predicate is still false
    }
    EXPECT_THROW(co_await waiter, cancelled_error);
    EXPECT_EQ(checks, 2);
    EXPECT_FALSE(held_after);
    EXPECT_EQ(cv.waiting(), 0u);
    EXPECT_FALSE(m.is_locked());
  };
  test::run_virtual(body());
}

TEST(ConditionVariable, AnExceptionFromThePredicateIsRethrownWithTheLockHeld) {
  auto body = []() -> task<void> {
    mutex m;
    condition_variable cv;
    bool held = false;
    bool armed = false;
    auto waiter = spawn([](mutex& m, condition_variable& cv, bool& armed, bool& held) -> task<void> {
      auto guard = co_await m.scoped_lock();
      try {
        co_await cv.wait(guard, [&]() -> bool {
          if (armed) throw std::runtime_error("predicate failed");
          return false;
        });
      } catch (const std::runtime_error&) {
        held = guard.owns_lock() && m.is_locked();
      }
    }(m, cv, armed, held));
    co_await yield();
    armed = true;
    cv.notify_one();
    co_await waiter;
    EXPECT_TRUE(held);
    EXPECT_FALSE(m.is_locked());

    // An exception on entry propagates at once, the lock still held.
    auto guard = co_await m.scoped_lock();
    EXPECT_THROW(co_await cv.wait(guard, []() -> bool { throw std::runtime_error("x"); }),
                 std::runtime_error);
    EXPECT_TRUE(guard.owns_lock());
  };
  test::run_virtual(body());
}

TEST(ConditionVariable, WaitingWithAGuardThatHoldsNoLockThrowsInvalidState) {
  auto body = []() -> task<void> {
    mutex m;
    condition_variable cv;
    mutex_guard empty;
    EXPECT_THROW(co_await cv.wait(empty), invalid_state_error);
    auto guard = co_await m.scoped_lock();
    guard.unlock();
    EXPECT_THROW(co_await cv.wait(guard, [] { return false; }), invalid_state_error);
    EXPECT_EQ(cv.waiting(), 0u);
    EXPECT_FALSE(m.is_locked());
  };
  test::run_virtual(body());
}

TEST(ConditionVariable, NoWakeUpIsLostInABoundedBufferWithSeveralProducersAndConsumers) {
  struct shared_state {
    mutex m;
    condition_variable not_full;
    condition_variable not_empty;
    std::deque<int> items;
    int producers_left = 3;
    std::vector<int> consumed;
  };
  auto producer = [](shared_state& s, int id) -> task<void> {
    for (int i = 0; i < 200; ++i) {
      auto guard = co_await s.m.scoped_lock();
      co_await s.not_full.wait(guard, [&] { return s.items.size() < 4; });
      s.items.push_back(id * 1000 + i);
      s.not_empty.notify_one();
      guard.unlock();
      if (i % (id + 2) == 0) co_await sleep_for(std::chrono::microseconds(100 * (id + 1)));
    }
    auto guard = co_await s.m.scoped_lock();
    if (--s.producers_left == 0) s.not_empty.notify_all();
  };
  auto consumer = [](shared_state& s, int id) -> task<void> {
    for (;;) {
      auto guard = co_await s.m.scoped_lock();
      co_await s.not_empty.wait(guard, [&] { return !s.items.empty() || s.producers_left == 0; });
      if (s.items.empty()) co_return;
      s.consumed.push_back(s.items.front());
      s.items.pop_front();
      s.not_full.notify_one();
      guard.unlock();
      if (s.consumed.size() % (id + 3) == 0) co_await sleep_for(std::chrono::microseconds(70));
    }
  };
  auto body = [&]() -> task<void> {
    shared_state s;
    co_await when_all(producer(s, 0), producer(s, 1), producer(s, 2), consumer(s, 0),
                      consumer(s, 1));
    EXPECT_EQ(s.consumed.size(), 600u);
    std::vector<int> seen(3 * 200, 0);
    for (int v : s.consumed) ++seen[(v / 1000) * 200 + v % 1000];
    EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), 600);
    EXPECT_EQ(s.not_full.waiting() + s.not_empty.waiting(), 0u);
  };
  test::run_virtual(body());
}

TEST(ConditionVariable, DestroyingFramesParkedOnItOrOnItsMutexLeavesBothWorking) {
  auto body = []() -> task<void> {
    mutex m;
    condition_variable cv;
    std::vector<int> order;
    // Parked on the condition variable.
    auto parked = wait_once(m, cv, order, 1).release();
    detail::this_loop().schedule(parked);
    auto next = spawn(wait_once(m, cv, order, 2));
    co_await yield();
    EXPECT_EQ(cv.waiting(), 2u);
    parked.destroy();  // its guard owns nothing while it waits: the mutex stays unlocked
    EXPECT_EQ(cv.waiting(), 1u);
    EXPECT_FALSE(m.is_locked());
    cv.notify_one();
    co_await next;
    EXPECT_EQ(order, std::vector<int>{2});

    // Notified and parked on the mutex.
    auto parked2 = wait_once(m, cv, order, 3).release();
    detail::this_loop().schedule(parked2);
    co_await yield();
    {
      auto guard = co_await m.scoped_lock();
      cv.notify_one();
      EXPECT_EQ(m.waiting(), 1u);
      parked2.destroy();
      EXPECT_EQ(m.waiting(), 0u);
      EXPECT_TRUE(m.is_locked());  // still ours
    }
    EXPECT_FALSE(m.is_locked());
    EXPECT_EQ(order, std::vector<int>{2});
  };
  test::run_virtual(body());
}

TEST(ConditionVariable, DestroyingItWakesWaitersWithInvalidStateOnceTheyHoldTheLock) {
  auto body = []() -> task<void> {
    mutex m;
    std::optional<condition_variable> cv(std::in_place);
    bool held = false;
    auto h = spawn([](mutex& m, condition_variable& cv, bool& held) -> task<void> {
      auto guard = co_await m.scoped_lock();
      try {
        co_await cv.wait(guard);
      } catch (const invalid_state_error&) {
        held = guard.owns_lock();
        throw;
      }
    }(m, *cv, held));
    co_await yield();
    cv.reset();
    EXPECT_THROW(co_await h, invalid_state_error);
    EXPECT_TRUE(held);
    EXPECT_FALSE(m.is_locked());
  };
  test::run_virtual(body());
}
