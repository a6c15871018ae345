// SPDX-License-Identifier: MIT
#include "eddy/runtime/run.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <stdexcept>

#include "eddy/runtime/sleep.hpp"
#include "support/test_loop.hpp"

using namespace eddy;
using namespace std::chrono_literals;

TEST(Run, ReturnsTheValue) {
  auto body = []() -> task<int> {
    co_await sleep_for(1ms);
    co_return 5;
  };
  EXPECT_EQ(run(body()), 5);
}

TEST(Run, RethrowsTheException) {
  auto body = []() -> task<void> {
    co_await sleep_for(1ms);
    throw std::out_of_range("x");
  };
  EXPECT_THROW(run(body()), std::out_of_range);
}

TEST(Run, CancelsAndDrainsLeftoverTasks) {
  int unwound = 0;
  auto body = [&]() -> task<void> {
    for (int i = 0; i < 10; ++i) {
      spawn([](int& u) -> task<void> {
        try {
          co_await sleep_for(1h);
        } catch (const cancelled_error&) {
          ++u;
          throw;
        }
      }(unwound));
    }
    co_await sleep_for(1ms);
  };
  auto start = std::chrono::steady_clock::now();
  run(body());
  EXPECT_EQ(unwound, 10);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(Run, RefusesToNestInsideARunningLoop) {
  auto body = []() -> task<void> {
    auto inner = []() -> task<void> { co_return; };
    EXPECT_THROW(run(inner()), std::logic_error);
    co_return;
  };
  run(body());
}

TEST(Run, SigintCancelsMainSoDestructorsRunThenEndsByTheSignal) {
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(pipefd[0]);
    struct guard {
      int fd;
      ~guard() { [[maybe_unused]] auto r = ::write(fd, "d", 1); }  // proves unwinding happened
    };
    auto body = [](int fd) -> task<void> {
      guard g{fd};
      ::kill(::getpid(), SIGINT);
      co_await sleep_for(1h);
    };
    run(body(pipefd[1]));
    ::_exit(0);  // not reached: run re-raises SIGINT
  }
  ::close(pipefd[1]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  char c = 0;
  EXPECT_EQ(::read(pipefd[0], &c, 1), 1);
  EXPECT_EQ(c, 'd');
  ::close(pipefd[0]);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGINT);
}
