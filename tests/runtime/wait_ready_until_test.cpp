// SPDX-License-Identifier: MIT
// `wait_ready_until`: readiness, the time limit and cancellation, each leaving the descriptor
// free for the next wait.
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

time_point in(duration d) { return detail::this_loop().now() + d; }

}  // namespace

TEST(WaitReadyUntil, CompletesWhenThePeerWritesBeforeTheLimit) {
  auto body = []() -> task<void> {
    socket_pair sp;
    io_registration reg;
    EXPECT_TRUE(reg.open(detail::this_loop(), sp.fd[0]).has_value());
    auto writer = spawn([](int fd) -> task<void> {
      co_await sleep_for(20ms);
      EXPECT_EQ(::write(fd, "x", 1), 1);
    }(sp.fd[1]));
    const auto start = detail::this_loop().now();
    auto r = co_await wait_ready_until(reg, io_direction::read, in(10s));
    EXPECT_TRUE(r.has_value()) << r.error().message();
    EXPECT_LT(detail::this_loop().now() - start, 5s);
    co_await writer;
    EXPECT_EQ(reg.state().reader, nullptr);
  };
  test::run_real(body());
}

TEST(WaitReadyUntil, TimesOutAtTheLimitAndTheNextWaitStillWorks) {
  auto body = []() -> task<void> {
    socket_pair sp;
    io_registration reg;
    EXPECT_TRUE(reg.open(detail::this_loop(), sp.fd[0]).has_value());
    const auto start = detail::this_loop().now();
    auto r = co_await wait_ready_until(reg, io_direction::read, in(30ms));
    EXPECT_FALSE(r.has_value());
    if (!r) {
      EXPECT_EQ(r.error(), errc::timed_out);
    }
    EXPECT_GE(detail::this_loop().now() - start, 30ms);
    EXPECT_EQ(reg.state().reader, nullptr) << "the timed-out waiter is still parked";
    // Readiness after the timeout resumes nobody; a new wait sees the next report.
    EXPECT_EQ(::write(sp.fd[1], "x", 1), 1);
    co_await sleep_for(10ms);
    char c;
    EXPECT_EQ(::read(sp.fd[0], &c, 1), 1);
    auto writer = spawn([](int fd) -> task<void> {
      co_await sleep_for(10ms);
      EXPECT_EQ(::write(fd, "y", 1), 1);
    }(sp.fd[1]));
    auto again = co_await wait_ready_until(reg, io_direction::read, in(10s));
    EXPECT_TRUE(again.has_value());
    co_await writer;
  };
  test::run_real(body());
}

TEST(WaitReadyUntil, ALimitInThePastTimesOutWithoutWaiting) {
  auto body = []() -> task<void> {
    socket_pair sp;
    io_registration reg;
    EXPECT_TRUE(reg.open(detail::this_loop(), sp.fd[0]).has_value());
    auto r = co_await wait_ready_until(reg, io_direction::read, detail::this_loop().now());
    EXPECT_FALSE(r.has_value());
    if (!r) {
      EXPECT_EQ(r.error(), errc::timed_out);
    }
    EXPECT_EQ(reg.state().reader, nullptr);
  };
  test::run_real(body());
}

TEST(WaitReadyUntil, CancellationCompletesAtOnceAndRemovesTheTimer) {
  auto body = []() -> task<void> {
    socket_pair sp;
    io_registration reg;
    EXPECT_TRUE(reg.open(detail::this_loop(), sp.fd[0]).has_value());
    auto waiter = spawn([](io_registration& rg) -> task<std::error_code> {
      auto r = co_await wait_ready_until(rg, io_direction::read, detail::this_loop().now() + 1h);
      co_return r ? std::error_code() : r.error();
    }(reg));
    co_await sleep_for(10ms);
    EXPECT_FALSE(waiter.done());
    const auto start = detail::this_loop().now();
    waiter.cancel();
    EXPECT_EQ(co_await waiter, errc::operation_canceled);
    EXPECT_LT(detail::this_loop().now() - start, 1s);
    EXPECT_EQ(reg.state().reader, nullptr);
  };
  test::run_real(body());
}
