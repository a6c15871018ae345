// SPDX-License-Identifier: MIT
// eddy-test-labels: threads
#include "eddy/bridge/future.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "eddy/core/awaitable_traits.hpp"
#include "eddy/runtime/sleep.hpp"
#include "eddy/runtime/spawn.hpp"
#include "support/test_loop.hpp"

using namespace eddy;
using namespace std::chrono_literals;

TEST(Future, SetValueThenAwaitReturnsIt) {
  auto body = []() -> task<void> {
    auto p = make_promise<int>();
    auto f = p.get_future();
    EXPECT_FALSE(f.done());
    EXPECT_TRUE(p.set_value(7));
    EXPECT_TRUE(f.done());
    EXPECT_EQ(co_await f, 7);
    EXPECT_EQ(f.result(), 7);
  };
  test::run_virtual(body());
}

TEST(Future, ResultBeforeDoneThrowsInvalidState) {
  auto body = []() -> task<void> {
    auto p = make_promise<int>();
    EXPECT_THROW(p.get_future().result(), invalid_state_error);
    p.set_value(1);
    co_return;
  };
  test::run_virtual(body());
}

TEST(Future, SettingTwiceIsDetected) {
  auto body = []() -> task<void> {
    auto p = make_promise<std::string>();
    p.set_value("a");
    EXPECT_THROW(p.set_value("b"), invalid_state_error);
    EXPECT_THROW(p.set_exception(std::make_exception_ptr(std::runtime_error("x"))), invalid_state_error);
    EXPECT_EQ(co_await p.get_future(), "a");
  };
  test::run_virtual(body());
}

TEST(Future, SetExceptionIsRethrownByAwait) {
  auto body = []() -> task<void> {
    auto p = make_promise<void>();
    p.set_exception(std::make_exception_ptr(std::runtime_error("bad")));
    bool caught = false;
    try {
      co_await p.get_future();
    } catch (const std::runtime_error&) {
      caught = true;
    }
    EXPECT_TRUE(caught);
  };
  test::run_virtual(body());
}

TEST(Future, CancelResumesTheWaiterAndLaterSetValueIsIgnored) {
  auto body = []() -> task<void> {
    auto p = make_promise<int>();
    auto f = p.get_future();
    auto waiter = spawn(as_task(f));
    co_await yield();
    EXPECT_TRUE(f.cancel());
    EXPECT_TRUE(f.cancelled());
    EXPECT_FALSE(p.set_value(3));
    bool cancelled = false;
    try {
      (void)co_await waiter;
    } catch (const cancelled_error&) {
      cancelled = true;
    }
    EXPECT_TRUE(cancelled);
    EXPECT_THROW(f.result(), cancelled_error);
  };
  test::run_virtual(body());
}

TEST(Future, CancellingTheAwaitingTaskCancelsTheFuture) {
  auto body = []() -> task<void> {
    auto p = make_promise<int>();
    auto f = p.get_future();
    auto waiter = spawn(as_task(f));
    co_await yield();
    waiter.cancel();
    co_await yield();
    co_await yield();
    EXPECT_TRUE(f.cancelled());
    EXPECT_TRUE(waiter.cancelled());
  };
  test::run_virtual(body());
}

TEST(Future, DoneCallbacksRunInOrderOnTheLoopAfterTheValueIsSet) {
  auto body = []() -> task<void> {
    auto p = make_promise<int>();
    auto f = p.get_future();
    std::vector<int> seen;
    f.add_done_callback([&](future<int>& g) { seen.push_back(g.result()); });
    f.add_done_callback([&](future<int>& g) { seen.push_back(g.result() * 10); });
    p.set_value(4);
    EXPECT_TRUE(seen.empty());  // never inline inside set_value
    co_await yield();
    co_await yield();
    EXPECT_EQ(seen, (std::vector<int>{4, 40}));
    f.add_done_callback([&](future<int>&) { seen.push_back(0); });  // already done: next turn
    EXPECT_EQ(seen.size(), 2u);
    co_await yield();
    co_await yield();
    EXPECT_EQ(seen.size(), 3u);
  };
  test::run_virtual(body());
}

TEST(Future, ADroppedPromiseBreaksTheFuture) {
  auto body = []() -> task<void> {
    future<int> f;
    {
      auto p = make_promise<int>();
      f = p.get_future();
    }
    bool broken = false;
    try {
      (void)co_await f;
    } catch (const invalid_state_error&) {
      broken = true;
    }
    EXPECT_TRUE(broken);
  };
  test::run_virtual(body());
}

TEST(Future, SetValueFromAForeignThreadResumesOnTheLoopThread) {
  auto body = []() -> task<void> {
    auto p = make_promise<std::unique_ptr<int>>();
    auto f = p.get_future();
    const auto loop_thread = std::this_thread::get_id();
    std::thread t([&p] {
      std::this_thread::sleep_for(5ms);
      p.set_value(std::make_unique<int>(5));
    });
    auto v = co_await f;
    EXPECT_EQ(std::this_thread::get_id(), loop_thread);
    EXPECT_EQ(*v, 5);
    t.join();
  };
  test::run_real(body());
}

TEST(Future, EightThreadsTimesHundredThousandSetValues) {
  constexpr int threads = 8;
  constexpr int per_thread = 100'000;
  constexpr int rounds = 10;  // 10 rounds of 8 x 10,000 keeps the memory small
  constexpr int per_round = per_thread / rounds;
  auto body = []() -> task<void> {
    long long sum = 0;
    long long callbacks = 0;  // loop thread only: TSan checks it
    for (int r = 0; r < rounds; ++r) {
      std::vector<promise<int>> promises;
      std::vector<future<int>> futures;
      promises.reserve(threads * per_round);
      for (int i = 0; i < threads * per_round; ++i) {
        promises.push_back(make_promise<int>());
        futures.push_back(promises.back().get_future());
        futures.back().add_done_callback([&](future<int>&) { ++callbacks; });
      }
      std::vector<std::thread> setters;
      for (int t = 0; t < threads; ++t) {
        setters.emplace_back([&, t] {
          for (int i = 0; i < per_round; ++i) promises[t * per_round + i].set_value(i);
        });
      }
      for (auto& f : futures) sum += co_await f;
      for (auto& s : setters) s.join();
    }
    while (callbacks < threads * per_thread) co_await yield();
    EXPECT_EQ(sum, static_cast<long long>(threads) * rounds * per_round * (per_round - 1) / 2);
    EXPECT_EQ(callbacks, threads * per_thread);
  };
  test::run_real(body());
}

TEST(Future, CancelRacingForeignSetValueThousandTimes) {
  auto body = []() -> task<void> {
    int values = 0, cancels = 0;
    for (int i = 0; i < 1000; ++i) {
      auto p = make_promise<std::shared_ptr<int>>();
      auto f = p.get_future();
      std::thread t([&p, i] { (void)p.set_value(std::make_shared<int>(i)); });
      if (i % 2) co_await yield();
      const bool won = f.cancel();
      try {
        auto v = co_await f;
        EXPECT_FALSE(won);
        EXPECT_EQ(*v, i);
        ++values;
      } catch (const cancelled_error&) {
        EXPECT_TRUE(won);
        ++cancels;
      }
      t.join();
    }
    EXPECT_EQ(values + cancels, 1000);
  };
  test::run_real(body());
}
