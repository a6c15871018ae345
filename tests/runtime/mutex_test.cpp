// SPDX-License-Identifier: MIT
#include "eddy/runtime/mutex.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "eddy/core/when_all.hpp"
#include "eddy/runtime/sleep.hpp"
#include "eddy/runtime/spawn.hpp"
#include "eddy/runtime/timeout.hpp"
#include "support/test_loop.hpp"

using namespace eddy;
using namespace std::chrono_literals;

namespace {

// Locks, records, holds the lock for `hold`, unlocks.
task<void> lock_record_unlock(mutex& m, std::vector<int>& order, int id,
                              std::chrono::milliseconds hold = 0ms) {
  auto guard = co_await m.scoped_lock();
  order.push_back(id);
  if (hold > 0ms) co_await sleep_for(hold);
}

}  // namespace

TEST(Mutex, LockAndTryLockOnAnUnlockedMutexSucceedAtOnce) {
  auto body = []() -> task<void> {
    mutex m;
    EXPECT_FALSE(m.is_locked());
    co_await m.lock();
    EXPECT_TRUE(m.is_locked());
    EXPECT_FALSE(m.try_lock());
    m.unlock();
    EXPECT_FALSE(m.is_locked());
    EXPECT_TRUE(m.try_lock());
    m.unlock();
  };
  test::run_virtual(body());
}

TEST(Mutex, UnlockingAnUnlockedMutexThrowsInvalidState) {
  mutex m;
  EXPECT_THROW(m.unlock(), invalid_state_error);
  EXPECT_TRUE(m.try_lock());
  m.unlock();
  EXPECT_THROW(m.unlock(), invalid_state_error);
}

TEST(Mutex, CriticalSectionsNeverOverlapAndRunInArrivalOrder) {
  auto body = []() -> task<void> {
    mutex m;
    std::string trace;
    auto worker = [](mutex& m, std::string& trace, char id) -> task<void> {
      for (int i = 0; i < 3; ++i) {
        auto guard = co_await m.scoped_lock();
        trace += id;
        co_await sleep_for(1ms);  // give the others every chance to sneak in
        trace += id;
      }
    };
    co_await when_all(worker(m, trace, 'a'), worker(m, trace, 'b'), worker(m, trace, 'c'));
    // Each section is "xx" (no overlap) and the FIFO hand-off makes the tasks take turns.
    EXPECT_EQ(trace, "aabbccaabbccaabbcc");
    EXPECT_FALSE(m.is_locked());
  };
  test::run_virtual(body());
}

TEST(Mutex, UnlockHandsOwnershipToTheOldestWaiterSoNobodyCanBarge) {
  auto body = []() -> task<void> {
    mutex m;
    std::vector<int> order;
    co_await m.lock();
    auto a = spawn(lock_record_unlock(m, order, 1));
    auto b = spawn(lock_record_unlock(m, order, 2));
    co_await yield();
    EXPECT_EQ(m.waiting(), 2u);
    m.unlock();
    EXPECT_TRUE(m.is_locked());  // owned by the first waiter, which has not run yet
    EXPECT_FALSE(m.try_lock());
    // Queue behind them: served third.
    auto c = spawn(lock_record_unlock(m, order, 3));
    co_await a;
    co_await b;
    co_await c;
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
    EXPECT_FALSE(m.is_locked());
  };
  test::run_virtual(body());
}

TEST(Mutex, GuardsMoveAndUnlockExactlyOnce) {
  auto body = []() -> task<void> {
    mutex m;
    {
      auto g = co_await m.scoped_lock();
      EXPECT_TRUE(g.owns_lock());
      EXPECT_EQ(g.mutex(), &m);
      mutex_guard moved = std::move(g);
      EXPECT_FALSE(g.owns_lock());
      EXPECT_TRUE(moved.owns_lock());
      EXPECT_TRUE(m.is_locked());
      moved.unlock();
      moved.unlock();
      EXPECT_FALSE(m.is_locked());
    }
    EXPECT_FALSE(m.is_locked());
    EXPECT_TRUE(m.try_lock());
    {
      mutex_guard adopted(m, std::adopt_lock);
      EXPECT_TRUE(adopted.owns_lock());
    }
    EXPECT_FALSE(m.is_locked());
  };
  test::run_virtual(body());
}

