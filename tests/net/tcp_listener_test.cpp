// SPDX-License-Identifier: MIT
#include <eddy/net/tcp_listener.hpp>

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include <eddy/runtime/sleep.hpp>
#include <eddy/core/awaitable_traits.hpp>
#include <eddy/runtime/spawn.hpp>

#include "support/test_loop.hpp"

using eddy::address;
using eddy::task;
using eddy::tcp_listener;
using eddy::tcp_stream;
using eddy::test::run_real;

TEST(TcpListener, PortZeroReportsTheChosenPort) {
  run_real([]() -> task<> {
    tcp_listener l(address::ipv4_loopback(0));
    EXPECT_NE(l.local_address().port(), 0);
    tcp_listener l6(address::ipv6_loopback(0));
    EXPECT_EQ(l6.local_address().family(), eddy::address_family::ipv6);
    co_return;
  }());
}

TEST(TcpListener, BindingABusyPortThrowsSystemError) {
  run_real([]() -> task<> {
    tcp_listener a(address::ipv4_loopback(0));
    EXPECT_THROW(tcp_listener(a.local_address()), std::system_error);
    co_return;
  }());
}

TEST(TcpListener, ReusePortLetsTwoListenersShareAPort) {
  run_real([]() -> task<> {
    tcp_listener a(address::ipv4_loopback(0), {.reuse_port = true});
    tcp_listener b(a.local_address(), {.reuse_port = true});
    EXPECT_EQ(a.local_address(), b.local_address());
    co_return;
  }());
}

TEST(TcpListener, AcceptOnAClosedListenerFails) {
  run_real([]() -> task<> {
    tcp_listener l;
    auto s = co_await l.accept();
    EXPECT_EQ(s.error(), eddy::errc::not_connected);
  }());
}

TEST(TcpListener, AcceptIsCancellable) {
  run_real([]() -> task<> {
    tcp_listener l(address::ipv4_loopback(0));
    auto h = eddy::spawn(eddy::as_task(l.accept()));
    co_await eddy::sleep_for(std::chrono::milliseconds(2));
    h.cancel();
    auto s = std::move(co_await h);
    EXPECT_EQ(s.error(), eddy::errc::operation_canceled);
  }());
}

// Runs in a forked child with a tiny descriptor limit: the listener must survive EMFILE, keep
// serving the connection it has, and accept again once descriptors are free.
TEST(TcpListener, SurvivesRunningOutOfDescriptors) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    rlimit limit{64, 64};
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) ::_exit(9);
    int code = run_real([]() -> task<int> {
      tcp_listener l(address::ipv4_loopback(0), {.exhaustion_backoff = std::chrono::milliseconds(20)});
      auto first_accept = eddy::spawn(eddy::as_task(l.accept()));
      auto c1 = co_await tcp_stream::connect(l.local_address());
      auto s1 = std::move(co_await first_accept);
      if (!c1 || !s1) co_return 10;
      // Exhaust descriptors (leave exactly none).
      std::vector<int> hogs;
      for (;;) {
        int fd = ::dup(0);
        if (fd < 0) break;
        hogs.push_back(fd);
      }
      // The client socket takes the one descriptor freed here; the server's accept then has
      // none left.
      ::close(hogs.back());
      hogs.pop_back();
      auto c2 = co_await tcp_stream::connect(l.local_address());
      if (!c2) co_return 11;
      auto pending = eddy::spawn(eddy::as_task(l.accept()));
      co_await eddy::sleep_for(std::chrono::milliseconds(100));
      if (pending.done()) co_return 12;        // accept cannot have succeeded without an fd
      if (l.exhaustion_count() == 0) co_return 13;
      // The existing connection is still served meanwhile.
      if (!co_await c1->write(std::string_view("ok"))) co_return 14;
      char buf[4];
      auto n = co_await s1->read_some(buf);
      if (!n || *n != 2) co_return 15;
      for (int fd : hogs) ::close(fd);
      auto s2 = std::move(co_await pending);
      if (!s2) co_return 16;
      co_return 0;
    }());
    ::_exit(code);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}
