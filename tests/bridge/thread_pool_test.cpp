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
