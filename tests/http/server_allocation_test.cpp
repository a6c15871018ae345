// SPDX-License-Identifier: MIT
// eddy-test-labels: threads
// The plaintext and JSON paths allocate nothing per request once warm: every operator new on the
// server's thread is counted (this binary replaces the global allocation functions).
#include "eddy/http/app.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <cstdlib>
#include <new>
#include <string_view>
#include <vector>

#include "http/server_fixture.hpp"

namespace {
// Set on the server's thread by the first request; only that thread's allocations count.
thread_local bool counting = false;
std::atomic<long> server_allocations{0};
}  // namespace

// The replacements pair malloc with free; GCC 12 takes the free inside a replaced operator
// delete for a mismatch with operator new (-Wmismatched-new-delete), wrongly.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) {
  if (counting) server_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace {

void plaintext_app(http::app& app) {
  app.get("/plaintext", [](request&) -> task<response> {
    counting = true;
    co_return response::text("Hello, World!");
  });
  // The benchmark's /json: an object written from its fields, no `json` tree.
  app.get("/json", [](request&) -> task<response> {
    counting = true;
    co_return response::json({{"message", "Hello, World!"}, {"n", 42}});
  });
}

constexpr const char* plaintext_body = "Hello, World!";

long allocations_for(client& c, int requests, bool pipelined, const char* path = "/plaintext",
                     std::string_view body = plaintext_body) {
  long before = server_allocations.load();
  if (pipelined) {
    std::string batch;
    for (int i = 0; i < requests; ++i) batch += get(path);
    EXPECT_TRUE(c.send(batch));
    for (int i = 0; i < requests; ++i) {
      auto r = c.read_response();
      if (!r || r->body != body) {
        ADD_FAILURE() << "pipelined response " << i;
        break;
      }
    }
  } else {
    for (int i = 0; i < requests; ++i) {
      auto r = c.roundtrip(get(path));
      if (!r || r->body != body) {
        ADD_FAILURE() << "response " << i;
        break;
      }
    }
  }
  return server_allocations.load() - before;
}

TEST(ServerAllocations, PlaintextRequestsAllocateNothingOnceWarm) {
#if !EDDY_FRAME_CACHE
  GTEST_SKIP() << "coroutine frames are not cached in this build (AddressSanitizer)";
#endif
  test_server server{plaintext_app};
  client c(server.port());
  allocations_for(c, 200, false);  // warm: frame cache, buffers, header vectors, Date
  allocations_for(c, 256, true);
  EXPECT_EQ(allocations_for(c, 1000, false), 0) << "allocations in 1,000 keep-alive requests";
  EXPECT_EQ(allocations_for(c, 256, true), 0) << "allocations in 256 pipelined requests";
}

TEST(ServerAllocations, JsonFromFieldsAllocatesNothingOnceWarm) {
#if !EDDY_FRAME_CACHE
  GTEST_SKIP() << "coroutine frames are not cached in this build (AddressSanitizer)";
#endif
  test_server server{plaintext_app};
  client c(server.port());
  constexpr std::string_view body = R"({"message":"Hello, World!","n":42})";
  allocations_for(c, 200, false, "/json", body);
  allocations_for(c, 256, true, "/json", body);
  EXPECT_EQ(allocations_for(c, 1000, false, "/json", body), 0) << "allocations in 1,000 keep-alive requests";
  EXPECT_EQ(allocations_for(c, 256, true, "/json", body), 0) << "allocations in 256 pipelined requests";
}

TEST(ServerAllocations, ParkedConnectionsWakeAndParkWithoutAllocating) {
#if !EDDY_FRAME_CACHE
  GTEST_SKIP() << "coroutine frames are not cached in this build (AddressSanitizer)";
#endif
  test_server server{plaintext_app};
  // Over `park_at_once_above` (256) open connections, an idle one parks as soon as it is
  // answered, giving up its state: every request below wakes a parked connection, which
  // makes its state again (from the per-thread pools) and parks once more.
  constexpr int connections = 300;
  std::vector<std::unique_ptr<client>> clients;
  for (int i = 0; i < connections; ++i) clients.push_back(std::make_unique<client>(server.port()));
  for (int round = 0; round < 2; ++round)
    for (auto& c : clients) allocations_for(*c, 1, false);  // warm, with every connection open
  long woken = 0;
  for (int round = 0; round < 3; ++round)
    for (auto& c : clients) woken += allocations_for(*c, 1, false);
  EXPECT_EQ(woken, 0) << "allocations in " << 3 * connections << " requests, each on a parked connection";
}

TEST(ServerAllocations, TheCounterSeesServerAllocations) {
  // The measurement itself works: a route that allocates is counted.
  test_server server{[](http::app& app) {
    plaintext_app(app);
    app.get("/alloc", [](request&) -> task<response> {
      counting = true;
      co_return response::text(std::string(1000, 'x'));
    });
  }};
  client c(server.port());
  allocations_for(c, 10, false);
  long before = server_allocations.load();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(c.roundtrip(get("/alloc")));
  EXPECT_GE(server_allocations.load() - before, 10);
}

}  // namespace
