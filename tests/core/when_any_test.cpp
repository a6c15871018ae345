// SPDX-License-Identifier: MIT
#include "eddy/core/when_any.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <variant>

#include "eddy/runtime/sleep.hpp"
#include "support/test_loop.hpp"

using namespace eddy;
using namespace std::chrono_literals;

namespace {
task<int> value_after(int v, std::chrono::milliseconds d, int* cancelled = nullptr) {
  try {
    co_await sleep_for(d);
  } catch (const cancelled_error&) {
    if (cancelled) ++*cancelled;
    throw;
  }
  co_return v;
}
}  // namespace

TEST(WhenAny, ReturnsTheFirstAndCancelsAndAwaitsTheLosers) {
  int cancelled = 0;
  auto body = [&]() -> task<void> {
    auto start = detail::this_loop().now();
    auto [index, value] = co_await when_any(value_after(1, 30ms, &cancelled),
                                            value_after(2, 10ms, &cancelled),
                                            value_after(3, 20ms, &cancelled));
    EXPECT_EQ(index, 1u);
    EXPECT_EQ(value, 2);
    // Losers were cancelled and had unwound before we resumed.
    EXPECT_EQ(cancelled, 2);
    EXPECT_EQ(detail::this_loop().now() - start, 10ms);
  };
  test::run_virtual(body());
}

TEST(WhenAny, MixedTypesYieldAVariant) {
  auto body = []() -> task<void> {
    auto text = []() -> task<std::string> {
      co_await sleep_for(1ms);
      co_return "text";
    };
    auto r = co_await when_any(value_after(1, 5ms), text());
    EXPECT_EQ(r.index, 1u);
    EXPECT_EQ(std::get<1>(r.value), "text");
  };
  test::run_virtual(body());
}

TEST(WhenAny, RethrowsTheWinnersException) {
  auto body = []() -> task<void> {
    auto bad = []() -> task<int> {
      co_await sleep_for(1ms);
      throw std::runtime_error("first");
    };
    EXPECT_THROW(co_await when_any(bad(), value_after(2, 10ms)), std::runtime_error);
  };
  test::run_virtual(body());
}

TEST(WhenAny, RangeForm) {
  auto body = []() -> task<void> {
    std::vector<task<int>> ts;
    for (int i = 0; i < 10; ++i) ts.push_back(value_after(i, std::chrono::milliseconds(20 - i)));
    auto r = co_await when_any(std::move(ts));
    EXPECT_EQ(r.index, 9u);
    EXPECT_EQ(r.value, 9);
  };
  test::run_virtual(body());
}

TEST(WhenAny, SynchronousWinnerLeavesTheRestUnstarted) {
  int started = 0;
  auto body = [&]() -> task<void> {
    auto now = [&](int v) -> task<int> {
      ++started;
      co_return v;
    };
    auto r = co_await when_any(now(1), now(2), now(3));
    EXPECT_EQ(r.index, 0u);
  };
  test::run_virtual(body());
  EXPECT_EQ(started, 1);
}
