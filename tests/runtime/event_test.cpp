// SPDX-License-Identifier: MIT
#include "eddy/runtime/event.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <vector>

#include "eddy/runtime/sleep.hpp"
#include "eddy/runtime/spawn.hpp"
#include "eddy/runtime/timeout.hpp"
#include "support/test_loop.hpp"

using namespace eddy;
using namespace std::chrono_literals;

namespace {

task<void> wait_and_record(event& ev, std::vector<int>& order, int id) {
  co_await ev.wait();
  order.push_back(id);
}

}  // namespace

TEST(Event, StartsClearAndWaitCompletesAtOnceWhenSet) {
  auto body = []() -> task<void> {
    event ev;
    EXPECT_FALSE(ev.is_set());
    ev.set();
    EXPECT_TRUE(ev.is_set());
    auto start = detail::this_loop().now();
    co_await ev.wait();
    co_await ev.wait();
    EXPECT_EQ(detail::this_loop().now(), start);
    event preset(true);
    co_await preset.wait();
  };
  test::run_virtual(body());
}

TEST(Event, SetReleasesEveryWaiterInTheOrderTheyStartedWaiting) {
  auto body = []() -> task<void> {
    event ev;
    std::vector<int> order;
    std::vector<join_handle<void>> waiters;
    for (int id : {3, 1, 4, 2}) waiters.push_back(spawn(wait_and_record(ev, order, id)));
    co_await sleep_for(10ms);
    EXPECT_EQ(ev.waiting(), 4u);
    EXPECT_TRUE(order.empty());
    ev.set();
    EXPECT_EQ(ev.waiting(), 0u);
    for (auto& w : waiters) co_await w;
    EXPECT_EQ(order, (std::vector<int>{3, 1, 4, 2}));
  };
  test::run_virtual(body());
}

TEST(Event, WaitersWokenBySetCompleteEvenIfClearedBeforeTheyRun) {
  auto body = []() -> task<void> {
    event ev;
    std::vector<int> order;
    auto a = spawn(wait_and_record(ev, order, 1));
    auto b = spawn(wait_and_record(ev, order, 2));
    co_await yield();
    ev.set();
    ev.clear();
    co_await a;
    co_await b;
    EXPECT_EQ(order, (std::vector<int>{1, 2}));
    EXPECT_FALSE(ev.is_set());
  };
  test::run_virtual(body());
}

TEST(Event, WaitSuspendsAgainAfterClear) {
  auto body = []() -> task<void> {
    event ev;
    ev.set();
    ev.clear();
    std::vector<int> order;
    auto w = spawn(wait_and_record(ev, order, 1));
    co_await sleep_for(1s);
    EXPECT_TRUE(order.empty());
    EXPECT_EQ(ev.waiting(), 1u);
    ev.set();
    co_await w;
    EXPECT_EQ(order, std::vector<int>{1});
  };
  test::run_virtual(body());
}

TEST(Event, CancellingAWaiterThrowsAndLeavesTheOthersWaiting) {
  auto body = []() -> task<void> {
    event ev;
    std::vector<int> order;
    auto a = spawn(wait_and_record(ev, order, 1));
    auto b = spawn(wait_and_record(ev, order, 2));
    auto c = spawn(wait_and_record(ev, order, 3));
    co_await yield();
    EXPECT_EQ(ev.waiting(), 3u);
    b.cancel();
    EXPECT_EQ(ev.waiting(), 2u);
    EXPECT_THROW(co_await b, cancelled_error);
    EXPECT_TRUE(b.cancelled());
    ev.set();
    co_await a;
    co_await c;
    EXPECT_EQ(order, (std::vector<int>{1, 3}));
  };
  test::run_virtual(body());
}

TEST(Event, AnAlreadyCancelledTaskThrowsOnlyWhenItWouldHaveToWait) {
  auto body = []() -> task<void> {
    event ev;
    // A cancelled task whose wait can complete at once is not interrupted (asyncio semantics);
    // the next wait that would suspend throws.
    auto g = spawn([](event& ev) -> task<int> {
      auto token = co_await this_task::token();
      while (!token.cancel_requested()) co_await yield();
      ev.set();
      co_await ev.wait();
      ev.clear();
      try {
        co_await ev.wait();
      } catch (const cancelled_error&) {
        co_return 2;
      }
      co_return 1;
    }(ev));
    co_await yield();
    g.cancel();
    EXPECT_EQ(co_await g, 2);
    EXPECT_EQ(ev.waiting(), 0u);
  };
  test::run_virtual(body());
}

TEST(Event, DestroyingAParkedFrameUnlinksItsWaiter) {
  auto body = []() -> task<void> {
    event ev;
    std::vector<int> order;
    auto first = spawn(wait_and_record(ev, order, 1));
    // A frame parked on the event and then destroyed without resuming (as a loop tears down
    // tasks that refuse to finish).
    auto parked = wait_and_record(ev, order, 2).release();
    detail::this_loop().schedule(parked);
    auto last = spawn(wait_and_record(ev, order, 3));
    co_await yield();
    EXPECT_EQ(ev.waiting(), 3u);
    parked.destroy();
    EXPECT_EQ(ev.waiting(), 2u);
    ev.set();
    co_await first;
    co_await last;
    EXPECT_EQ(order, (std::vector<int>{1, 3}));
  };
  test::run_virtual(body());
}

TEST(Event, DestroyingTheEventWakesItsWaitersWithInvalidState) {
  auto body = []() -> task<void> {
    std::optional<event> ev(std::in_place);
    auto h = spawn([](event& ev) -> task<void> { co_await ev.wait(); }(*ev));
    co_await yield();
    ev.reset();
    EXPECT_THROW(co_await h, invalid_state_error);
  };
  test::run_virtual(body());
}

TEST(Event, AWaitUnderATimeoutGivesUpAndLeavesTheQueue) {
  auto body = []() -> task<void> {
    event ev;
    auto r = co_await move_on_after(50ms, ev.wait());
    EXPECT_FALSE(r.has_value());
    EXPECT_EQ(ev.waiting(), 0u);
    EXPECT_THROW(co_await with_timeout(50ms, ev.wait()), timeout_error);
    EXPECT_EQ(ev.waiting(), 0u);
    ev.set();
    auto ok = co_await move_on_after(50ms, ev.wait());
    EXPECT_TRUE(ok.has_value());
  };
  test::run_virtual(body());
}
