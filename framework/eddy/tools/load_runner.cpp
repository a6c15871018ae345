// SPDX-License-Identifier: MIT
#include "load_runner.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <vector>

#include <eddy/net/resolver.hpp>
#include <eddy/runtime/run.hpp>
#include <eddy/runtime/signals.hpp>
#include <eddy/runtime/sleep.hpp>
#include <eddy/runtime/spawn.hpp>

#include "load_worker.hpp"

namespace eddy::tools {
namespace {

using namespace std::chrono_literals;

void raise_descriptor_limit() {
  // Thousands of connections need more descriptors than the usual soft limit of 1024.
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &lim);
  }
}

double seconds(duration d) { return std::chrono::duration<double>(d).count(); }

task<load_result> supervise(const load_options& o, const load_plan& plan, const load_hooks& hooks) {
  auto resolved = co_await resolver::resolve(plan.host, plan.port);
  if (!resolved || resolved->empty()) {
    throw load_unreachable("cannot resolve '" + plan.host + "': " +
                           (resolved ? std::string("no address") : resolved.error().message()));
  }
  std::optional<signals> sig;
  std::optional<join_handle<void>> watcher;
  std::atomic<bool> interrupted{false};
  std::vector<std::unique_ptr<load_worker>> workers;
  if (hooks.handle_signals) {
    sig.emplace(std::initializer_list<int>{SIGINT, SIGTERM});
    watcher = spawn([](signals& s, std::atomic<bool>& flag, std::vector<std::unique_ptr<load_worker>>& ws) -> task<> {
      const int first = co_await s.wait();
      flag = true;
      for (auto& w : ws) w->stop();
      std::fprintf(stderr, "\neddy load: signal %d: stopping (again to quit at once)\n", first);
      // A copy of the same signal right after the first is not a second Ctrl-C: timeout(1)
      // sends its signal to the child and then to the whole process group, and a shell may
      // forward one too. Only a signal a moment later means "quit now, no report".
      const time_point first_at = steady_clock::now();
      for (;;) {
        const int again = co_await s.wait();
        if (again != first || steady_clock::now() - first_at >= 500ms) std::_Exit(128 + again);
      }
    }(*sig, interrupted, workers));
  }

  load_setup setup;
  setup.plan = &plan;
  setup.target = resolved->front();
  setup.threads = o.threads;
  setup.connections = o.connections;
  setup.requests = o.requests;
  setup.rate = o.rate;
  setup.pipeline = o.pipeline;
  setup.timeout = o.timeout;
  setup.correction = o.latency_correction;
  setup.live = static_cast<bool>(hooks.on_progress);
  // A little time to start the threads before the first request is due (rate mode).
  setup.start = steady_clock::now() + 10ms;
  setup.measure_from = setup.start + std::chrono::duration_cast<duration>(o.warmup);
  setup.end = o.requests != 0 ? time_point::max() : setup.measure_from + std::chrono::duration_cast<duration>(o.duration);

  for (unsigned i = 0; i < o.threads; ++i) workers.push_back(std::make_unique<load_worker>(setup, i));
  for (auto& w : workers) w->start();

  std::uint64_t last_requests = 0;
  time_point last_tick = steady_clock::now();
  for (int n = 1;; ++n) {
    co_await sleep_for(50ms);
    const bool all_done = std::all_of(workers.begin(), workers.end(), [](const auto& w) { return w->done(); });
    if (hooks.on_progress && n % 5 == 0 && !all_done) {
      const time_point now = steady_clock::now();
      load_progress p;
      p.elapsed_s = seconds(now - setup.start);
      p.warming_up = now < setup.measure_from;
      for (auto& w : workers) {
        p.requests += w->live_requests();
        p.errors += w->live_errors();
        p.p99_us = std::max(p.p99_us, w->live_p99_us());
      }
      const double dt = seconds(now - last_tick);
      p.requests_per_s = dt > 0 ? static_cast<double>(p.requests - last_requests) / dt : 0;
      last_requests = p.requests;
      last_tick = now;
      hooks.on_progress(p);
    }
    if (all_done) break;
  }
  const time_point stopped = steady_clock::now();
  for (auto& w : workers) w->join();
  if (watcher) watcher->cancel();

  load_result r;
  r.options = o;
  r.plan_requests = plan.requests.size();
  r.interrupted = interrupted;
  r.tls = plan.tls.has_value();
  time_point last{};
  bool unreachable = true;
  std::error_code first_error;
  bool in_handshake = false;
  for (auto& w : workers) {
    r.stats.merge(w->stats());
    last = std::max(last, w->last_response());
    unreachable = unreachable && w->unreachable();
    if (!first_error) {
      first_error = w->first_connect_error();
      in_handshake = w->first_connect_error_in_handshake();
    }
    if (r.tls_protocol.empty()) {
      r.tls_protocol = w->tls_protocol();
      r.tls_alpn = w->tls_alpn();
    }
  }
  if (unreachable) {
    const std::string cause = first_error ? first_error.message() : std::string("no connection");
    if (in_handshake) {
      std::string hint;
      if (cause.find("certificate verify failed") != std::string::npos) {
        hint = " (--cacert FILE trusts its CA; -k/--insecure skips verification)";
      }
      throw load_unreachable("TLS handshake with " + setup.target.to_string() + " failed: " + cause + hint);
    }
    throw load_unreachable("cannot connect to " + setup.target.to_string() + ": " + cause);
  }
  // The window is the nominal duration (the answers to the last requests, which arrive after
  // the deadline, are counted but do not stretch it: one straggler would skew the rate); a
  // count-limited run ends with its last response, an interrupted one when it was stopped.
  time_point window_end = o.requests != 0 ? last : setup.end;
  if (r.interrupted) window_end = std::min(stopped, window_end == time_point{} ? stopped : window_end);
  r.elapsed_s = std::max(0.0, seconds(window_end - setup.measure_from));
  co_return r;
}

}  // namespace

void check_load_options(const load_options& o) {
  if (o.connections == 0) throw std::invalid_argument("-c/--connections must be at least 1");
  if (o.threads == 0) throw std::invalid_argument("-t/--threads must be at least 1");
  if (o.connections < o.threads) {
    throw std::invalid_argument("-c/--connections (" + std::to_string(o.connections) +
                                ") must be at least -t/--threads (" + std::to_string(o.threads) + ")");
  }
  if (o.pipeline == 0 || o.pipeline > 1024) throw std::invalid_argument("--pipeline must be from 1 to 1024");
  if (o.rate < 0) throw std::invalid_argument("--rate must not be negative");
  if (o.requests == 0 && o.duration <= std::chrono::nanoseconds::zero()) {
    throw std::invalid_argument("-d/--duration must be positive (or give -n)");
  }
  if (o.timeout <= std::chrono::milliseconds::zero()) throw std::invalid_argument("--timeout must be positive");
  if (o.max_rate_search && o.p99_target <= std::chrono::microseconds::zero()) {
    throw std::invalid_argument("--max-rate-search needs --p99 TARGET (for example --p99 10ms)");
  }
  if (o.max_rate_search && (o.rate > 0 || o.requests != 0)) {
    throw std::invalid_argument("--max-rate-search chooses the rate itself: drop --rate and -n");
  }
}

load_result run_load(const load_options& o, const load_plan& plan, const load_hooks& hooks) {
  check_load_options(o);
  raise_descriptor_limit();
  return eddy::run(supervise(o, plan, hooks), {.cancel_on_sigint = false});
}

}  // namespace eddy::tools
