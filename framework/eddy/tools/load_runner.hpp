// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <system_error>

#include "load_options.hpp"
#include "load_plan.hpp"
#include "load_stats.hpp"

namespace eddy::tools {

/// A snapshot for the live display, taken every 250 ms.
struct load_progress {
  double elapsed_s = 0;
  std::uint64_t requests = 0;    ///< responses so far, warm-up included
  double requests_per_s = 0;     ///< over the last 250 ms
  std::uint64_t p99_us = 0;      ///< over the last 250 ms (the worst thread's)
  std::uint64_t errors = 0;
  bool warming_up = false;
};

/// How one run went: the merged measurements and what was asked.
struct load_result {
  load_stats stats;
  /// The measured window: from the end of the warm-up to the last response (or to the
  /// interruption).
  double elapsed_s = 0;
  bool interrupted = false;
  /// The options the run used (rate, connections, ... as given).
  load_options options;
  /// Requests in the plan (1, or the scenario's).
  std::size_t plan_requests = 1;
  /// https: true, with the TLS version and ALPN protocol the first handshake agreed on.
  bool tls = false;
  std::string tls_protocol;
  std::string tls_alpn;

  double requests_per_s() const noexcept { return elapsed_s > 0 ? static_cast<double>(stats.requests) / elapsed_s : 0; }
};

/// What the caller of `run_load` may observe or control.
struct load_hooks {
  /// Called on the calling thread every 250 ms while the run lasts.
  std::function<void(const load_progress&)> on_progress;
  /// Watch SIGINT/SIGTERM while running: the first one stops the run early with a partial
  /// result (`interrupted`); a second one ends the process.
  bool handle_signals = false;
};

/// Thrown by `run_load` when not one connection could be made (https: not one TLS handshake
/// succeeded; the message then gives OpenSSL's reason), or the host does not resolve.
class load_unreachable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Runs one load test as `o` describes with `plan`'s requests: starts `o.threads` workers,
/// waits for the end (duration, request count, or a signal), and merges their measurements.
/// Blocks the calling thread, which must not run an event loop. Throws `load_unreachable`, or
/// `std::invalid_argument` for options that do not fit together.
load_result run_load(const load_options& o, const load_plan& plan, const load_hooks& hooks = {});

/// Checks `o` for combinations that cannot run (before any connection is made). Throws
/// `std::invalid_argument` naming the problem.
void check_load_options(const load_options& o);

}  // namespace eddy::tools
