// SPDX-License-Identifier: MIT
#include "eddy/runtime/timeout.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "eddy/runtime/sleep.hpp"
#include "eddy/runtime/spawn.hpp"
#include "support/test_loop.hpp"

using namespace eddy;
using namespace std::chrono_literals;

namespace {
task<int> slow(int v, std::chrono::milliseconds d) {
  co_await sleep_for(d);
  co_return v;
}
}  // namespace

TEST(Timeout, WithTimeoutReturnsTheValueWhenInTime) {
  auto body = []() -> task<int> { co_return co_await with_timeout(50ms, slow(7, 10ms)); };
  EXPECT_EQ(test::run_virtual(body()), 7);
}

TEST(Timeout, WithTimeoutCancelsTheWorkAndThrowsTimeoutError) {
  bool unwound = false;
  auto body = [&]() -> task<void> {
    auto work = [&]() -> task<int> {
      try {
        co_await sleep_for(1h);
      } catch (const cancelled_error&) {
        unwound = true;
        throw;
      }
      co_return 0;
    };
    auto start = detail::this_loop().now();
    EXPECT_THROW(co_await with_timeout(20ms, work()), timeout_error);
    EXPECT_TRUE(unwound);
    EXPECT_EQ(detail::this_loop().now() - start, 20ms);
  };
  test::run_virtual(body());
}

TEST(Timeout, MoveOnAfterGivesNulloptInsteadOfThrowing) {
  auto body = []() -> task<void> {
    auto late = co_await move_on_after(5ms, slow(1, 10ms));
    EXPECT_FALSE(late.has_value());
    auto early = co_await move_on_after(50ms, slow(2, 10ms));
    EXPECT_TRUE(early.has_value());
    if (!early) co_return;
    EXPECT_EQ(*early, 2);
  };
  test::run_virtual(body());
}

TEST(Timeout, OuterCancellationIsNotConvertedIntoATimeout) {
  auto body = []() -> task<void> {
    auto h = spawn([]() -> task<int> { co_return co_await with_timeout(1h, slow(1, 2h)); }());
    co_await sleep_for(1ms);
    h.cancel();
    EXPECT_THROW(co_await h, cancelled_error);
  };
  test::run_virtual(body());
}

TEST(Timeout, NestedTimeoutsConvertOnlyTheirOwn) {
  auto body = []() -> task<void> {
    auto inner = []() -> task<int> {
      try {
        co_return co_await fail_after(10ms, slow(1, 1h));
      } catch (const timeout_error&) {
        co_return -1;  // the inner deadline fired: handled here
      }
    };
    int v = co_await fail_after(1h, inner());
    EXPECT_EQ(v, -1);
  };
  test::run_virtual(body());
}

TEST(Timeout, AwaitablesOtherThanTasksAreAccepted) {
  auto body = []() -> task<void> {
    auto r = co_await move_on_after(5ms, sleep_for(1s));
    EXPECT_FALSE(r.has_value());
  };
  test::run_virtual(body());
}

TEST(Shield, ProtectsTheRegionFromTheCallersCancellation) {
  auto body = []() -> task<void> {
    bool finished_cleanup = false;
    auto h = spawn([](bool& done) -> task<void> {
      bool cancelled = false;
      try {
        co_await sleep_for(1h);
      } catch (const cancelled_error&) {
        cancelled = true;  // C++ forbids co_await inside a handler: clean up below
      }
      if (cancelled) {
        co_await shield([](bool& d) -> task<void> {
          co_await sleep_for(10ms);  // would throw at once without the shield
          d = true;
        }(done));
        throw cancelled_error();
      }
    }(finished_cleanup));
    co_await sleep_for(1ms);
    h.cancel();
    EXPECT_THROW(co_await h, cancelled_error);
    EXPECT_TRUE(finished_cleanup);
  };
  test::run_virtual(body());
}

TEST(Deadline, ReschedulingLaterKeepsTheWorkAlive) {
  auto body = []() -> task<void> {
    deadline d(detail::this_loop().now() + 10ms);
    auto work = [](deadline& dl) -> task<int> {
      for (int i = 0; i < 5; ++i) {
        co_await sleep_for(8ms);
        dl.reschedule_after(10ms);  // progress: push the deadline
      }
      co_return 5;
    };
    EXPECT_EQ(co_await with_deadline(d, work(d)), 5);
    EXPECT_FALSE(d.expired());
  };
  test::run_virtual(body());
}

TEST(Deadline, ExpiresWhenNotPushedAndEarlierReschedulesApply) {
  auto body = []() -> task<void> {
    deadline d(detail::this_loop().now() + 1h);
    auto start = detail::this_loop().now();
    auto work = [](deadline& dl) -> task<void> {
      dl.reschedule_after(5ms);  // earlier than the hour
      co_await sleep_for(1h);
    };
    EXPECT_THROW(co_await with_deadline(d, work(d)), timeout_error);
    EXPECT_TRUE(d.expired());
    EXPECT_EQ(detail::this_loop().now() - start, 5ms);
  };
  test::run_virtual(body());
}

TEST(Timeout, ALoopOfTimeoutsAroundWorkThatFinishesAtOnceUsesConstantStack) {
  // 200,000 iterations would overflow the stack if each completion nested a frame (as
  // symmetric transfer does where the compiler emits no tail call: -O0, sanitizers).
  auto body = []() -> task<long> {
    long sum = 0;
    for (int i = 0; i < 200'000; ++i) {
      sum += co_await with_timeout(1s, []() -> task<int> { co_return 1; }());
    }
    co_return sum;
  };
  EXPECT_EQ(test::run_virtual(body()), 200'000);
}