TEST(Mutex, CancelledWaiterLeavesTheQueueWithoutTheLock) {
  auto body = []() -> task<void> {
    mutex m;
    std::vector<int> order;
    co_await m.lock();
    auto a = spawn(lock_record_unlock(m, order, 1));
    auto b = spawn(lock_record_unlock(m, order, 2));
    auto c = spawn(lock_record_unlock(m, order, 3));
    co_await yield();
    a.cancel();
    c.cancel();
    EXPECT_EQ(m.waiting(), 1u);
    EXPECT_THROW(co_await a, cancelled_error);
    EXPECT_THROW(co_await c, cancelled_error);
    EXPECT_TRUE(m.is_locked());
    m.unlock();
    co_await b;
    EXPECT_EQ(order, std::vector<int>{2});
    EXPECT_FALSE(m.is_locked());
  };
  test::run_virtual(body());
}

TEST(Mutex, AnAlreadyCancelledTaskThrowsWhenItWouldHaveToWait) {
  auto body = []() -> task<void> {
    mutex m;
    co_await m.lock();
    auto h = spawn([](mutex& m) -> task<void> {
      auto token = co_await this_task::token();
      while (!token.cancel_requested()) co_await yield();
      co_await m.lock();
    }(m));
    co_await yield();
    h.cancel();
    EXPECT_THROW(co_await h, cancelled_error);
    EXPECT_EQ(m.waiting(), 0u);
    m.unlock();
    EXPECT_FALSE(m.is_locked());
  };
  test::run_virtual(body());
}

TEST(Mutex, WaiterCancelledAfterTheHandOffOwnsTheLockAndSeesTheCancellationNext) {
  auto body = []() -> task<void> {
    mutex m;
    bool locked = false;
    co_await m.lock();
    auto h = spawn([](mutex& m, bool& locked) -> task<void> {
      auto guard = co_await m.scoped_lock();
      locked = true;
      co_await sleep_for(1s);  // the pending cancellation ends this wait
    }(m, locked));
    co_await yield();
    m.unlock();  // hand-off: the waiter owns the lock but has not run
    h.cancel();
    EXPECT_THROW(co_await h, cancelled_error);
    EXPECT_TRUE(locked);
    EXPECT_FALSE(m.is_locked());  // its guard unlocked while unwinding
  };
  test::run_virtual(body());
}

TEST(Mutex, DestroyingAParkedFramePassesTheLockToTheNextWaiter) {
  auto body = []() -> task<void> {
    mutex m;
    std::vector<int> order;
    co_await m.lock();
    auto parked = lock_record_unlock(m, order, 1).release();
    detail::this_loop().schedule(parked);
    auto next = spawn(lock_record_unlock(m, order, 2));
    co_await yield();
    EXPECT_EQ(m.waiting(), 2u);
    parked.destroy();
    EXPECT_EQ(m.waiting(), 1u);
    m.unlock();
    co_await next;
    EXPECT_EQ(order, std::vector<int>{2});
    EXPECT_FALSE(m.is_locked());
  };
  test::run_virtual(body());
}

TEST(Mutex, LockUnderATimeoutGivesUpAndTheMutexStillWorks) {
  auto body = []() -> task<void> {
    mutex m;
    co_await m.lock();
    EXPECT_THROW(co_await with_timeout(10ms, m.lock()), timeout_error);
    auto g = co_await move_on_after(10ms, m.scoped_lock());
    EXPECT_FALSE(g.has_value());
    EXPECT_EQ(m.waiting(), 0u);
    m.unlock();
    auto ok = co_await move_on_after(10ms, m.scoped_lock());
    EXPECT_TRUE(ok.has_value() && ok->owns_lock());
    EXPECT_TRUE(m.is_locked());
    ok.reset();
    EXPECT_FALSE(m.is_locked());
  };
  test::run_virtual(body());
}

TEST(Mutex, DestroyingTheMutexWakesItsWaitersWithInvalidState) {
  auto body = []() -> task<void> {
    std::optional<mutex> m(std::in_place);
    EXPECT_TRUE(m->try_lock());
    auto h = spawn([](mutex& m) -> task<void> { co_await m.lock(); }(*m));
    co_await yield();
    m.reset();
    EXPECT_THROW(co_await h, invalid_state_error);
  };
  test::run_virtual(body());
}
