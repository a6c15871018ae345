// SPDX-License-Identifier: MIT
// eddy-test-labels: threads
// The reactor contract (runtime/reactor.hpp), written for the kqueue backend. The normal build
// runs it against the platform's backend (kqueue on BSD/macOS, epoll on Linux); on Linux the
// `kqueue_shim` block of tests/CMakeLists.txt also compiles kqueue_reactor.cpp against a
// kqueue model over epoll and runs this file (and the loop tests) through it.
#include "eddy/runtime/reactor.hpp"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <map>
#include <thread>

namespace {

using namespace std::chrono_literals;
using eddy::detail::io_event;
using eddy::detail::io_state;
using eddy::detail::reactor;

/// What one poll reported per descriptor (kqueue reports directions as separate events).
struct seen {
  bool readable = false;
  bool writable = false;
};
using report = std::map<io_state*, seen>;

report poll(reactor& r, std::chrono::nanoseconds timeout = 0ns) {
  report out;
  r.poll(
      timeout,
      [](void* ctx, const io_event& ev) {
        auto& s = (*static_cast<report*>(ctx))[ev.state];
        s.readable |= ev.readable;
        s.writable |= ev.writable;
      },
      &out);
  return out;
}

/// A connected non-blocking socket pair, closed at the end of the test.
struct socket_pair {
  int a = -1;
  int b = -1;
  socket_pair() {
    int fds[2];
    // SOCK_NONBLOCK is not portable to macOS; fcntl is.
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0) {
      a = fds[0];
      b = fds[1];
      ::fcntl(a, F_SETFL, ::fcntl(a, F_GETFL) | O_NONBLOCK);
      ::fcntl(b, F_SETFL, ::fcntl(b, F_GETFL) | O_NONBLOCK);
    }
  }
  ~socket_pair() {
    if (a >= 0) ::close(a);
    if (b >= 0) ::close(b);
  }
};

TEST(KqueueReactor, ReportsANewSocketWritableOnceBecauseItIsEdgeTriggered) {
  reactor r;
  socket_pair p;
  ASSERT_GE(p.a, 0);
  io_state s{p.a};
  ASSERT_EQ(r.add(s), 0);
  auto first = poll(r);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_TRUE(first[&s].writable);
  EXPECT_FALSE(first[&s].readable);
  EXPECT_TRUE(poll(r).empty());
  r.remove(s);
}

TEST(KqueueReactor, ReportsReadableWhenDataArrivesAndAgainOnlyWhenMoreArrives) {
  reactor r;
  socket_pair p;
  io_state s{p.a};
  ASSERT_EQ(r.add(s), 0);
  poll(r);  // the initial writable edge
  ASSERT_EQ(::write(p.b, "x", 1), 1);
  auto got = poll(r, 1s);
  EXPECT_TRUE(got[&s].readable);
  // The byte is still unread, but no new edge: nothing is reported.
  EXPECT_TRUE(poll(r).empty());
  ASSERT_EQ(::write(p.b, "y", 1), 1);
  EXPECT_TRUE(poll(r, 1s)[&s].readable);
  char buf[4];
  EXPECT_EQ(::read(p.a, buf, sizeof buf), 2);
  r.remove(s);
}

TEST(KqueueReactor, ReportsAPeerHangUpAsReadable) {
  reactor r;
  socket_pair p;
  io_state s{p.a};
  ASSERT_EQ(r.add(s), 0);
  poll(r);
  ::close(p.b);
  p.b = -1;
  EXPECT_TRUE(poll(r, 1s)[&s].readable);
  char c;
  EXPECT_EQ(::read(p.a, &c, 1), 0);  // the retried read sees EOF
  r.remove(s);
}

