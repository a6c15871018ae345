// SPDX-License-Identifier: MIT
// eddy-test-labels: threads
#include "eddy/runtime/event_loop.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
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

TEST(Post, PingPongWithAForeignThreadNeverLosesAWakeUp) {
  // The foreign thread posts each function only once the previous one ran, so every post
  // races with the loop going back to sleep: a post that saw the loop awake while it was
  // deciding to block would leave it asleep with work queued. A pending timer makes the loop
  // compute a timeout in that window, widening it. A watchdog notices a stall (no progress
  // for 5 s), records it and rescues the loop with one more post, so the test fails instead of
  // hanging.
  constexpr int rounds = 100'000;
  event_loop loop;
  auto far = loop.call_later(std::chrono::hours(1), [] {});
  std::atomic<int> ran{0};
  std::atomic<bool> finished{false};
  std::atomic<bool> stalled{false};
  int ran_on_loop = 0;  // loop thread only
  std::thread peer([&] {
    for (int i = 0; i < rounds; ++i) {
      while (ran.load(std::memory_order_acquire) != i) std::this_thread::yield();
      loop.post([&] {
        if (++ran_on_loop == rounds) loop.stop();
        ran.fetch_add(1, std::memory_order_release);
      });
    }
  });
  std::thread watchdog([&] {
    int last = -1;
    int quiet = 0;
    while (!finished.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      int now = ran.load();
      quiet = now == last ? quiet + 1 : 0;
      last = now;
      if (quiet == 50) {
        stalled = true;
        loop.post([] {});
      }
    }
  });
  loop.run_forever();
  finished = true;
  peer.join();
  watchdog.join();
  EXPECT_FALSE(stalled.load()) << "a post did not wake the sleeping loop";
  EXPECT_EQ(ran_on_loop, rounds);
}

TEST(Post, ALoopDestroyedByThePostedFunctionOutlivesThePostThatWokeIt) {
  // The posting thread wakes the reactor after unlocking the queue; the loop, woken, may run
  // the function and be destroyed before that write returns. Repeated so that ASan/TSan see
  // the window (the loop waits for the poster in its destructor).
  for (int i = 0; i < 300; ++i) {
    auto loop = std::make_unique<event_loop>();
    std::atomic<bool> asleep{false};
    std::thread poster([&] {
      while (!asleep.load(std::memory_order_acquire)) std::this_thread::yield();
      loop->post([&] { loop->stop(); });
    });
    loop->call_soon([&] { asleep.store(true, std::memory_order_release); });
    loop->run_forever();
    loop.reset();
    poster.join();
  }
  SUCCEED();
}
