// SPDX-License-Identifier: MIT
#include "eddy/runtime/sleep.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "eddy/core/when_all.hpp"
#include "support/test_loop.hpp"

using namespace eddy;
using namespace std::chrono_literals;

TEST(Sleep, SleepersWakeInDeadlineOrderOnVirtualTime) {
  std::vector<int> order;
  auto sleeper = [&](int id, std::chrono::milliseconds d) -> task<void> {
    co_await sleep_for(d);
    order.push_back(id);
  };
  auto body = [&]() -> task<void> {
    co_await when_all(sleeper(3, 300ms), sleeper(1, 100ms), sleeper(2, 200ms), sleeper(4, 300ms));
  };
  test::run_virtual(body());
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));
}

TEST(Sleep, SleepZeroYieldsToOtherReadyTasks) {
  std::string trace;
  auto a = [&]() -> task<void> {
    for (int i = 0; i < 3; ++i) {
      trace += 'a';
      co_await sleep_for(0s);
    }
  };
  auto b = [&]() -> task<void> {
    for (int i = 0; i < 3; ++i) {
      trace += 'b';
      co_await yield();
    }
  };
  auto body = [&]() -> task<void> { co_await when_all(a(), b()); };
  test::run_virtual(body());
  EXPECT_EQ(trace, "ababab");
}

TEST(Sleep, RealSleepTakesAtLeastTheDuration) {
  auto body = []() -> task<void> {
    auto start = steady_clock::now();
    co_await sleep_for(15ms);
    EXPECT_GE(steady_clock::now() - start, 15ms);
  };
  test::run_real(body());
}

TEST(Sleep, SleepUntilAPastDeadlineCompletesOnTheNextIteration) {
  auto body = []() -> task<void> {
    auto now = detail::this_loop().now();
    co_await sleep_until(now - 1s);
    EXPECT_EQ(detail::this_loop().now(), now);
  };
  test::run_virtual(body());
}
