// SPDX-License-Identifier: MIT
#include "eddy/runtime/signals.hpp"

#include <gtest/gtest.h>

#include <csignal>

#include "eddy/runtime/spawn.hpp"
#include "eddy/runtime/sleep.hpp"
#include "support/test_loop.hpp"

using namespace eddy;
using namespace std::chrono_literals;

TEST(Signals, WaitReturnsTheSignalNumber) {
  auto body = []() -> task<void> {
    signals sigs({SIGUSR1, SIGUSR2});
    ::raise(SIGUSR2);
    EXPECT_EQ(co_await sigs.wait(), SIGUSR2);
    ::raise(SIGUSR1);
    ::raise(SIGUSR1);
    EXPECT_EQ(co_await sigs.wait(), SIGUSR1);  // queued while nobody waited
    EXPECT_EQ(co_await sigs.wait(), SIGUSR1);
  };
  test::run_real(body());
}

TEST(Signals, WaitIsCancellable) {
  auto body = []() -> task<void> {
    signals sigs({SIGUSR1});
    auto h = spawn(sigs.wait());
    co_await sleep_for(1ms);
    h.cancel();
    EXPECT_THROW(co_await h, cancelled_error);
  };
  test::run_real(body());
}

TEST(Signals, PreviousDispositionIsRestored) {
  struct sigaction before {};
  ::sigaction(SIGUSR1, nullptr, &before);
  auto body = []() -> task<void> {
    signals sigs({SIGUSR1});
    co_return;
  };
  test::run_real(body());
  struct sigaction after {};
  ::sigaction(SIGUSR1, nullptr, &after);
  EXPECT_EQ(before.sa_handler, after.sa_handler);
}

TEST(Signals, RejectsUncatchableSignals) {
  auto body = []() -> task<void> {
    EXPECT_THROW(signals({SIGKILL}), std::invalid_argument);
    co_return;
  };
  test::run_real(body());
}
