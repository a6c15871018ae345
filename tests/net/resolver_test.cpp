// SPDX-License-Identifier: MIT
// eddy-test-labels: threads
#include <eddy/net/resolver.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include <gtest/gtest.h>

#include <eddy/net/tcp_listener.hpp>
#include <eddy/net/tcp_stream.hpp>
#include <eddy/runtime/sleep.hpp>
#include <eddy/core/awaitable_traits.hpp>
#include <eddy/bridge/thread_pool.hpp>
#include <eddy/runtime/spawn.hpp>

#include "support/test_loop.hpp"

using eddy::address;
using eddy::errc;
using eddy::resolver;
using eddy::task;
using eddy::test::run_real;

TEST(Resolver, NumericHostsSkipTheWorkerThread) {
  run_real([]() -> task<> {
    resolver::clear_cache();
    const auto before = resolver::lookups();
    auto r = co_await resolver::resolve("127.0.0.1", 80);
    EXPECT_EQ(r->size(), 1u);
    EXPECT_EQ(r->front().to_string(), "127.0.0.1:80");
    auto r6 = co_await resolver::resolve("::1", 81);
    EXPECT_EQ(r6->front().to_string(), "[::1]:81");
    EXPECT_EQ(resolver::lookups(), before);
  }());
}

TEST(Resolver, ResolvesLocalhostOnceAndThenFromTheCache) {
  run_real([]() -> task<> {
    resolver::clear_cache();
    const auto before = resolver::lookups();
    auto r = co_await resolver::resolve("localhost", 8080);
    EXPECT_TRUE(r);
    if (!r) co_return;
    EXPECT_FALSE(r->empty());
    for (const auto& a : *r) {
      EXPECT_TRUE(a.is_loopback()) << a.to_string();
      EXPECT_EQ(a.port(), 8080);
    }
    auto again = co_await resolver::resolve("localhost", 9090);
    EXPECT_EQ(again->front().port(), 9090);
    EXPECT_EQ(resolver::lookups(), before + 1);
  }());
}

TEST(Resolver, UnknownNamesReportHostNotFound) {
  run_real([]() -> task<> {
    auto r = co_await resolver::resolve("no-such-host.invalid", 80);
    EXPECT_FALSE(r);
    auto empty = co_await resolver::resolve("", 80);
    EXPECT_EQ(empty.error(), errc::host_not_found);
  }());
}

TEST(Resolver, ConnectByNameFallsBackAcrossAddresses) {
  run_real([]() -> task<> {
    // Listen on IPv4 only: if "localhost" yields ::1 first, that attempt is refused and the
    // connect must fall back to 127.0.0.1.
    eddy::tcp_listener l(address::ipv4_loopback(0));
    auto accepted = eddy::spawn(eddy::as_task(l.accept()));
    auto c = co_await eddy::tcp_stream::connect("localhost", l.local_address().port());
    EXPECT_TRUE(c) << c.error().message();
    auto s = std::move(co_await accepted);
    EXPECT_TRUE(s);
  }());
}

TEST(Resolver, CancelledLookupEndsAtOnce) {
  run_real([]() -> task<> {
    resolver::clear_cache();
    // Every worker busy: the lookup waits in the queue, so it cannot have finished before the
    // cancel (a failing lookup takes a millisecond here, and once took less than one loop
    // turn on a loaded CI machine).
    eddy::thread_pool& pool = eddy::default_thread_pool();
    struct gate {
      std::atomic<std::size_t> started{0};
      std::atomic<bool> open{false};
    };
    auto g = std::make_shared<gate>();  // the workers may still look at it after this frame ends
    for (std::size_t i = 0; i < pool.size(); ++i) {
      EXPECT_TRUE(pool.submit([g] {
        g->started.fetch_add(1);
        while (!g->open.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }));
    }
    while (g->started.load() < pool.size()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    // Should the cancel not drop the queued lookup, the workers are freed after 2 s and the
    // test fails on the lookup's own error rather than hanging.
    auto releaser = eddy::spawn([](std::shared_ptr<gate> later) -> task<> {
      co_await eddy::sleep_for(std::chrono::seconds(2));
      later->open.store(true);
    }(g));
    auto h = eddy::spawn(resolver::resolve("example.invalid", 80));
    co_await eddy::yield();  // the lookup has started and waits for a worker thread
    h.cancel();
    auto r = co_await h;
    g->open.store(true);
    releaser.cancel();
    EXPECT_EQ(r.error(), errc::operation_canceled);
  }());
}
