// SPDX-License-Identifier: MIT
#include "eddy/runtime/spawn.hpp"

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
task<int> slow(int v, std::chrono::milliseconds d) {
  co_await sleep_for(d);
  co_return v;
}
}  // namespace

TEST(Spawn, StartsOnTheNextIterationNotInline) {
  auto body = []() -> task<void> {
    bool ran = false;
    auto h = spawn([](bool& r) -> task<void> {
      r = true;
      co_return;
    }(ran));
    EXPECT_FALSE(ran);
    EXPECT_FALSE(h.done());
    co_await h;
    EXPECT_TRUE(ran);
    EXPECT_TRUE(h.done());
  };
  test::run_virtual(body());
}

TEST(Spawn, ResultBeforeDoneThrowsInvalidState) {
  auto body = []() -> task<void> {
    auto h = spawn(slow(1, 10ms));
    EXPECT_THROW(h.result(), invalid_state_error);
    while (!h.done()) co_await sleep_for(1ms);
    EXPECT_EQ(h.result(), 1);
  };
  test::run_virtual(body());
}

TEST(Spawn, CancelResumesTheCurrentWaitWithCancelledError) {
  auto body = []() -> task<void> {
    bool saw_cancel = false;
    auto h = spawn([](bool& saw) -> task<int> {
      try {
        co_await sleep_for(1h);
      } catch (const cancelled_error&) {
        saw = true;
        throw;
      }
      co_return 0;
    }(saw_cancel));
    co_await sleep_for(1ms);
    EXPECT_TRUE(h.cancel());
    auto start = detail::this_loop().now();
    EXPECT_THROW(co_await h, cancelled_error);
    EXPECT_TRUE(saw_cancel);
    EXPECT_TRUE(h.cancelled());
    EXPECT_EQ(detail::this_loop().now(), start);  // the hour-long timer did not have to fire
    EXPECT_FALSE(h.cancel());
  };
  test::run_virtual(body());
}

TEST(Spawn, TaskCancelledBeforeStartingNeverRuns) {
  auto body = []() -> task<void> {
    bool ran = false;
    auto h = spawn([](bool& r) -> task<void> {
      r = true;
      co_return;
    }(ran));
    h.cancel();
    EXPECT_THROW(co_await h, cancelled_error);
    EXPECT_FALSE(ran);
  };
  test::run_virtual(body());
}

TEST(Spawn, CancellingAnAwaiterCancelsTheAwaitedTask) {
  auto body = []() -> task<void> {
    auto inner = spawn(slow(1, 1h));
    auto outer = spawn([](join_handle<int>& in) -> task<int> { co_return co_await in; }(inner));
    co_await sleep_for(1ms);
    outer.cancel();
    EXPECT_THROW(co_await outer, cancelled_error);
    EXPECT_TRUE(inner.done());
    EXPECT_TRUE(inner.cancelled());
  };
  test::run_virtual(body());
}

TEST(Spawn, DetachedFailureGoesToTheExceptionHandler) {
  std::vector<std::string> reported;
  auto body = [&]() -> task<void> {
    detail::this_loop().set_exception_handler([&](std::exception_ptr e, std::string_view) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        reported.push_back(ex.what());
      }
    });
    {
      auto h = spawn([]() -> task<void> {
        co_await sleep_for(1ms);
        throw std::runtime_error("detached");
      }());
    }  // handle dropped: detached
    co_await sleep_for(5ms);
  };
  test::run_virtual(body());
  EXPECT_EQ(reported, std::vector<std::string>{"detached"});
}

TEST(Spawn, UnobservedFailureIsReportedWhenTheHandleIsDropped) {
  std::vector<std::string> reported;
  auto body = [&]() -> task<void> {
    detail::this_loop().set_exception_handler([&](std::exception_ptr, std::string_view ctx) {
      reported.emplace_back(ctx);
    });
    auto h = spawn([]() -> task<void> {
      throw std::runtime_error("never looked at");
      co_return;
    }());
    co_await sleep_for(1ms);
    EXPECT_TRUE(h.done());
    EXPECT_TRUE(reported.empty());  // not yet: somebody may still look
    h = {};
    EXPECT_EQ(reported.size(), 1u);

    // An observed failure is not reported.
    auto g = spawn([]() -> task<void> {
      throw std::runtime_error("observed");
      co_return;
    }());
    EXPECT_THROW(co_await g, std::runtime_error);
  };
  test::run_virtual(body());
  EXPECT_EQ(reported.size(), 1u);
}

TEST(Spawn, DoneCallbacksRunOnTheLoop) {
  auto body = []() -> task<void> {
    int calls = 0;
    auto h = spawn(slow(3, 2ms));
    h.add_done_callback([&] { ++calls; });
    co_await h;
    co_await sleep_for(0ms);
    EXPECT_EQ(calls, 1);
    h.add_done_callback([&] { ++calls; });  // already done: runs soon
    co_await sleep_for(0ms);
    EXPECT_EQ(calls, 2);
  };
  test::run_virtual(body());
}

TEST(Spawn, SeveralCoroutinesMayAwaitOneTask) {
  auto body = []() -> task<void> {
    auto h = spawn(slow(5, 3ms));
    auto waiter = [](join_handle<int>& t) -> task<int> { co_return co_await t; };
    auto a = spawn(waiter(h));
    auto b = spawn(waiter(h));
    EXPECT_EQ(co_await a, 5);
    EXPECT_EQ(co_await b, 5);
  };
  test::run_virtual(body());
}
