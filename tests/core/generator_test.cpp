// SPDX-License-Identifier: MIT
#include "eddy/core/generator.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace eddy;

namespace {

generator<int> count_to(int n, int* started = nullptr) {
  if (started) ++*started;
  for (int i = 1; i <= n; ++i) co_yield i;
}

generator<int> odd(generator<int> prev) {
  for (int v : prev) {
    if (v % 2 == 1) co_yield v;
  }
}

generator<int> mul(generator<int> prev, int factor) {
  for (int v : prev) co_yield v * factor;
}

generator<int> range(int end) {
  for (int i = 0; i < end; ++i) co_yield i;
}

// Python's `new_value = (yield n)` countdown.
generator<int, int> countdown(int n) {
  while (n >= 0) {
    std::optional<int> new_value = co_yield n;
    if (new_value) {
      n = *new_value;
    } else {
      --n;
    }
  }
}

struct flag_on_destroy {
  bool* flag;
  ~flag_on_destroy() { *flag = true; }
};

}  // namespace

TEST(Generator, DoesNotRunUntilIterated) {
  int started = 0;
  auto g = count_to(3, &started);
  EXPECT_EQ(started, 0);
  auto it = g.begin();
  EXPECT_EQ(started, 1);
  EXPECT_EQ(*it, 1);
}

TEST(Generator, YieldsEveryValueInRangeFor) {
  std::vector<int> seen;
  for (int v : count_to(4)) seen.push_back(v);
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 3, 4}));
}

TEST(Generator, RunsOnlyUpToTheNextYield) {
  std::vector<std::string> log;
  auto body = [&]() -> generator<int> {
    log.push_back("before 1");
    co_yield 1;
    log.push_back("before 2");
    co_yield 2;
    log.push_back("end");
  };
  auto g = body();
  auto it = g.begin();
  EXPECT_EQ(log, (std::vector<std::string>{"before 1"}));
  ++it;
  EXPECT_EQ(*it, 2);
  EXPECT_EQ(log.size(), 2u);
  ++it;
  EXPECT_TRUE(it == std::default_sentinel);
  EXPECT_EQ(log.back(), "end");
}

TEST(Generator, ChainsIntoAPipeline) {
  std::vector<int> seen;
  for (int v : mul(odd(range(10)), 2)) seen.push_back(v);
  EXPECT_EQ(seen, (std::vector<int>{2, 6, 10, 14, 18}));
}

TEST(Generator, YieldsMoveOnlyValuesAndLvalueCopies) {
  auto body = []() -> generator<std::unique_ptr<int>> {
    co_yield std::make_unique<int>(7);
    auto p = std::make_unique<int>(8);
    co_yield std::move(p);
  };
  std::vector<int> seen;
  for (auto& p : body()) seen.push_back(*std::move(p));
  EXPECT_EQ(seen, (std::vector<int>{7, 8}));

  auto strings = []() -> generator<std::string> {
    const std::string s = "kept";
    co_yield s;
    co_yield s;
  };
  std::vector<std::string> got;
  for (auto& s : strings()) got.push_back(std::move(s));  // moving the copy leaves `s` intact
  EXPECT_EQ(got, (std::vector<std::string>{"kept", "kept"}));
}

TEST(Generator, PropagatesExceptionsToTheConsumer) {
  auto body = []() -> generator<int> {
    co_yield 1;
    throw std::runtime_error("boom");
  };
  auto g = body();
  auto it = g.begin();
  EXPECT_EQ(*it, 1);
  EXPECT_THROW(++it, std::runtime_error);
  EXPECT_TRUE(it == std::default_sentinel);
  EXPECT_TRUE(g.done());
}

TEST(Generator, PropagatesExceptionsThrownBeforeTheFirstYield) {
  auto body = []() -> generator<int> {
    throw std::logic_error("early");
    co_yield 1;
  };
  auto g = body();
  EXPECT_THROW(g.begin(), std::logic_error);
}

