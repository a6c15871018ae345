// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>

#include "eddy/runtime/event_loop.hpp"
#include "eddy/http/detail/metrics_shard.hpp"
#include "eddy/http/detail/request_access.hpp"
#include "eddy/http/request.hpp"

namespace eddy::http::detail {

/// Counts one request into a worker's metrics: in flight from construction, answered (with
/// its route, method, status and latency) at `finished`; a request destroyed unanswered (the
/// client went away, the connection was cancelled) only leaves the in-flight gauge. With a
/// null shard it does nothing, so a server without metrics pays one branch. Latency is read
/// from the loop's clock, updated once per loop turn (as nginx's `$request_time` is): no
/// clock read per request, and the histogram's smallest bucket is 0.5 ms.
class request_probe {
 public:
  explicit request_probe(metrics_shard* shard) noexcept : shard_(shard) {
    if (shard_) {
      shard_->request_started();
      started_ = eddy::detail::this_loop().now();
    }
  }
  ~request_probe() {
    if (shard_) shard_->request_abandoned();
  }
  request_probe(const request_probe&) = delete;
  request_probe& operator=(const request_probe&) = delete;

  /// The response is ready: `status` is what the client gets.
  void finished(const request& req, int status) noexcept {
    if (!shard_) return;
    shard_->request_finished(request_access::route_id(req), req.method(), status, eddy::detail::this_loop().now() - started_);
    shard_ = nullptr;
  }

 private:
  metrics_shard* shard_;
  time_point started_{};
};

}  // namespace eddy::http::detail