TEST(KqueueReactor, ReportsWritableAgainAfterAFullSocketDrains) {
  reactor r;
  socket_pair p;
  io_state s{p.a};
  ASSERT_EQ(r.add(s), 0);
  poll(r);
  char chunk[4096] = {};
  while (::write(p.a, chunk, sizeof chunk) > 0) {
  }
  ASSERT_EQ(errno, EAGAIN);
  EXPECT_TRUE(poll(r).empty());
  while (::read(p.b, chunk, sizeof chunk) > 0) {
  }
  EXPECT_TRUE(poll(r, 1s)[&s].writable);
  r.remove(s);
}

TEST(KqueueReactor, ReportsNothingForARemovedDescriptor) {
  reactor r;
  socket_pair p;
  io_state s{p.a};
  ASSERT_EQ(r.add(s), 0);
  r.remove(s);
  ASSERT_EQ(::write(p.b, "x", 1), 1);
  EXPECT_TRUE(poll(r, 20ms).empty());
}

TEST(KqueueReactor, ReportsTwoDescriptorsSeparately) {
  reactor r;
  socket_pair p;
  io_state a{p.a};
  io_state b{p.b};
  ASSERT_EQ(r.add(a), 0);
  ASSERT_EQ(r.add(b), 0);
  poll(r);
  ASSERT_EQ(::write(p.a, "x", 1), 1);
  auto got = poll(r, 1s);
  EXPECT_TRUE(got[&b].readable);
  EXPECT_FALSE(got.count(&a) && got[&a].readable);
  r.remove(a);
  r.remove(b);
}

TEST(KqueueReactor, RefusesAnInvalidDescriptorWithAnErrno) {
  reactor r;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);
  ::close(fds[1]);
  io_state s{fds[0]};
  EXPECT_EQ(r.add(s), EBADF);
  io_state negative{-1};
  EXPECT_NE(r.add(negative), 0);
}

TEST(KqueueReactor, AcceptsThePipeReadEndTheSignalWatcherRegisters) {
  reactor r;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  io_state s{fds[0]};
  ASSERT_EQ(r.add(s), 0);
  poll(r);
  ASSERT_EQ(::write(fds[1], "s", 1), 1);
  EXPECT_TRUE(poll(r, 1s)[&s].readable);
  r.remove(s);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(KqueueReactor, WakeBeforePollMakesThatPollReturnWithoutAnEvent) {
  reactor r;
  r.wake();
  r.wake();  // coalesces
  EXPECT_EQ(r.poll(-1ns, [](void*, const io_event&) { ADD_FAILURE(); }, nullptr), 0);
  // Consumed: the next zero-timeout poll reports nothing and does not see a stale wake-up.
  EXPECT_EQ(r.poll(0ns, [](void*, const io_event&) { ADD_FAILURE(); }, nullptr), 0);
}

TEST(KqueueReactor, WakeFromAnotherThreadEndsABlockingPoll) {
  reactor r;
  std::thread waker([&] {
    std::this_thread::sleep_for(30ms);
    r.wake();
  });
  // Without the wake-up this poll would block forever (the test would time out).
  EXPECT_EQ(r.poll(-1ns, [](void*, const io_event&) {}, nullptr), 0);
  waker.join();
}

TEST(KqueueReactor, EveryWakeEndsOnePollAndAConsumedWakeEndsNone) {
  // The epoll backend never reads its eventfd back: each write must still be a new edge, and
  // an edge already reported must not end a later poll early.
  reactor r;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) {
    r.wake();
    // A lost wake-up would block here for the whole 5 s (checked below: never reached by 1,000
    // wake-ups that each end their poll at once).
    EXPECT_EQ(r.poll(5s, [](void*, const io_event&) { ADD_FAILURE(); }, nullptr), 0);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  start = std::chrono::steady_clock::now();
  EXPECT_EQ(r.poll(30ms, [](void*, const io_event&) { ADD_FAILURE(); }, nullptr), 0);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 29ms);
}

TEST(KqueueReactor, WaitsAtLeastTheTimeoutWhenNothingHappens) {
  reactor r;
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(poll(r, 30ms).empty());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 29ms);
}

}  // namespace
