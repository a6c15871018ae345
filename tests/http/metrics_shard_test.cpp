// SPDX-License-Identifier: MIT
// A worker's metrics shard on its own: counting a request allocates nothing (the request
// path stays allocation-free), labels come from the router's patterns by address, and a
// worker that runs out of label series still counts every request.
#include "eddy/http/detail/metrics_shard.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <regex>

#include "eddy/http/metrics.hpp"
#include "eddy/http/router.hpp"

namespace {
std::atomic<long> allocations{0};
}

// Every allocation in this binary is counted. (GCC cannot see that the replaced new and
// delete below pair malloc with free, and warns when it inlines them.)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

namespace http = eddy::http;
using http::method;
using namespace std::chrono_literals;

struct fixture {
  http::router routes;
  http::metrics registry;
  fixture() {
    routes.add(http::router::bit(method::get), "/users/<id:int>");
    routes.add(http::router::bit(method::post), "/users");
    routes.freeze();
    registry.set_routes(routes);
  }
};

long count_of(const std::string& text, const std::string& route, const std::string& m, const std::string& status) {
  std::smatch match;
  std::regex line("eddy_http_requests_total\\{route=\"" + std::regex_replace(route, std::regex(R"([\\^$.|?*+()\[\]{}<>])"), R"(\$&)") +
                  "\",method=\"" + m + "\",status=\"" + status + "\"\\} (\\d+)");
  return std::regex_search(text, match, line) ? std::stol(match[1]) : 0;
}

TEST(MetricsShard, CountsRequestsWithoutAllocating) {
  fixture f;
  http::detail::metrics_shard& shard = f.registry.acquire();
  const std::size_t user = 0;   // route ids, as `route_match::route` gives them
  const std::size_t users = 1;
  const long before = allocations.load();
  for (int i = 0; i < 10'000; ++i) {
    shard.request_started();
    shard.request_finished(i % 2 ? user : users, i % 2 ? method::get : method::post, 200 + (i % 5), 1ms * (i % 7));
  }
  shard.connection_opened();
  shard.loop_lag(3ms);
  shard.connection_closed();
  EXPECT_EQ(allocations.load() - before, 0);
  // The counter does see allocations (so the zero above means something).
  auto probe = std::make_unique<std::string>(100, 'x');
  EXPECT_GT(allocations.load() - before, 0);
  const std::string text = f.registry.render(true);
  EXPECT_EQ(count_of(text, "/users/<id:int>", "GET", "201"), 1000);
  EXPECT_EQ(count_of(text, "/users", "POST", "200"), 1000);
  EXPECT_NE(text.find("eddy_http_requests_in_flight 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("eddy_http_request_duration_seconds_count{route=\"/users\"} 5000\n"), std::string::npos);
}

TEST(MetricsShard, LabelsRoutesByTheirId) {
  fixture f;
  const http::detail::metric_routes& labels = f.registry.acquire().routes();
  ASSERT_EQ(labels.names.size(), 2u);
  EXPECT_EQ(labels.names[1], f.routes.pattern(1));
  EXPECT_EQ(labels.index(1), 1u);
  EXPECT_EQ(labels.index(0), 0u);
  // An id the router did not give (no route matched) is the "unmatched" label.
  EXPECT_EQ(labels.index(2), labels.unmatched());
  EXPECT_EQ(labels.index(SIZE_MAX), labels.unmatched());
}

TEST(MetricsShard, CountsEveryRequestWhenLabelSeriesRunOut) {
  fixture f;
  http::detail::metrics_shard& shard = f.registry.acquire();
  // More distinct (method, status) pairs than a shard has series: 10 methods x 900 statuses.
  long requests = 0;
  for (int m = 0; m < 10; ++m)
    for (int status = 100; status < 1000; ++status, ++requests) {
      shard.request_started();
      shard.request_finished(SIZE_MAX, static_cast<method>(m), status, 0ns);
    }
  const std::string text = f.registry.render(true);
  long labelled = 0;
  std::regex sample(R"(eddy_http_requests_total\{[^}]*\} (\d+))");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), sample); it != std::sregex_iterator(); ++it)
    labelled += std::stol((*it)[1]);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(text, m, std::regex(R"(eddy_http_requests_unlabelled_total (\d+))")));
  EXPECT_EQ(labelled, static_cast<long>(http::detail::metrics_shard::series_capacity));
  EXPECT_EQ(labelled + std::stol(m[1]), requests);
}

TEST(MetricsShard, HandsAReleasedShardToTheNextWorkerWithItsCounts) {
  fixture f;
  http::detail::metrics_shard& first = f.registry.acquire();
  first.request_started();
  first.request_finished(0, method::get, 200, 0ns);
  f.registry.release(first);
  http::detail::metrics_shard& again = f.registry.acquire();
  EXPECT_EQ(&again, &first);
  http::detail::metrics_shard& second = f.registry.acquire();
  EXPECT_NE(&second, &first);
  const std::string text = f.registry.render(false);
  EXPECT_EQ(count_of(text, "/users/<id:int>", "GET", "200"), 1);
  EXPECT_NE(text.find("eddy_event_loop_lag_seconds{worker=\"1\"}"), std::string::npos);
  EXPECT_NE(text.find("eddy_ready 0\n"), std::string::npos);
}

}  // namespace
