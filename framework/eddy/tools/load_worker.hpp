// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <system_error>
#include <thread>
#include <vector>

#include <eddy/core/task.hpp>
#include <eddy/net/address.hpp>
#include <eddy/net/tcp_stream.hpp>
#include <eddy/runtime/event_loop.hpp>

#include "load_plan.hpp"
#include "load_stats.hpp"

namespace eddy::tools {

/// The parameters every thread of one load run shares (read-only while it runs).
struct load_setup {
  const load_plan* plan = nullptr;
  address target;
  unsigned threads = 1;
  /// Connections in total, spread evenly over the threads.
  unsigned connections = 1;
  /// Requests in total (0: until `end`), spread evenly over the threads.
  std::uint64_t requests = 0;
  /// Requests per second in total (0: closed loop). Request m of the run is due at
  /// `start + m / rate`; connection g sends requests g, g + C, g + 2C, ...
  double rate = 0;
  unsigned pipeline = 1;
  std::chrono::milliseconds timeout{5000};
  /// Rate mode: `stats.latency` counts from the intended send time (else from the actual).
  bool correction = true;
  /// Keep a 250 ms window histogram for the live display.
  bool live = false;
  time_point start{};
  /// Requests sent (or due) before this are the warm-up: answered, but not measured.
  time_point measure_from{};
  /// No request is sent (or due) at or after this.
  time_point end = time_point::max();
};

/// One thread of a load run: its own event loop and its share of the connections, each
/// connection a coroutine that writes pre-serialised requests (a batch of `pipeline`) and
/// parses the responses with `http::parser`, validating their framing. The hot path does not
/// allocate: buffers, parser and histograms are allocated when the connection starts.
///
/// Everything except the `live_*` readers, `stop()` and `done()` is for the owning thread
/// until `join()` returns.
class load_worker {
 public:
  /// Worker `index` (0-based) of `setup.threads`.
  load_worker(const load_setup& setup, unsigned index);
  ~load_worker();
  load_worker(const load_worker&) = delete;
  load_worker& operator=(const load_worker&) = delete;

  /// Starts the thread.
  void start();
  /// Asks the worker to stop now (within 50 ms), abandoning requests in flight. Any thread.
  void stop() noexcept { stop_requested_.store(true, std::memory_order_relaxed); }
  /// True once the worker's loop has finished. Any thread.
  bool done() const noexcept { return done_.load(std::memory_order_acquire); }
  /// Waits for the thread.
  void join();

  /// For the live display, updated every 250 ms: responses so far (warm-up included), errors
  /// so far, and the p99 latency (µs) of the last 250 ms. Any thread.
  std::uint64_t live_requests() const noexcept { return live_requests_.load(std::memory_order_relaxed); }
  std::uint64_t live_errors() const noexcept { return live_errors_.load(std::memory_order_relaxed); }
  std::uint64_t live_p99_us() const noexcept { return live_p99_us_.load(std::memory_order_relaxed); }

  /// After `join()`: what was measured.
  const load_stats& stats() const noexcept { return stats_; }
  /// After `join()`: true if no connection of this worker ever connected and every one failed.
  bool unreachable() const noexcept { return unreachable_; }
  /// After `join()`: the first connect error seen (empty if none).
  std::error_code first_connect_error() const noexcept { return first_connect_error_; }
  /// After `join()`: when the last response completed (`time_point{}` if none).
  time_point last_response() const noexcept { return last_response_; }

 private:
  struct connection;
  task<> main();
  task<> run_connection(connection& c);
  task<bool> drive(connection& c, tcp_stream& s);
  void complete(connection& c, int status) noexcept;
  void publish_live() noexcept;

  const load_setup& setup_;
  unsigned index_;
  std::vector<std::unique_ptr<connection>> connections_;
  std::uint64_t budget_ = 0;  // requests left to claim (-n mode)
  load_stats stats_;
  latency_histogram window_;
  bool stopping_ = false;
  bool unreachable_ = false;
  bool any_connected_ = false;
  unsigned first_failures_ = 0;
  std::error_code first_connect_error_;
  time_point last_response_{};
  std::thread thread_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> done_{false};
  std::atomic<std::uint64_t> live_requests_{0};
  std::atomic<std::uint64_t> live_errors_{0};
  std::atomic<std::uint64_t> live_p99_us_{0};
};

}  // namespace eddy::tools
