// SPDX-License-Identifier: MIT
#include "eddy/runtime/task_group.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>

#include "eddy/runtime/sleep.hpp"
#include "support/test_loop.hpp"

using namespace eddy;
using namespace std::chrono_literals;

TEST(TaskGroup, JoinWaitsForEveryChild) {
  auto body = []() -> task<int> {
    int done = 0;
    task_group tg;
    for (int i = 1; i <= 5; ++i) {
      tg.spawn([](int ms, int& d) -> task<void> {
        co_await sleep_for(std::chrono::milliseconds(ms));
        ++d;
      }(i * 10, done));
    }
    EXPECT_EQ(tg.running(), 5u);
    co_await tg.join();
    co_return done;
  };
  EXPECT_EQ(test::run_virtual(body()), 5);
}

TEST(TaskGroup, FirstFailureCancelsSiblingsAndIsRethrown) {
  auto body = []() -> task<void> {
    int cancelled = 0;
    task_group tg;
    tg.spawn([]() -> task<void> {
      co_await sleep_for(5ms);
      throw std::runtime_error("child failed");
    }());
    for (int i = 0; i < 3; ++i) {
      tg.spawn([](int& c) -> task<void> {
        try {
          co_await sleep_for(1h);
        } catch (const cancelled_error&) {
          ++c;
          throw;
        }
      }(cancelled));
    }
    auto start = detail::this_loop().now();
    try {
      co_await tg.join();
      ADD_FAILURE() << "join should rethrow";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "child failed");
    }
    EXPECT_EQ(cancelled, 3);
    EXPECT_EQ(tg.errors().size(), 1u);
    EXPECT_EQ(detail::this_loop().now() - start, 5ms);
  };
  test::run_virtual(body());
}

TEST(TaskGroup, CancellingTheJoinerCancelsTheChildren) {
  auto body = []() -> task<void> {
    int cancelled = 0;
    auto outer = spawn([](int& c) -> task<void> {
      task_group tg;
      for (int i = 0; i < 2; ++i) {
        tg.spawn([](int& cc) -> task<void> {
          try {
            co_await sleep_for(1h);
          } catch (const cancelled_error&) {
            ++cc;
            throw;
          }
        }(c));
      }
      co_await tg.join();
    }(cancelled));
    co_await sleep_for(1ms);
    outer.cancel();
    EXPECT_THROW(co_await outer, cancelled_error);
    EXPECT_EQ(cancelled, 2);
  };
  test::run_virtual(body());
}

TEST(TaskGroup, ChildHandlesGiveResults) {
  auto body = []() -> task<int> {
    task_group tg;
    auto a = tg.spawn([]() -> task<int> { co_return 20; }());
    auto b = tg.spawn([]() -> task<int> { co_return 22; }());
    co_await tg.join();
    co_return a.result() + b.result();
  };
  EXPECT_EQ(test::run_virtual(body()), 42);
}

TEST(TaskGroup, EmptyGroupJoinsAtOnce) {
  auto body = []() -> task<void> {
    task_group tg;
    co_await tg.join();
  };
  test::run_virtual(body());
}
