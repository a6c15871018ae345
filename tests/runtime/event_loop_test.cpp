// SPDX-License-Identifier: MIT
#include "eddy/runtime/event_loop.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

using namespace eddy;
using namespace std::chrono_literals;

TEST(EventLoop, CallSoonRunsInFifoOrderOnTheNextIteration) {
  event_loop loop;
  std::vector<int> order;
  loop.call_soon([&] { order.push_back(1); });
  loop.call_soon([&] {
    order.push_back(2);
    // Scheduled while running: waits for the next iteration.
    loop.call_soon([&] { order.push_back(4); });
  });
  loop.call_soon([&] { order.push_back(3); });
  loop.run_once();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  loop.run_once();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));
}

TEST(EventLoop, TimersFireByDeadlineThenInsertionOrder) {
  event_loop loop({.virtual_time = true});
  std::vector<int> order;
  loop.call_later(30ms, [&] { order.push_back(3); });
  loop.call_later(10ms, [&] { order.push_back(1); });
  loop.call_later(20ms, [&] { order.push_back(2); });
  loop.call_later(20ms, [&] { order.push_back(22); });
  loop.call_later(30ms, [&] { loop.stop(); });
  loop.run_forever();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 22, 3}));
  EXPECT_EQ(loop.now().time_since_epoch(), 30ms);
}

TEST(EventLoop, CancelledCallbacksDoNotRun) {
  event_loop loop({.virtual_time = true});
  int runs = 0;
  auto soon = loop.call_soon([&] { ++runs; });
  auto later = loop.call_later(5ms, [&] { ++runs; });
  soon.cancel();
  later.cancel();
  EXPECT_TRUE(soon.cancelled());
  loop.call_later(10ms, [&] { loop.stop(); });
  loop.run_forever();
  EXPECT_EQ(runs, 0);
}

TEST(EventLoop, DroppingAHandleDoesNotCancel) {
  event_loop loop({.virtual_time = true});
  int runs = 0;
  { auto h = loop.call_later(1ms, [&] { ++runs; }); }
  loop.call_later(2ms, [&] { loop.stop(); });
  loop.run_forever();
  EXPECT_EQ(runs, 1);
}

TEST(EventLoop, ThrowingCallbackGoesToTheExceptionHandler) {
  event_loop loop;
  std::string seen;
  loop.set_exception_handler([&](std::exception_ptr e, std::string_view) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      seen = ex.what();
    }
  });
  loop.call_soon([] { throw std::runtime_error("oops"); });
  int after = 0;
  loop.call_soon([&] { ++after; });
  loop.run_once();
  EXPECT_EQ(seen, "oops");
  EXPECT_EQ(after, 1);
}

TEST(EventLoop, VirtualTimeAdvanceFiresDueTimers) {
  event_loop loop({.virtual_time = true});
  int runs = 0;
  loop.call_later(100ms, [&] { ++runs; });
  loop.advance(50ms);
  loop.call_soon([] {});
  loop.run_once();
  EXPECT_EQ(runs, 0);
  loop.advance(50ms);
  loop.call_soon([] {});
  loop.run_once();
  EXPECT_EQ(runs, 1);
}

TEST(EventLoop, RealTimersWaitInTheReactor) {
  event_loop loop;
  auto start = steady_clock::now();
  loop.call_later(20ms, [&] { loop.stop(); });
  loop.run_forever();
  EXPECT_GE(steady_clock::now() - start, 20ms);
}

TEST(EventLoop, CurrentIsSetOnlyWhileRunning) {
  event_loop loop;
  EXPECT_EQ(event_loop::current(), nullptr);
  event_loop* inside = nullptr;
  loop.call_soon([&] { inside = event_loop::current(); });
  loop.run_once();
  EXPECT_EQ(inside, &loop);
  EXPECT_EQ(event_loop::current(), nullptr);
}
