// SPDX-License-Identifier: MIT
#include "eddy/runtime/semaphore.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <optional>
#include <stdexcept>
#include <vector>

#include "eddy/core/when_all.hpp"
#include "eddy/runtime/sleep.hpp"
#include "eddy/runtime/spawn.hpp"
#include "eddy/runtime/timeout.hpp"
#include "support/test_loop.hpp"

using namespace eddy;
using namespace std::chrono_literals;

namespace {

// Takes a permit, records the order, and keeps it until the end of the test (never releases).
task<void> acquire_and_record(semaphore& sem, std::vector<int>& order, int id) {
  co_await sem.acquire();
  order.push_back(id);
}

}  // namespace

TEST(Semaphore, AcquireTakesAvailablePermitsWithoutSuspending) {
  auto body = []() -> task<void> {
    semaphore sem(2);
    EXPECT_EQ(sem.available(), 2u);
    co_await sem.acquire();
    co_await sem.acquire();
    EXPECT_EQ(sem.available(), 0u);
    EXPECT_FALSE(sem.try_acquire());
    sem.release(2);
    EXPECT_TRUE(sem.try_acquire());
    EXPECT_EQ(sem.available(), 1u);
  };
  test::run_virtual(body());
}

TEST(Semaphore, WaitersAreServedInTheOrderTheyStartedWaiting) {
  auto body = []() -> task<void> {
    semaphore sem(0);
    std::vector<int> order;
    std::vector<join_handle<void>> hs;
    for (int id : {5, 2, 8, 1}) {
      hs.push_back(spawn(acquire_and_record(sem, order, id)));
      co_await yield();
    }
    EXPECT_EQ(sem.waiting(), 4u);
    for (int i = 0; i < 4; ++i) {
      sem.release();
      co_await yield();
      EXPECT_EQ(order.size(), static_cast<std::size_t>(i + 1));
    }
    for (auto& h : hs) co_await h;
    EXPECT_EQ(order, (std::vector<int>{5, 2, 8, 1}));
  };
  test::run_virtual(body());
}

TEST(Semaphore, ReleaseHandsThePermitToTheWaiterSoNobodyCanBarge) {
  auto body = []() -> task<void> {
    semaphore sem(1);
    co_await sem.acquire();
    std::vector<int> order;
    auto waiter = spawn(acquire_and_record(sem, order, 1));
    co_await yield();
    sem.release();
    // The permit now belongs to the waiter, which has not run yet.
    EXPECT_EQ(sem.available(), 0u);
    EXPECT_FALSE(sem.try_acquire());
    co_await waiter;
    EXPECT_EQ(order, std::vector<int>{1});
    EXPECT_EQ(sem.available(), 0u);
  };
  test::run_virtual(body());
}

TEST(Semaphore, ReleasingSeveralPermitsWakesThatManyWaitersAndKeepsTheRest) {
  auto body = []() -> task<void> {
    semaphore sem(0);
    std::vector<int> order;
    auto a = spawn(acquire_and_record(sem, order, 1));
    auto b = spawn(acquire_and_record(sem, order, 2));
    co_await yield();
    sem.release(5);
    EXPECT_EQ(sem.waiting(), 0u);
    EXPECT_EQ(sem.available(), 3u);
    co_await a;
    co_await b;
    EXPECT_EQ(order, (std::vector<int>{1, 2}));
  };
  test::run_virtual(body());
}

TEST(Semaphore, ReleaseThatWouldOverflowThrowsAndChangesNothing) {
  semaphore sem(std::numeric_limits<std::size_t>::max() - 1);
  EXPECT_THROW(sem.release(2), std::overflow_error);
  EXPECT_EQ(sem.available(), std::numeric_limits<std::size_t>::max() - 1);
  sem.release();
  EXPECT_EQ(sem.available(), std::numeric_limits<std::size_t>::max());
}

TEST(Semaphore, NeverLetsMoreTasksInThanItHasPermits) {
  auto body = []() -> task<void> {
    semaphore sem(3);
    int inside = 0;
    int peak = 0;
    int finished = 0;
    auto worker = [](semaphore& sem, int& inside, int& peak, int& finished, int i) -> task<void> {
      auto permit = co_await sem.scoped_acquire();
      peak = std::max(peak, ++inside);
      co_await sleep_for(std::chrono::milliseconds(1 + i % 7));
      --inside;
      ++finished;
    };
    std::vector<task<void>> workers;
    for (int i = 0; i < 40; ++i) workers.push_back(worker(sem, inside, peak, finished, i));
    co_await when_all(std::move(workers));
    EXPECT_EQ(peak, 3);
    EXPECT_EQ(finished, 40);
    EXPECT_EQ(sem.available(), 3u);
  };
  test::run_virtual(body());
}

