// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eddy/http/method.hpp"

namespace eddy::http::detail {

/// The app's routes as metric labels, by route id (what `router::add` returned, and
/// `route_match::route`): a lookup is an index. Index `size()` stands for "no route
/// matched". Immutable once built.
struct metric_routes {
  std::vector<std::string> names;  // by route id

  std::uint32_t unmatched() const noexcept { return static_cast<std::uint32_t>(names.size()); }
  /// The label index of a route id; `unmatched()` for an id out of range (no route).
  std::uint32_t index(std::size_t route) const noexcept {
    return route < names.size() ? static_cast<std::uint32_t>(route) : unmatched();
  }
};

/// One worker's metrics. Only the worker's loop thread writes them; `/metrics` reads every
/// shard from whichever worker serves the scrape. Each value is an atomic with one writer, so
/// an update is a plain load and store (no locked instruction, no lock) and a reader never
/// sees a torn value. Nothing here allocates after construction.
class metrics_shard {
 public:
  /// Upper bounds of the latency histogram buckets, in nanoseconds (the last bucket, +Inf,
  /// is implicit).
  static constexpr std::array<std::uint64_t, 14> bucket_bounds_ns = {
      500'000,       1'000'000,     2'500'000,     5'000'000,     10'000'000,
      25'000'000,    50'000'000,    100'000'000,   250'000'000,   500'000'000,
      1'000'000'000, 2'500'000'000, 5'000'000'000, 10'000'000'000};
  static constexpr std::size_t bucket_count = bucket_bounds_ns.size() + 1;
  /// Distinct (route, method, status) series per worker; more are counted as unlabelled.
  static constexpr std::size_t series_capacity = 1024;

  struct series {
    std::atomic<std::uint64_t> key{0};  // 0 = free; see `pack`
    std::atomic<std::uint64_t> count{0};
  };
  struct latency {
    std::array<std::atomic<std::uint64_t>, bucket_count> buckets{};
    std::atomic<std::uint64_t> sum_ns{0};
  };

  metrics_shard(const metric_routes& routes, unsigned worker)
      : routes_(&routes), worker_(worker), series_(std::make_unique<series[]>(series_capacity)),
        latency_(std::make_unique<latency[]>(routes.names.size() + 1)) {}

  /// A request's handler is about to run.
  void request_started() noexcept { add(in_flight_, 1); }
  /// The request answered with `status` after `elapsed`; `route_id` is the matched route's
  /// id (`route_match::route`), or anything out of range when no route matched.
  void request_finished(std::size_t route_id, method m, int status, std::chrono::nanoseconds elapsed) noexcept {
    add(in_flight_, -1);
    const std::uint32_t route = routes_->index(route_id);
    count_series(pack(route, m, status));
    latency& l = latency_[route];
    const auto ns = static_cast<std::uint64_t>(std::max<std::int64_t>(0, elapsed.count()));
    std::size_t b = 0;
    while (b < bucket_bounds_ns.size() && ns > bucket_bounds_ns[b]) ++b;
    add(l.buckets[b], 1);
    add(l.sum_ns, ns);
  }
  /// A request ended without a response to count (the client went away mid-stream).
  void request_abandoned() noexcept { add(in_flight_, -1); }
  void connection_opened() noexcept { add(open_connections_, 1); }
  void connection_closed() noexcept { add(open_connections_, -1); }
  /// How late the loop ran a timer (the loop-lag probe).
  void loop_lag(std::chrono::nanoseconds lag) noexcept {
    loop_lag_ns_.store(static_cast<std::uint64_t>(std::max<std::int64_t>(0, lag.count())), std::memory_order_relaxed);
  }

  // Readers (any thread).
  unsigned worker() const noexcept { return worker_; }
  const metric_routes& routes() const noexcept { return *routes_; }
  const series* series_table() const noexcept { return series_.get(); }
  const latency& route_latency(std::uint32_t route) const noexcept { return latency_[route]; }
  std::int64_t in_flight() const noexcept { return static_cast<std::int64_t>(in_flight_.load(std::memory_order_relaxed)); }
  std::int64_t open_connections() const noexcept {
    return static_cast<std::int64_t>(open_connections_.load(std::memory_order_relaxed));
  }
  std::uint64_t unlabelled() const noexcept { return unlabelled_.load(std::memory_order_relaxed); }
  std::uint64_t loop_lag_ns() const noexcept { return loop_lag_ns_.load(std::memory_order_relaxed); }

  /// Series keys: route + 1 in the high bits (so 0 means "free"), then method and status.
  static std::uint64_t pack(std::uint32_t route, method m, int status) noexcept {
    const auto s = static_cast<std::uint64_t>(status >= 100 && status <= 999 ? status : 0);
    return (static_cast<std::uint64_t>(route) + 1) << 16 | static_cast<std::uint64_t>(m) << 10 | s;
  }
  static std::uint32_t route_of(std::uint64_t key) noexcept { return static_cast<std::uint32_t>((key >> 16) - 1); }
  static method method_of(std::uint64_t key) noexcept { return static_cast<method>((key >> 10) & 0x3f); }
  static int status_of(std::uint64_t key) noexcept { return static_cast<int>(key & 0x3ff); }

 private:
  // Single-writer update: the owner thread is the only one storing, so load + store is exact.
  template <class T>
  static void add(std::atomic<std::uint64_t>& a, T delta) noexcept {
    a.store(a.load(std::memory_order_relaxed) + static_cast<std::uint64_t>(delta), std::memory_order_relaxed);
  }

  void count_series(std::uint64_t key) noexcept {
    std::size_t i = static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> 54) % series_capacity;
    for (std::size_t probes = 0; probes < series_capacity; ++probes, i = (i + 1) % series_capacity) {
      series& s = series_[i];
      const std::uint64_t k = s.key.load(std::memory_order_relaxed);
      if (k == key) {
        add(s.count, 1);
        return;
      }
      if (k == 0) {
        s.count.store(1, std::memory_order_relaxed);
        s.key.store(key, std::memory_order_release);  // readers see the count with the key
        return;
      }
    }
    add(unlabelled_, 1);
  }

  const metric_routes* routes_;
  unsigned worker_;
  std::unique_ptr<series[]> series_;
  std::unique_ptr<latency[]> latency_;  // per route, plus "unmatched"
  std::atomic<std::uint64_t> in_flight_{0};
  std::atomic<std::uint64_t> open_connections_{0};
  std::atomic<std::uint64_t> unlabelled_{0};
  std::atomic<std::uint64_t> loop_lag_ns_{0};
};

}  // namespace eddy::http::detail
