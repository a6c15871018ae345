// SPDX-License-Identifier: MIT
// eddy-test-labels: threads
#include "eddy/runtime/detail/wake_flag.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

using eddy::detail::wake_flag;

TEST(WakeFlag, WaitOnAFlagSetBeforehandReturnsAtOnce) {
  wake_flag f;
  f.set();
  f.wait();  // would block forever if the set were lost
  SUCCEED();
}

TEST(WakeFlag, WaitSleepsUntilAnotherThreadSetsItAndSeesWhatWasWrittenBefore) {
  wake_flag f;
  int payload = 0;  // plain memory: TSan checks that set()/wait() order it
  std::atomic<bool> set_called{false};
  std::thread setter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the owner is asleep by now
    payload = 42;
    set_called.store(true);
    f.set();
  });
  f.wait();
  EXPECT_TRUE(set_called.load());
  EXPECT_EQ(payload, 42);
  setter.join();
}

TEST(WakeFlag, HundredThousandHandOffsBetweenTwoThreadsAllArrive) {
  // Two flags, reset and set in turn as the thread pool does: every hand-off must wake the
  // other side exactly when it is due, whether it already sleeps or is just about to.
  constexpr int rounds = 100'000;
  wake_flag to_peer, to_main;
  long long sum = 0;  // written by each side in turn
  std::thread peer([&] {
    for (int i = 0; i < rounds; ++i) {
      to_peer.wait();
      to_peer.reset();  // before handing back: the main thread sets it only after our set
      sum += i;
      to_main.set();
    }
  });
  for (int i = 0; i < rounds; ++i) {
    to_main.reset();
    to_peer.set();
    to_main.wait();
  }
  peer.join();
  EXPECT_EQ(sum, static_cast<long long>(rounds) * (rounds - 1) / 2);
}
