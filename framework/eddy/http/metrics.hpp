// SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "eddy/http/detail/metrics_shard.hpp"

namespace eddy::http {

class router;

/// The app's Prometheus metrics (`app.expose_metrics()`): requests by route pattern, method
/// and status, a latency histogram by route, requests in flight, open connections, and each
/// worker's event-loop lag. Every worker counts into its own shard without locks; the shards
/// are added up only when `/metrics` is scraped. The lock here is taken only by workers
/// starting or stopping and by scrapes, never per request.
class metrics {
 public:
  metrics();
  ~metrics();
  metrics(const metrics&) = delete;
  metrics& operator=(const metrics&) = delete;

  /// Takes the route labels from `r` (done when the app freezes its routes).
  void set_routes(const router& r);

  /// A shard for a worker that starts serving: a released one (its counters carry on) or a
  /// new one. Stays valid as long as this object.
  detail::metrics_shard& acquire();
  /// The worker stopped serving.
  void release(detail::metrics_shard& shard) noexcept;

  /// Every shard added up, in the Prometheus text exposition format (version 0.0.4). `ready`
  /// is exported as `eddy_ready`.
  std::string render(bool ready) const;

  /// The Content-Type of `render`'s output.
  static constexpr const char* content_type = "text/plain; version=0.0.4; charset=utf-8";

 private:
  mutable std::mutex mutex_;
  detail::metric_routes routes_;
  std::vector<std::unique_ptr<detail::metrics_shard>> shards_;
  std::vector<bool> in_use_;
};

}  // namespace eddy::http
