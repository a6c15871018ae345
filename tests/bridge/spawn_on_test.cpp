// SPDX-License-Identifier: MIT
// eddy-test-labels: threads
#include "eddy/bridge/spawn_on.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

#include "eddy/runtime/sleep.hpp"

using namespace eddy;
using namespace std::chrono_literals;

namespace {
task<int> add_later(int a, int b) {
  co_await sleep_for(1ms);
  co_return a + b;
}
task<void> fail() {
  co_await sleep_for(1ms);
  throw std::runtime_error("task failed");
}
}  // namespace

TEST(SpawnOn, PlainThreadsSubmitWorkToARunningLoop) {
  event_loop loop;
  std::thread::id loop_thread;
  std::thread runner([&] {
    loop_thread = std::this_thread::get_id();
    loop.run_forever();
  });
  std::vector<std::thread> clients;
  std::vector<int> results(8);
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back([&, i] {
      int sum = 0;
      for (int k = 0; k < 100; ++k) sum += spawn_on(loop, add_later(i, k)).get();
      results[i] = sum;
    });
  }
  for (auto& c : clients) c.join();
  loop.post([&] { loop.stop(); });
  runner.join();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(results[i], 100 * i + 99 * 100 / 2);
}

TEST(SpawnOn, TheTasksExceptionReachesTheFuture) {
  event_loop loop;
  std::thread runner([&] { loop.run_forever(); });
  auto f = spawn_on(loop, fail());
  EXPECT_THROW(f.get(), std::runtime_error);
  loop.post([&] { loop.stop(); });
  runner.join();
}

TEST(SpawnOn, ALoopDestroyedBeforeTheTaskStartsBreaksThePromise) {
  std::future<int> f;
  {
    event_loop loop;
    f = spawn_on(loop, add_later(1, 2));
  }
  EXPECT_THROW(f.get(), std::future_error);
}

TEST(SpawnOn, ATaskCancelledByTheLoopReportsCancelledError) {
  event_loop loop;
  auto f = spawn_on(loop, add_later(1, 2));
  loop.run_once();  // spawns it; it now sleeps
  loop.drain();     // cancels every task
  EXPECT_THROW(f.get(), cancelled_error);
}
