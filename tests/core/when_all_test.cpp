// SPDX-License-Identifier: MIT
#include "eddy/core/when_all.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "eddy/runtime/sleep.hpp"
#include "support/test_loop.hpp"

using namespace eddy;
using namespace std::chrono_literals;

namespace {
task<int> value_after(int v, std::chrono::milliseconds d, std::vector<int>* order = nullptr) {
  co_await sleep_for(d);
  if (order) order->push_back(v);
  co_return v;
}
task<void> fail_after_ms(std::chrono::milliseconds d, const char* what) {
  co_await sleep_for(d);
  throw std::runtime_error(what);
}
}  // namespace

TEST(WhenAll, RunsConcurrentlyAndReturnsATuple) {
  auto body = []() -> task<void> {
    auto start = detail::this_loop().now();
    auto [a, b, c] = co_await when_all(value_after(1, 30ms), value_after(2, 10ms), value_after(3, 20ms));
    EXPECT_EQ(a + b + c, 6);
    EXPECT_EQ(a, 1);
    // Concurrent: the total is the longest, not the sum.
    EXPECT_EQ(detail::this_loop().now() - start, 30ms);
  };
  test::run_virtual(body());
}

TEST(WhenAll, VoidTasksYieldVoidValue) {
  auto body = []() -> task<void> {
    auto noop = []() -> task<void> { co_return; };
    auto [x, y] = co_await when_all(noop(), value_after(5, 1ms));
    static_assert(std::is_same_v<decltype(x), void_value>);
    EXPECT_EQ(y, 5);
  };
  test::run_virtual(body());
}

TEST(WhenAll, WaitsForAllThenRethrowsTheFirstFailure) {
  std::vector<int> order;
  auto body = [&]() -> task<void> {
    std::vector<task<void>> ts;
    ts.push_back(fail_after_ms(20ms, "second"));
    ts.push_back(fail_after_ms(10ms, "first"));
    ts.push_back([](std::vector<int>& o) -> task<void> {
      co_await value_after(7, 50ms, &o);
    }(order));
    try {
      co_await when_all(std::move(ts));
      ADD_FAILURE() << "expected an exception";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "first");
    }
    // The slow sibling was not abandoned.
    EXPECT_EQ(order, std::vector<int>{7});
  };
  test::run_virtual(body());
}

TEST(WhenAll, RangeFormKeepsInputOrder) {
  auto body = []() -> task<void> {
    std::vector<task<int>> ts;
    for (int i = 0; i < 50; ++i) ts.push_back(value_after(i, std::chrono::milliseconds(50 - i)));
    auto values = co_await when_all(std::move(ts));
    EXPECT_EQ(values.size(), 50u);
    if (values.size() != 50u) co_return;
    for (int i = 0; i < 50; ++i) EXPECT_EQ(values[i], i);
  };
  test::run_virtual(body());
}

TEST(WhenAll, EmptyRangeCompletesAtOnce) {
  auto body = []() -> task<std::size_t> {
    auto v = co_await when_all(std::vector<task<int>>{});
    co_return v.size();
  };
  EXPECT_EQ(test::run_virtual(body()), 0u);
}

TEST(WhenAll, SettledReturnsEveryOutcome) {
  auto body = []() -> task<void> {
    auto [a, b] = co_await when_all_settled(value_after(1, 1ms), fail_after_ms(2ms, "bad"));
    EXPECT_TRUE(a.has_value());
    EXPECT_EQ(a.value(), 1);
    EXPECT_TRUE(b.has_exception());
    EXPECT_THROW(b.value(), std::runtime_error);
  };
  test::run_virtual(body());
}

TEST(WhenAll, SynchronousChildrenCompleteWithoutSuspending) {
  auto body = []() -> task<int> {
    auto now = []() -> task<int> { co_return 1; };
    std::vector<task<int>> ts;
    for (int i = 0; i < 1000; ++i) ts.push_back(now());
    auto v = co_await when_all(std::move(ts));
    int sum = 0;
    for (int x : v) sum += x;
    co_return sum;
  };
  EXPECT_EQ(test::run_virtual(body()), 1000);
}
