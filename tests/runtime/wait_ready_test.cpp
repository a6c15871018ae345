// SPDX-License-Identifier: MIT
// `wait_ready`: it parks even when the descriptor is ready already (edge-triggered: the caller
// saw EAGAIN), completes on the next readiness report, and cancellation unparks it, leaving
// the descriptor free for the next wait.
#include "eddy/runtime/io.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>

#include "eddy/runtime/sleep.hpp"
#include "eddy/runtime/spawn.hpp"
#include "support/socket_pair.hpp"
#include "support/test_loop.hpp"

using namespace eddy;
using namespace std::chrono_literals;

namespace {

using test::socket_pair;

task<std::error_code> wait_for_read(io_registration& reg) {
  auto r = co_await wait_ready(reg, io_direction::read);
  co_return r ? std::error_code() : r.error();
}

}  // namespace

TEST(WaitReady, CompletesWhenThePeerWritesAndUnparks) {
  auto body = []() -> task<void> {
    socket_pair sp;
    io_registration reg;
    EXPECT_TRUE(reg.open(detail::this_loop(), sp.fd[0]).has_value());
    co_await sleep_for(1ms);  // the registration's first (writable) report has been seen
    auto waiter = spawn(wait_for_read(reg));
    co_await sleep_for(20ms);
    EXPECT_FALSE(waiter.done()) << "completed before anything was written";
    EXPECT_NE(reg.state().reader, nullptr) << "not parked in the reactor";
    EXPECT_EQ(::write(sp.fd[1], "x", 1), 1);
    EXPECT_EQ(co_await waiter, std::error_code());
    EXPECT_EQ(reg.state().reader, nullptr);
  };
  test::run_real(body());
}

TEST(WaitReady, CancellationCompletesWithOperationCanceledAndTheNextWaitStillWorks) {
  auto body = []() -> task<void> {
    socket_pair sp;
    io_registration reg;
    EXPECT_TRUE(reg.open(detail::this_loop(), sp.fd[0]).has_value());
    auto waiter = spawn(wait_for_read(reg));
    co_await sleep_for(10ms);
    EXPECT_FALSE(waiter.done());
    waiter.cancel();
    EXPECT_EQ(co_await waiter, errc::operation_canceled);
    EXPECT_EQ(reg.state().reader, nullptr) << "the cancelled waiter is still parked";
    // A write now resumes nobody (the cancelled frame is gone); a new wait sees the next one.
    EXPECT_EQ(::write(sp.fd[1], "x", 1), 1);
    co_await sleep_for(10ms);
    auto again = spawn(wait_for_read(reg));
    co_await sleep_for(10ms);
    EXPECT_FALSE(again.done()) << "readiness reported before the wait was taken for a new one";
    EXPECT_EQ(::write(sp.fd[1], "y", 1), 1);
    EXPECT_EQ(co_await again, std::error_code());
  };
  test::run_real(body());
}

TEST(WaitReady, AnAlreadyCancelledTaskDoesNotPark) {
  auto body = []() -> task<void> {
    socket_pair sp;
    io_registration reg;
    EXPECT_TRUE(reg.open(detail::this_loop(), sp.fd[0]).has_value());
    auto waiter = spawn([](io_registration& rg) -> task<std::error_code> {
      try {
        co_await sleep_for(1h);  // cancelled here
      } catch (const cancelled_error&) {
      }
      co_return co_await wait_for_read(rg);  // the token stays cancelled
    }(reg));
    co_await sleep_for(1ms);
    waiter.cancel();
    const auto r = co_await waiter;
    EXPECT_EQ(r, errc::operation_canceled);
    EXPECT_EQ(reg.state().reader, nullptr);
  };
  test::run_real(body());
}
