// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace eddy::tools {

/// What `eddy load` was asked to do: the command line, before any checking.
struct load_options {
  std::string url;
  unsigned connections = 10;
  unsigned threads = 1;
  /// How long to measure (after the warm-up). Ignored when `requests` is set.
  std::chrono::nanoseconds duration = std::chrono::seconds(10);
  /// Stop after this many requests in total (0: run for `duration`).
  std::uint64_t requests = 0;
  /// Constant request rate per second for the whole run (0: closed loop, as fast as possible).
  double rate = 0;
  /// Load applied before measuring starts; its requests are counted apart.
  std::chrono::nanoseconds warmup{0};
  std::string method = "GET";
  /// `Name: value` lines, in order.
  std::vector<std::string> headers;
  /// The body, or `@path` to read it from a file.
  std::string body;
  /// Requests written back to back per connection before reading the responses.
  unsigned pipeline = 1;
  /// A request without its response after this long counts as a timeout error and its
  /// connection is replaced. Also bounds each connect.
  std::chrono::milliseconds timeout = std::chrono::seconds(5);
  bool json = false;
  bool csv = false;
  bool progress = true;
  /// In `--rate` mode, measure latency from each request's intended send time.
  bool latency_correction = true;
  /// Search the highest constant rate whose corrected p99 stays within `p99_target`.
  bool max_rate_search = false;
  std::chrono::microseconds p99_target{0};
  /// A JSON scenario file (several requests with weights) instead of one request.
  std::string scenario;
  /// https: do not verify the server's certificate or name (self-signed test servers).
  bool insecure = false;
  /// https: trust the CA certificates in this PEM file instead of the system's store.
  std::string cacert;
};

/// Parses a duration such as `10s`, `500ms`, `250us`, `2m`, `1h` or a bare number of seconds
/// (`1.5`). Throws `std::invalid_argument` naming `what` for anything else or a negative value.
std::chrono::nanoseconds parse_duration(const std::string& text, const char* what);

}  // namespace eddy::tools