TEST(Generator, DestroyingAnUnfinishedGeneratorDestroysItsLocals) {
  bool destroyed = false;
  bool reached_end = false;
  auto body = [&]() -> generator<int> {
    flag_on_destroy guard{&destroyed};
    co_yield 1;
    co_yield 2;
    reached_end = true;
  };
  {
    auto g = body();
    auto it = g.begin();
    EXPECT_EQ(*it, 1);
    EXPECT_FALSE(destroyed);
  }
  EXPECT_TRUE(destroyed);
  EXPECT_FALSE(reached_end);
}

TEST(Generator, DestroyingANeverStartedGeneratorNeverRunsIt) {
  int started = 0;
  { auto g = count_to(3, &started); }
  EXPECT_EQ(started, 0);
}

TEST(Generator, MovesOwnershipOfTheFrame) {
  auto a = count_to(2);
  auto b = std::move(a);
  EXPECT_TRUE(a.done());
  std::vector<int> seen;
  for (int v : b) seen.push_back(v);
  EXPECT_EQ(seen, (std::vector<int>{1, 2}));
}

TEST(Generator, SendReplacesTheValueLikePythonsCountdown) {
  // for n in c: print(n); if n == 5: c.send(3)   →   5 2 1 0
  auto c = countdown(5);
  std::vector<int> printed;
  std::optional<int> sent_result;
  for (int n : c) {
    printed.push_back(n);
    if (n == 5) sent_result = c.send(3);
  }
  EXPECT_EQ(printed, (std::vector<int>{5, 2, 1, 0}));
  EXPECT_EQ(sent_result, 3);
}

TEST(Generator, SendBeforeStartIsAnError) {
  auto c = countdown(2);
  EXPECT_THROW(c.send(1), invalid_state_error);
  EXPECT_EQ(c.start(), 2);
  EXPECT_THROW(c.start(), invalid_state_error);
  EXPECT_EQ(c.send(0), 0);
  EXPECT_EQ(c.send(-1), std::nullopt);  // n = -1 ends the loop: the body finished
  EXPECT_TRUE(c.done());
  EXPECT_EQ(c.send(9), std::nullopt);  // finished generators ignore sends
}

TEST(Generator, PureConsumerReceivesSentValues) {
  std::vector<int> received;
  auto printer = [&]() -> generator<void, int> {
    for (;;) {
      std::optional<int> num = co_yield {};
      if (!num) break;
      received.push_back(*num);
    }
  };
  auto p = printer();
  EXPECT_TRUE(p.start());
  EXPECT_TRUE(p.send(4));
  EXPECT_TRUE(p.send(6));
  EXPECT_EQ(received, (std::vector<int>{4, 6}));
}

TEST(Generator, PlainIterationResumesASendGeneratorWithNullopt) {
  std::vector<int> seen;
  for (int n : countdown(2)) seen.push_back(n);
  EXPECT_EQ(seen, (std::vector<int>{2, 1, 0}));
}

TEST(Generator, NextStepsThroughValuesLikePythonsNext) {
  int started = 0;
  auto g = count_to(2, &started);
  EXPECT_EQ(started, 0);
  EXPECT_EQ(g.next(), 1);
  EXPECT_EQ(started, 1);
  EXPECT_EQ(g.next(), 2);
  EXPECT_EQ(g.next(), std::nullopt);
  EXPECT_EQ(g.next(), std::nullopt);
  EXPECT_TRUE(g.done());
}

TEST(Generator, NextRethrowsAndThenReportsTheEnd) {
  auto body = []() -> generator<int> {
    co_yield 1;
    throw std::runtime_error("boom");
  };
  auto g = body();
  EXPECT_EQ(g.next(), 1);
  EXPECT_THROW(g.next(), std::runtime_error);
  EXPECT_EQ(g.next(), std::nullopt);
}
