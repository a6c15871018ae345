// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <eddy/core/task.hpp>
#include <eddy/net/address.hpp>
#include <eddy/net/tcp_stream.hpp>
#include <eddy/runtime/event_loop.hpp>

#include "load_plan.hpp"
#include "load_stats.hpp"
#include "load_transport.hpp"

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
  /// Closed loop: requests per batch. Rate mode: requests a connection may have in flight.
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
/// parses the responses with `http::parser`, validating their framing. In rate mode with
/// `pipeline > 1` a connection is two coroutines: one sends each request when it is due
/// (while fewer than `pipeline` are in flight), the other reads the responses. https
/// connections run their TLS handshake once, after connecting. The hot path does not
/// allocate: buffers, parser, TLS session and histograms are allocated when the connection
/// starts.
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
  /// After `join()`: the first connect error seen (empty if none), TLS handshake failures
  /// included.
  std::error_code first_connect_error() const noexcept { return first_connect_error_; }
  /// After `join()`: true if that first error ended a TLS handshake (the TCP connection
  /// itself succeeded).
  bool first_connect_error_in_handshake() const noexcept { return first_error_in_handshake_; }
  /// After `join()`: the TLS version and ALPN protocol of the first handshake ("" if none).
  const std::string& tls_protocol() const noexcept { return tls_protocol_; }
  const std::string& tls_alpn() const noexcept { return tls_alpn_; }
  /// After `join()`: when the last response completed (`time_point{}` if none).
  time_point last_response() const noexcept { return last_response_; }

 private:
  struct connection;
  /// What reading the responses in flight ended with.
  enum class answered { all, reconnect, stop };
  task<> main();
  task<> run_connection(connection& c);
  bool connect_failed(connection& c, std::error_code ec, bool in_handshake);
  task<bool> drive(connection& c, load_transport& io);
  task<bool> send_paced(connection& c, load_transport& io);
  task<bool> receive_paced(connection& c, load_transport& io);
  task<answered> receive(connection& c, load_transport& io);
  task<answered> finish_write(connection& c, load_transport& io, result<bool> sent);
  void complete(connection& c, int status) noexcept;
  void publish_live() noexcept;
  std::uint32_t next_kind(bool measured) noexcept;

  const load_setup& setup_;
  unsigned index_;
  std::vector<std::unique_ptr<connection>> connections_;
  std::uint64_t budget_ = 0;  // requests left to claim (-n mode)
  std::uint64_t picks_ = 0;         // measured requests this worker has taken from the order
  std::uint64_t warmup_picks_ = 0;  // and warm-up ones
  load_stats stats_;
  latency_histogram window_;
  bool stopping_ = false;
  bool unreachable_ = false;
  bool any_connected_ = false;
  unsigned first_failures_ = 0;
  std::error_code first_connect_error_;
  bool first_error_in_handshake_ = false;
  std::string tls_protocol_;
  std::string tls_alpn_;
  time_point last_response_{};
  std::thread thread_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> done_{false};
  std::atomic<std::uint64_t> live_requests_{0};
  std::atomic<std::uint64_t> live_errors_{0};
  std::atomic<std::uint64_t> live_p99_us_{0};
};

}  // namespace eddy::tools
