// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace eddy::tools {

/// Settings of `eddy fetch`.
struct fetch_options {
  /// URLs from the command line.
  std::vector<std::string> urls;
  /// A file with more URLs, one per line (blank lines and `#` comments skipped); "-": stdin.
  std::string input_file;
  /// Requests in flight at most (also the connection limit).
  std::size_t concurrency = 10;
  /// Write each body to a file in this directory ("": do not keep bodies).
  std::string output_dir;
  /// Limit of one attempt, from the start to the last body byte (`client_timeouts::total`).
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  /// Extra attempts after a transient failure (see `run_fetch`).
  unsigned retries = 2;
  /// Method token ("GET" unless `data` is set, then "POST"); case-insensitive.
  std::string method;
  /// Extra header fields, "Name: value".
  std::vector<std::string> headers;
  /// The request body; "@FILE" reads it from FILE ("@-": stdin).
  std::optional<std::string> data;
  /// JSON lines on stdout instead of the table.
  bool json = false;
  /// Skip TLS certificate and host name verification.
  bool insecure = false;
  /// No progress bar or progress lines (failure messages are still printed).
  bool progress = true;
};

/// Fetches every URL with at most `concurrency` in flight, showing progress on stderr, then
/// prints the summary (or, with `json`, one JSON line per URL as each finishes) on stdout.
///
/// A fetch fails when no response arrives or its status is 400 or more. Transient failures
/// are retried up to `retries` times with exponential backoff (0.25 s, 0.5 s, ... at most 8 s,
/// with jitter): refused or timed-out connections always (nothing was sent), other network
/// errors and 408/429/5xx statuses only for idempotent methods. A bad URL, DNS failure, TLS
/// error or other 4xx is final.
///
/// Returns the exit status: 0 when every fetch succeeded, 1 when any failed, 2 for bad
/// options (no URL, unreadable input file, malformed header, unknown method).
int run_fetch(const fetch_options& options);

}  // namespace eddy::tools
