// SPDX-License-Identifier: MIT
#include "eddy/core/async_generator.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "eddy/runtime/sleep.hpp"
#include "eddy/runtime/spawn.hpp"
#include "support/test_loop.hpp"

using namespace eddy;
using namespace std::chrono_literals;

namespace {

async_generator<int> ticks(int n, std::chrono::milliseconds period, int* started = nullptr) {
  if (started) ++*started;
  for (int i = 0; i < n; ++i) {
    co_await sleep_for(period);
    co_yield i;
  }
}

struct flag_on_destroy {
  bool* flag;
  ~flag_on_destroy() { *flag = true; }
};

}  // namespace

TEST(AsyncGenerator, YieldsValuesUntilNullopt) {
  auto consumer = []() -> task<std::vector<int>> {
    std::vector<int> seen;
    auto gen = ticks(3, 10ms);
    while (auto v = co_await gen.next()) seen.push_back(*v);
    EXPECT_TRUE(gen.done());
    EXPECT_EQ(co_await gen.next(), std::nullopt);  // stays finished
    co_return seen;
  };
  EXPECT_EQ(test::run_virtual(consumer()), (std::vector<int>{0, 1, 2}));
}

TEST(AsyncGenerator, IsLazyAndRunsOnlyToTheNextYield) {
  auto consumer = []() -> task<void> {
    int started = 0;
    auto gen = ticks(5, 1s, &started);
    co_await sleep_for(10s);
    EXPECT_EQ(started, 0);
    auto t0 = detail::this_loop().now();
    auto v = co_await gen.next();
    EXPECT_EQ(started, 1);
    EXPECT_EQ(v, 0);
    EXPECT_EQ(detail::this_loop().now() - t0, std::chrono::duration_cast<duration>(1s));
  };
  test::run_virtual(consumer());
}

TEST(AsyncGenerator, RethrowsTheBodysExceptionFromNext) {
  auto consumer = []() -> task<std::string> {
    auto body = []() -> async_generator<int> {
      co_yield 1;
      co_await sleep_for(1ms);
      throw std::runtime_error("boom");
    };
    auto gen = body();
    EXPECT_EQ(co_await gen.next(), 1);
    std::string what;
    try {
      co_await gen.next();
    } catch (const std::runtime_error& e) {
      what = e.what();
    }
    EXPECT_EQ(co_await gen.next(), std::nullopt);
    co_return what;
  };
  EXPECT_EQ(test::run_virtual(consumer()), "boom");
}

TEST(AsyncGenerator, CancellingTheConsumerCancelsTheGeneratorsWait) {
  struct seen {
    bool body_cancelled = false;
    bool consumer_cancelled = false;
    bool reached_end = false;
  };
  auto run = []() -> task<seen> {
    seen s;
    auto body = [](seen& out) -> async_generator<int> {
      try {
        co_await sleep_for(1h);
      } catch (const cancelled_error&) {
        out.body_cancelled = true;
        throw;
      }
      out.reached_end = true;
      co_yield 1;
    };
    auto consumer = [](seen& out, async_generator<int> gen) -> task<void> {
      try {
        co_await gen.next();
      } catch (const cancelled_error&) {
        out.consumer_cancelled = true;
      }
    };
    auto handle = spawn(consumer(s, body(s)));
    co_await sleep_for(1s);
    EXPECT_FALSE(handle.done());
    handle.cancel();
    co_await handle;
    EXPECT_LT(detail::this_loop().now().time_since_epoch(), std::chrono::duration_cast<duration>(1h));
    co_return s;
  };
  auto s = test::run_virtual(run());
  EXPECT_TRUE(s.body_cancelled);
  EXPECT_TRUE(s.consumer_cancelled);
  EXPECT_FALSE(s.reached_end);
}

TEST(AsyncGenerator, UsesTheTokenOfTheCurrentConsumer) {
  // The generator is driven by one task, then handed to another; cancelling the first
  // afterwards must not affect the second's waits.
  auto run = []() -> task<std::vector<int>> {
    auto gen = ticks(3, 1s);
    std::vector<int> seen;
    auto first = [](async_generator<int>& g, std::vector<int>& out) -> task<void> {
      out.push_back(*co_await g.next());
    };
    auto h1 = spawn(first(gen, seen));
    co_await h1;
    h1.cancel();  // already finished: no effect
    while (auto v = co_await gen.next()) seen.push_back(*v);
    co_return seen;
  };
  EXPECT_EQ(test::run_virtual(run()), (std::vector<int>{0, 1, 2}));
}

TEST(AsyncGenerator, DestroyingASuspendedGeneratorDestroysItsFrame) {
  auto run = []() -> task<bool> {
    bool destroyed = false;
    auto body = [](bool& flag) -> async_generator<std::unique_ptr<int>> {
      flag_on_destroy guard{&flag};
      co_yield std::make_unique<int>(1);
      co_await sleep_for(1s);
      co_yield std::make_unique<int>(2);
    };
    {
      auto gen = body(destroyed);
      auto v = co_await gen.next();
      EXPECT_TRUE(v && **v == 1);
      EXPECT_FALSE(destroyed);
    }
    co_return destroyed;
  };
  EXPECT_TRUE(test::run_virtual(run()));
}

TEST(AsyncGenerator, DestroyingTheConsumerMidWaitRemovesTheGeneratorsTimer) {
  // The consumer task is cancelled at loop shutdown while the body sleeps; destroying the
  // frames must unhook the timer (ASan would see a use-after-free otherwise).
  auto run = []() -> task<bool> {
    bool destroyed = false;
    auto consumer = [](bool& flag) -> task<void> {
      auto body = [](bool& flag_in_body) -> async_generator<int> {
        flag_on_destroy guard{&flag_in_body};
        co_await sleep_for(1h);
        co_yield 1;
      };
      auto gen = body(flag);
      co_await gen.next();
    };
    auto h = spawn(consumer(destroyed));
    co_await sleep_for(1s);
    h.cancel();
    co_await sleep_for(1s);
    co_return destroyed && h.done();
  };
  EXPECT_TRUE(test::run_virtual(run()));
}

TEST(AsyncGenerator, YieldedLvaluesAreCopied) {
  auto run = []() -> task<std::vector<std::string>> {
    auto body = []() -> async_generator<std::string> {
      std::string s = "same";
      co_yield s;
      co_yield s;
    };
    std::vector<std::string> seen;
    auto gen = body();
    while (auto v = co_await gen.next()) seen.push_back(std::move(*v));
    co_return seen;
  };
  EXPECT_EQ(test::run_virtual(run()), (std::vector<std::string>{"same", "same"}));
}
