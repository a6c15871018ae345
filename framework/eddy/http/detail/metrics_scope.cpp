// SPDX-License-Identifier: MIT
#include "eddy/http/detail/metrics_scope.hpp"

#include "eddy/http/metrics.hpp"
#include "eddy/runtime/sleep.hpp"

namespace eddy::http::detail {
namespace {

// Sleeps for a fixed interval and records how much later than asked the loop woke it: the
// time the loop spent on other work (a handler hogging the thread shows up here).
task<void> probe_loop_lag(metrics_shard& shard, std::chrono::milliseconds interval) {
  for (;;) {
    const auto before = std::chrono::steady_clock::now();
    co_await sleep_for(interval);
    shard.loop_lag(std::chrono::steady_clock::now() - before - interval);
  }
}

}  // namespace

metrics_scope::metrics_scope(metrics* registry, metrics_shard*& slot) : registry_(registry), slot_(&slot) {
  if (!registry_) return;
  metrics_shard& shard = registry_->acquire();
  slot = &shard;
  probe_.emplace(spawn(probe_loop_lag(shard, lag_interval)));
}

metrics_scope::~metrics_scope() {
  if (!registry_) return;
  if (probe_) probe_->cancel();  // it finishes on the loop's next turn; the shard outlives it
  registry_->release(**slot_);
  *slot_ = nullptr;
}

}  // namespace eddy::http::detail
