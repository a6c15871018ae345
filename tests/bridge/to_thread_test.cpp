// SPDX-License-Identifier: MIT
// eddy-test-labels: threads
#include "eddy/bridge/to_thread.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>

#include "eddy/core/awaitable_traits.hpp"
#include "eddy/core/when_all.hpp"
#include "eddy/runtime/sleep.hpp"
#include "eddy/runtime/spawn.hpp"
#include "support/test_loop.hpp"

using namespace eddy;
using namespace std::chrono_literals;

TEST(ToThread, ReturnsTheResultOnTheAwaitingLoopThread) {
  auto body = []() -> task<void> {
    const auto loop_thread = std::this_thread::get_id();
    std::thread::id worker;
    int v = co_await to_thread([&worker](int a, int b) {
      worker = std::this_thread::get_id();
      return a * b;
    }, 6, 7);
    EXPECT_EQ(v, 42);
    EXPECT_NE(worker, loop_thread);
    EXPECT_EQ(std::this_thread::get_id(), loop_thread);
  };
  test::run_real(body());
}

TEST(ToThread, RethrowsTheJobsException) {
  auto body = []() -> task<void> {
    bool caught = false;
    try {
      co_await to_thread([] { throw std::runtime_error("boom"); });
    } catch (const std::runtime_error& e) {
      caught = std::string(e.what()) == "boom";
    }
    EXPECT_TRUE(caught);
  };
  test::run_real(body());
}

TEST(ToThread, MoveOnlyArgumentsAndResultsWork) {
  auto body = []() -> task<void> {
    auto p = co_await to_thread([](std::unique_ptr<int> x) { return std::make_unique<int>(*x + 1); },
                                std::make_unique<int>(41));
    EXPECT_EQ(*p, 42);
  };
  test::run_real(body());
}

TEST(ToThread, ManyConcurrentCallsAllComplete) {
  thread_pool pool({.threads = 4});
  auto body = [&]() -> task<void> {
    std::vector<task<int>> ts;
    for (int i = 0; i < 200; ++i) {
      ts.push_back([](thread_pool& p, int i) -> task<int> { co_return co_await run_in(p, [i] { return i; }); }(pool, i));
    }
    auto rs = co_await when_all(std::move(ts));
    long sum = 0;
    for (int r : rs) sum += r;
    EXPECT_EQ(sum, 199 * 200 / 2);
  };
  test::run_real(body());
}

TEST(ToThread, CancellingARunningJobRequestsStopAndResumesAtOnce) {
  thread_pool pool({.threads = 1});
  std::atomic<bool> saw_stop{false};
  std::promise<void> started;
  auto started_f = started.get_future();
  auto body = [&]() -> task<void> {
    auto h = spawn(as_task(run_in(pool, [&](std::stop_token st) {
      started.set_value();
      while (!st.stop_requested()) std::this_thread::sleep_for(1ms);
      saw_stop = true;
      return 1;
    })));
    while (started_f.wait_for(0s) != std::future_status::ready) co_await sleep_for(1ms);
    h.cancel();
    bool cancelled = false;
    try {
      co_await h;
    } catch (const cancelled_error&) {
      cancelled = true;
    }
    EXPECT_TRUE(cancelled);
  };
  test::run_real(body());
  pool.shutdown();
  EXPECT_TRUE(saw_stop.load());
}

TEST(ToThread, CancellingAQueuedJobDropsItWithoutRunning) {
  thread_pool pool({.threads = 1});
  std::promise<void> gate;
  auto opened = gate.get_future().share();
  std::atomic<bool> second_ran{false};
  auto body = [&]() -> task<void> {
    auto blocker = spawn(as_task(run_in(pool, [opened] { opened.wait(); })));
    auto queued = spawn(as_task(run_in(pool, [&] { second_ran = true; })));
    co_await sleep_for(5ms);
    queued.cancel();
    bool cancelled = false;
    try {
      co_await queued;
    } catch (const cancelled_error&) {
      cancelled = true;
    }
    EXPECT_TRUE(cancelled);
    gate.set_value();
    co_await blocker;
  };
  test::run_real(body());
  pool.shutdown();
  EXPECT_FALSE(second_ran.load());
}

TEST(ToThread, CancellationRacingCompletionThousandTimesNeverResumesTwice) {
  thread_pool pool({.threads = 2});
  auto body = [&]() -> task<void> {
    int completed = 0, cancelled = 0;
    for (int i = 0; i < 1000; ++i) {
      auto h = spawn(as_task(run_in(pool, [i] { return std::make_unique<int>(i); })));
      if (i % 3 != 0) co_await yield();
      if (i % 2 == 0) h.cancel();
      try {
        auto& v = co_await h;
        EXPECT_EQ(*v, i);
        ++completed;
      } catch (const cancelled_error&) {
        ++cancelled;
      }
    }
    EXPECT_EQ(completed + cancelled, 1000);
  };
  test::run_real(body());
}

TEST(ToThread, AShutDownPoolRejectsWithRejectedError) {
  thread_pool pool({.threads = 1});
  pool.shutdown();
  auto body = [&]() -> task<void> {
    bool rejected = false;
    try {
      co_await run_in(pool, [] { return 1; });
    } catch (const rejected_error&) {
      rejected = true;
    }
    EXPECT_TRUE(rejected);
  };
  test::run_real(body());
}

TEST(ToThread, ShutdownWithQueuedWorkRejectsTheWaitingTasks) {
  thread_pool pool({.threads = 1});
  std::promise<void> gate;
  auto opened = gate.get_future().share();
  auto body = [&]() -> task<void> {
    auto blocker = spawn(as_task(run_in(pool, [opened] { opened.wait(); })));
    std::vector<join_handle<int>> queued;
    for (int i = 0; i < 10; ++i) queued.push_back(spawn(as_task(run_in(pool, [i] { return i; }))));
    co_await sleep_for(5ms);
    std::thread closer([&] { pool.shutdown(shutdown_mode::reject_queued); });
    while (pool.queued() != 0) std::this_thread::yield();
    gate.set_value();
    closer.join();
    int rejected = 0;
    for (auto& h : queued) {
      try {
        (void)co_await h;
      } catch (const rejected_error&) {
        ++rejected;
      }
    }
    EXPECT_EQ(rejected, 10);
    co_await blocker;
  };
  test::run_real(body());
}

TEST(ToThread, TheLoopKeepsRunningTimersWhileAJobBlocks) {
  auto body = []() -> task<void> {
    int ticks = 0;
    auto ticker = spawn([](int& t) -> task<void> {
      for (;;) {
        co_await sleep_for(2ms);
        ++t;
      }
    }(ticks));
    co_await to_thread([] { std::this_thread::sleep_for(100ms); });
    EXPECT_GT(ticks, 0);  // a blocked loop would not have ticked at all
    ticker.cancel();
  };
  test::run_real(body());
}
