// SPDX-License-Identifier: MIT
#include "eddy/bridge/watch_fd.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "eddy/bridge/poll_every.hpp"
#include "eddy/core/awaitable_traits.hpp"
#include "eddy/runtime/sleep.hpp"
#include "eddy/runtime/spawn.hpp"
#include "support/test_loop.hpp"

using namespace eddy;
using namespace std::chrono_literals;

namespace {
struct socket_pair {
  int fd[2] = {-1, -1};
  socket_pair() {
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fd), 0);
  }
  ~socket_pair() {
    ::close(fd[0]);
    ::close(fd[1]);
  }
};
}  // namespace

TEST(WatchFd, ReadinessThatAlreadyExistsCompletesAtOnce) {
  auto body = []() -> task<void> {
    socket_pair sp;
    EXPECT_EQ(::write(sp.fd[1], "x", 1), 1);
    auto r = co_await watch_fd(sp.fd[0], fd_interest::readable);
    EXPECT_TRUE(r.has_value());
    if (r) {
      EXPECT_TRUE(r->readable);
    }
  };
  test::run_real(body());
}

TEST(WatchFd, WaitsUntilThePeerWrites) {
  auto body = []() -> task<void> {
    socket_pair sp;
    io_registration reg;
    EXPECT_TRUE(reg.open(detail::this_loop(), sp.fd[0]).has_value());
    auto writer = spawn([](int fd) -> task<void> {
      co_await sleep_for(5ms);
      EXPECT_EQ(::write(fd, "y", 1), 1);
    }(sp.fd[1]));
    auto r = co_await watch_fd(reg, fd_interest::readable);
    EXPECT_TRUE(r && r->readable && !r->writable);
    // Level-triggered for the caller: the unread byte is reported again.
    auto again = co_await watch_fd(reg, fd_interest::readable);
    EXPECT_TRUE(again && again->readable);
    char c;
    EXPECT_EQ(::read(sp.fd[0], &c, 1), 1);
    co_await writer;
  };
  test::run_real(body());
}

TEST(WatchFd, ReadableOrWritableReportsWritableForAnIdleSocket) {
  auto body = []() -> task<void> {
    socket_pair sp;
    auto r = co_await watch_fd(sp.fd[0], fd_interest::readable | fd_interest::writable);
    EXPECT_TRUE(r && r->writable && !r->readable);
  };
  test::run_real(body());
}

TEST(WatchFd, CancellationUnparksWithOperationCanceled) {
  auto body = []() -> task<void> {
    socket_pair sp;
    auto h = spawn(as_task(watch_fd(sp.fd[0], fd_interest::readable)));
    co_await sleep_for(2ms);
    h.cancel();
    auto r = co_await h;
    EXPECT_EQ(r.error(), make_error_code(errc::operation_canceled));
    // The descriptor was deregistered: it can be watched again.
    EXPECT_EQ(::write(sp.fd[1], "z", 1), 1);
    auto again = co_await watch_fd(sp.fd[0], fd_interest::readable);
    EXPECT_TRUE(again && again->readable);
  };
  test::run_real(body());
}

TEST(WatchFd, ABadDescriptorIsAnErrorNotACrash) {
  auto body = []() -> task<void> {
    auto r = co_await watch_fd(-1, fd_interest::readable);
    EXPECT_FALSE(r.has_value());
  };
  test::run_real(body());
}

TEST(PollEvery, CallsTheFunctionEveryIntervalUntilItReturnsFalse) {
  auto body = []() -> task<void> {
    int calls = 0;
    const auto start = detail::this_loop().now();
    co_await poll_every(10ms, [&] { return ++calls < 5; });
    EXPECT_EQ(calls, 5);
    EXPECT_EQ(detail::this_loop().now() - start, 40ms);
  };
  test::run_virtual(body());
}

TEST(PollEvery, RunsUntilCancelled) {
  auto body = []() -> task<void> {
    int calls = 0;
    auto h = spawn(poll_every(1ms, [&] { ++calls; }));
    co_await sleep_for(10ms);
    h.cancel();
    bool cancelled = false;
    try {
      co_await h;
    } catch (const cancelled_error&) {
      cancelled = true;
    }
    EXPECT_TRUE(cancelled);
    EXPECT_GE(calls, 10);
  };
  test::run_virtual(body());
}
