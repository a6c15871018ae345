// SPDX-License-Identifier: MIT
// eddy-test-labels: threads
#include "eddy/http/shared_client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "client_test_support.hpp"
#include "eddy/core/when_all.hpp"
#include "support/test_loop.hpp"

using eddy::task;
using eddy::test::local_app;
using eddy::test::text_of;
namespace http = eddy::http;

TEST(SharedClient, GivesEachLoopItsOwnClientAndServesRequestsFromEveryThread) {
  http::shared_client shared({.max_per_host = 2});
  std::atomic<int> ok{0};
  std::vector<http::client*> seen(4, nullptr);
  std::latch all_made(4);  // every client exists at once, so their addresses must differ
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      eddy::test::run_real([&]() -> task<void> {
        http::app app("t");
        eddy::test::add_routes(app);
        local_app srv(app);
        {
          http::client& mine = shared.local();
          EXPECT_EQ(&mine, &shared.local());  // the same client on the same loop
          seen[static_cast<std::size_t>(t)] = &mine;
          all_made.arrive_and_wait();
          auto one = [&]() -> task<void> {
            for (int i = 0; i < 10; ++i) {
              auto r = co_await shared.get(srv.base() + "/hello");
              if ((co_await text_of(r)) == "hello") ++ok;
            }
          };
          co_await eddy::when_all(one(), one(), one());
          // Connections stayed with this loop's client, within its per-host limit.
          EXPECT_LE(mine.pool().opened_total(), 2u);
        }
        co_await srv.stop();
      }());
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 4 * 30);
  for (int a = 0; a < 4; ++a)
    for (int b = a + 1; b < 4; ++b) EXPECT_NE(seen[a], seen[b]);
  // Each client ended with its loop.
  EXPECT_EQ(shared.loops(), 0u);
}

TEST(SharedClient, ReportsBadOptionsAtConstruction) {
  EXPECT_THROW(http::shared_client({.tls = {.ca_file = "/nonexistent/ca.pem"}}), std::system_error);
}

TEST(SharedClient, MayBeDestroyedBeforeTheLoopsThatUseIt) {
  auto shared = std::make_unique<http::shared_client>();
  std::string got;
  eddy::test::run_real([&]() -> task<void> {
    http::app app("t");
    eddy::test::add_routes(app);
    local_app srv(app);
    {
      auto r = co_await shared->get(srv.base() + "/hello");
      shared.reset();  // the loop's client lives on until the loop ends
      got = co_await text_of(r);
    }
    co_await srv.stop();
  }());
  EXPECT_EQ(got, "hello");
}
