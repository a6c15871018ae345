// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <optional>

#include "eddy/http/detail/metrics_shard.hpp"
#include "eddy/runtime/spawn.hpp"

namespace eddy::http {
class metrics;
}

namespace eddy::http::detail {

/// One serving worker's part in the app's metrics, for the length of `app::serve`: takes a
/// shard (stored in `*slot`, which the connections count into) and runs the loop-lag probe on
/// the current loop. Does nothing when `registry` is null (metrics not exposed). Construct
/// and destroy on the serving loop's thread.
class metrics_scope {
 public:
  /// How often the loop-lag probe measures.
  static constexpr std::chrono::milliseconds lag_interval{250};

  metrics_scope(metrics* registry, metrics_shard*& slot);
  ~metrics_scope();
  metrics_scope(const metrics_scope&) = delete;
  metrics_scope& operator=(const metrics_scope&) = delete;

 private:
  metrics* registry_;
  metrics_shard** slot_;
  std::optional<join_handle<void>> probe_;
};

}  // namespace eddy::http::detail
