// SPDX-License-Identifier: MIT
#include "eddy/core/task.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "support/test_loop.hpp"

using namespace eddy;

namespace {

task<int> forty_two() { co_return 42; }

task<int> add(int a, int b) {
  int x = co_await forty_two();
  co_return x + a + b;
}

task<void> throws() {
  throw std::runtime_error("boom");
  co_return;
}

int global_value = 3;
task<int&> ref() { co_return global_value; }

task<std::unique_ptr<int>> move_only() { co_return std::make_unique<int>(9); }

}  // namespace

TEST(Task, DoesNotStartUntilAwaited) {
  bool started = false;
  auto body = [&]() -> task<void> {
    started = true;
    co_return;
  };
  {
    auto t = body();
    EXPECT_FALSE(started);
    EXPECT_TRUE(t.valid());
  }  // destroyed without running: frame freed (ASan checks the leak)
  EXPECT_FALSE(started);
}

TEST(Task, ReturnsValuesThroughNestedAwaits) {
  EXPECT_EQ(test::run_virtual(add(1, 2)), 45);
}

TEST(Task, PropagatesExceptionsToTheAwaiter) {
  auto outer = []() -> task<std::string> {
    try {
      co_await throws();
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "no exception";
  };
  EXPECT_EQ(test::run_virtual(outer()), "boom");
}

TEST(Task, ReferenceTasksReturnTheReferent) {
  auto outer = []() -> task<int*> {
    int& r = co_await ref();
    co_return &r;
  };
  EXPECT_EQ(test::run_virtual(outer()), &global_value);
}

TEST(Task, MoveOnlyValuesAreMovedOut) {
  auto outer = []() -> task<int> {
    auto p = co_await move_only();
    co_return *p;
  };
  EXPECT_EQ(test::run_virtual(outer()), 9);
}

TEST(Task, AwaitingConsumesTheTask) {
  auto outer = []() -> task<bool> {
    auto t = forty_two();
    co_await std::move(t);
    co_return t.valid();
  };
  EXPECT_FALSE(test::run_virtual(outer()));
}

TEST(Task, DeepSynchronousRecursionDoesNotOverflowTheStack) {
  // Symmetric transfer: a chain of 100,000 tasks that complete synchronously uses constant
  // stack.
  struct rec {
    static task<int> down(int n) {
      if (n == 0) co_return 0;
      co_return 1 + co_await down(n - 1);
    }
  };
#if defined(__OPTIMIZE__) && !defined(__SANITIZE_ADDRESS__)
  constexpr int depth = 100'000;  // needs real tail calls, which GCC emits when optimising
#else
  constexpr int depth = 2'000;
#endif
  EXPECT_EQ(test::run_virtual(rec::down(depth)), depth);
}

TEST(Task, ThisTaskTokenIsTheSpawnedTasksToken) {
  auto body = []() -> task<bool> {
    cancel_token t = co_await this_task::token();
    co_return t.cancel_possible() && !t.cancel_requested();
  };
  EXPECT_TRUE(test::run_virtual(body()));
}
