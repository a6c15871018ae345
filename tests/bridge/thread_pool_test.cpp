// SPDX-License-Identifier: MIT
// eddy-test-labels: threads
#include "eddy/bridge/thread_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <pthread.h>

using namespace eddy;

TEST(ThreadPool, DefaultsToOneThreadPerCore) {
  thread_pool pool;
  EXPECT_EQ(pool.size(), std::max(1u, std::thread::hardware_concurrency()));
}

TEST(ThreadPool, RunsEveryJobOnANamedWorker) {
  thread_pool pool({.threads = 3, .max_queued = 0, .name = "testpool"});
  std::mutex m;
  std::set<std::string> names;
  std::atomic<int> ran{0};
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(pool.submit([&] {
      char buf[16] = {};
      pthread_getname_np(pthread_self(), buf, sizeof buf);
      std::lock_guard lock(m);
      names.insert(buf);
      ++ran;
    }));
  }
  pool.shutdown();
  EXPECT_EQ(ran.load(), 300);
  for (auto& n : names) EXPECT_EQ(n.rfind("testpool-", 0), 0u) << n;
}

TEST(ThreadPool, DrainShutdownFinishesQueuedWork) {
  thread_pool pool({.threads = 1});
  std::atomic<int> ran{0};
  std::promise<void> gate;
  std::promise<void> started;
  auto opened = gate.get_future().share();
  pool.submit([&started, opened] {
    started.set_value();
    opened.wait();
  });
  started.get_future().wait();
  for (int i = 0; i < 50; ++i) pool.submit([&] { ++ran; });
  EXPECT_EQ(pool.queued(), 50u);
  gate.set_value();
  pool.shutdown(shutdown_mode::drain);
  EXPECT_EQ(ran.load(), 50);
}

TEST(ThreadPool, RejectShutdownDropsQueuedWorkAndRefusesNewWork) {
  thread_pool pool({.threads = 1});
  std::atomic<int> ran{0};
  std::promise<void> gate;
  std::promise<void> started;
  auto opened = gate.get_future().share();
  pool.submit([&started, opened] {
    started.set_value();
    opened.wait();
  });
  started.get_future().wait();
  for (int i = 0; i < 50; ++i) pool.submit([&] { ++ran; });
  std::thread closer([&] { pool.shutdown(shutdown_mode::reject_queued); });
  // The running job still finishes; the 50 queued ones never run.
  while (pool.queued() != 0) std::this_thread::yield();
  gate.set_value();
  closer.join();
  EXPECT_EQ(ran.load(), 0);
  EXPECT_FALSE(pool.submit([&] { ++ran; }));
}

TEST(ThreadPool, BoundedQueueRejectsBeyondItsLimit) {
  thread_pool pool({.threads = 1, .max_queued = 2});
  std::promise<void> gate;
  std::promise<void> started;
  auto opened = gate.get_future().share();
  pool.submit([&started, opened] {
    started.set_value();
    opened.wait();
  });
  started.get_future().wait();
  EXPECT_TRUE(pool.submit([] {}));
  EXPECT_TRUE(pool.submit([] {}));
  EXPECT_FALSE(pool.submit([] {}));
  gate.set_value();
}

TEST(ThreadPool, AJobThatThrowsDoesNotKillItsWorker) {
  thread_pool pool({.threads = 1});
  std::atomic<bool> after{false};
  pool.submit([] { throw std::runtime_error("job failed (expected in this test)"); });
  pool.submit([&] { after = true; });
  pool.shutdown();
  EXPECT_TRUE(after.load());
}

TEST(ThreadPool, EightSubmittersTimesTenThousandJobsOnTwoWorkersAllRun) {
  constexpr int submitters = 8;
  constexpr int per_submitter = 10'000;
  thread_pool pool({.threads = 2});
  std::atomic<int> ran{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < submitters; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < per_submitter; ++i) {
        ASSERT_TRUE(pool.submit([&] { ran.fetch_add(1, std::memory_order_relaxed); }));
      }
    });
  }
  for (auto& t : threads) t.join();
  pool.shutdown(shutdown_mode::drain);
  EXPECT_EQ(ran.load(), submitters * per_submitter);
}

TEST(ThreadPool, AnIdleWorkerIsWokenForEachOfTenThousandJobsSubmittedOneAtATime) {
  // Each job is submitted only after the previous one ran, so the worker has gone (or is
  // going) back to sleep every time: a lost wake-up would hang here.
  thread_pool pool({.threads = 1});
  std::atomic<int> ran{0};
  for (int i = 0; i < 10'000; ++i) {
    ASSERT_TRUE(pool.submit([&] { ran.fetch_add(1, std::memory_order_release); }));
    while (ran.load(std::memory_order_acquire) != i + 1) std::this_thread::yield();
  }
  EXPECT_EQ(ran.load(), 10'000);
}

TEST(ThreadPool, ShutdownWakesWorkersThatAreAsleep) {
  thread_pool pool({.threads = 4});
  std::atomic<int> ran{0};
  for (int i = 0; i < 4; ++i) pool.submit([&] { ++ran; });
  while (ran.load() != 4) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // all four are asleep by now
  pool.shutdown();  // would hang joining a worker that was never woken
  EXPECT_FALSE(pool.submit([] {}));
}
