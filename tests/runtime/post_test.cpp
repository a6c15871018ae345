// SPDX-License-Identifier: MIT
// eddy-test-labels: threads
#include "eddy/runtime/event_loop.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

using namespace eddy;

TEST(Post, EightThreadsTimesHundredThousandPostsAllRunOnTheLoopThread) {
  constexpr int threads = 8;
  constexpr int per_thread = 100'000;
  event_loop loop;
  long long count = 0;  // touched only on the loop thread: TSan proves it
  std::atomic<int> finished{0};
  const auto loop_thread = std::this_thread::get_id();
  bool wrong_thread = false;
  std::vector<std::thread> producers;
  for (int t = 0; t < threads; ++t) {
    producers.emplace_back([&] {
      for (int i = 0; i < per_thread; ++i) {
        loop.post([&] {
          if (std::this_thread::get_id() != loop_thread) wrong_thread = true;
          ++count;
        });
      }
      if (finished.fetch_add(1) + 1 == threads) loop.post([&] { loop.stop(); });
    });
  }
  loop.run_forever();
  for (auto& p : producers) p.join();
  // The stop may have been posted before late items of the same batch ran: finish the rest.
  loop.call_soon([] {});
  loop.run_once();
  EXPECT_EQ(count, static_cast<long long>(threads) * per_thread);
  EXPECT_FALSE(wrong_thread);
}

TEST(Post, WakesALoopBlockedInTheReactor) {
  event_loop loop;
  std::thread poster([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    loop.post([&] { loop.stop(); });
  });
  loop.run_forever();  // would block forever without the wake-up
  poster.join();
  SUCCEED();
}