TEST(Semaphore, ScopedAcquireReleasesWhenTheGuardDiesEvenOnException) {
  auto body = []() -> task<void> {
    semaphore sem(1);
    try {
      auto permit = co_await sem.scoped_acquire();
      EXPECT_TRUE(permit.owns_permit());
      EXPECT_EQ(sem.available(), 0u);
      throw std::runtime_error("boom");
    } catch (const std::runtime_error&) {
    }
    EXPECT_EQ(sem.available(), 1u);

    auto a = co_await sem.scoped_acquire();
    semaphore_guard b = std::move(a);
    EXPECT_FALSE(a.owns_permit());
    EXPECT_TRUE(b.owns_permit());
    b.release();
    b.release();
    EXPECT_EQ(sem.available(), 1u);

    EXPECT_TRUE(sem.try_acquire());
    { semaphore_guard adopted(sem); }
    EXPECT_EQ(sem.available(), 1u);
  };
  test::run_virtual(body());
}

TEST(Semaphore, CancelledWaiterLeavesTheQueueWithoutTakingAPermit) {
  auto body = []() -> task<void> {
    semaphore sem(0);
    std::vector<int> order;
    auto a = spawn(acquire_and_record(sem, order, 1));
    auto b = spawn(acquire_and_record(sem, order, 2));
    auto c = spawn(acquire_and_record(sem, order, 3));
    co_await yield();
    b.cancel();
    EXPECT_EQ(sem.waiting(), 2u);
    EXPECT_THROW(co_await b, cancelled_error);
    sem.release(2);
    co_await a;
    co_await c;
    EXPECT_EQ(order, (std::vector<int>{1, 3}));
    EXPECT_EQ(sem.available(), 0u);
    sem.release();
    EXPECT_EQ(sem.available(), 1u);
  };
  test::run_virtual(body());
}

TEST(Semaphore, AnAlreadyCancelledTaskThrowsWhenItWouldHaveToWait) {
  auto body = []() -> task<void> {
    semaphore sem(0);
    auto h = spawn([](semaphore& sem) -> task<void> {
      auto token = co_await this_task::token();
      while (!token.cancel_requested()) co_await yield();
      co_await sem.acquire();
    }(sem));
    co_await yield();
    h.cancel();
    EXPECT_THROW(co_await h, cancelled_error);
    EXPECT_EQ(sem.waiting(), 0u);
    sem.release();
    EXPECT_EQ(sem.available(), 1u);
  };
  test::run_virtual(body());
}

TEST(Semaphore, WaiterCancelledAfterTheHandOffKeepsItsPermitAndSeesTheCancellationNext) {
  auto body = []() -> task<void> {
    semaphore sem(0);
    bool acquired = false;
    auto h = spawn([](semaphore& sem, bool& acquired) -> task<void> {
      co_await sem.acquire();
      acquired = true;
      auto permit = semaphore_guard(sem);
      co_await sleep_for(1s);  // the pending cancellation ends this wait
    }(sem, acquired));
    co_await yield();
    sem.release();  // hands the permit over; the waiter is scheduled but has not run
    h.cancel();     // too late to take the permit back
    EXPECT_THROW(co_await h, cancelled_error);
    EXPECT_TRUE(acquired);
    EXPECT_EQ(sem.available(), 1u);  // returned by the guard while unwinding
  };
  test::run_virtual(body());
}

TEST(Semaphore, DestroyingAParkedFrameDoesNotSwallowAPermit) {
  auto body = []() -> task<void> {
    semaphore sem(0);
    std::vector<int> order;
    auto parked = acquire_and_record(sem, order, 1).release();
    detail::this_loop().schedule(parked);
    auto next = spawn(acquire_and_record(sem, order, 2));
    co_await yield();
    EXPECT_EQ(sem.waiting(), 2u);
    parked.destroy();
    EXPECT_EQ(sem.waiting(), 1u);
    sem.release(2);
    co_await next;
    EXPECT_EQ(order, std::vector<int>{2});
    EXPECT_EQ(sem.available(), 1u);
  };
  test::run_virtual(body());
}

TEST(Semaphore, AcquireUnderATimeoutGivesUpCleanly) {
  auto body = []() -> task<void> {
    semaphore sem(0);
    EXPECT_THROW(co_await with_timeout(20ms, sem.acquire()), timeout_error);
    EXPECT_EQ(sem.waiting(), 0u);
    auto g = co_await move_on_after(20ms, sem.scoped_acquire());
    EXPECT_FALSE(g.has_value());
    sem.release();
    auto ok = co_await move_on_after(20ms, sem.scoped_acquire());
    EXPECT_TRUE(ok.has_value());
    if (!ok) co_return;
    EXPECT_TRUE(ok->owns_permit());
    EXPECT_EQ(sem.available(), 0u);
    ok.reset();
    EXPECT_EQ(sem.available(), 1u);
  };
  test::run_virtual(body());
}

TEST(Semaphore, DestroyingTheSemaphoreWakesItsWaitersWithInvalidState) {
  auto body = []() -> task<void> {
    std::optional<semaphore> sem(std::in_place, 0);
    auto h = spawn([](semaphore& s) -> task<void> { co_await s.acquire(); }(*sem));
    co_await yield();
    sem.reset();
    EXPECT_THROW(co_await h, invalid_state_error);
  };
  test::run_virtual(body());
}
