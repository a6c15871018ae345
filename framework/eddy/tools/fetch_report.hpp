// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <system_error>
#include <vector>

#include "eddy/core/task.hpp"
#include "eddy/http/url.hpp"

namespace eddy::tools {

/// What `eddy fetch` learnt about one URL.
struct fetch_outcome {
  /// The URL as given.
  std::string url;
  /// Position in the input (0-based).
  std::size_t index = 0;
  /// The final response's status; 0 when no response arrived.
  int status = 0;
  /// Its reason phrase.
  std::string reason;
  /// Where the response came from after redirects ("" without a response).
  std::string final_url;
  /// Body bytes received.
  std::uint64_t bytes = 0;
  /// Wall time from the first attempt's start to the end, retry waits included.
  std::chrono::duration<double> time{0};
  /// Attempts made (1 without retries).
  unsigned attempts = 0;
  /// The file the body was written to ("" without `-o`, or when the fetch failed).
  std::string file;
  /// Why the fetch failed, for people ("" on success).
  std::string error;

  /// A success: a response with a status below 400 and its whole body.
  bool ok() const noexcept { return error.empty(); }
};

/// A clear, one-line reason for a failed request to `u`: DNS, refused, timeout (which one),
/// TLS (OpenSSL's reason), a bad URL, a connection cut short.
std::string describe_failure(const std::error_code& ec, const http::url& u);

/// The outcome as one JSON object on one line (no newline): url, index, ok, status, reason,
/// final_url, bytes, seconds, attempts, file (or null) and error (or null).
std::string json_line(const fetch_outcome& o);

/// Prints the summary table (status, size, time, URL, then the file or the error), one row
/// per URL in input order, and a totals line.
void print_table(std::FILE* out, const std::vector<fetch_outcome>& outcomes, std::chrono::duration<double> wall);

/// "1.5 KiB", "3 B", "2.0 MiB".
std::string human_size(std::uint64_t bytes);

/// Live progress of a run on stderr. On a terminal: one bar redrawn in place by `tick_loop`
/// at 4 Hz at most. Otherwise: one plain line per finished URL. Failure messages
/// ("eddy fetch: URL: reason") go to stderr in every style, clearing the bar first.
class progress_reporter {
 public:
  /// How progress is shown.
  enum class style { bar, lines, none };

  /// `total` URLs; `style::bar` needs stderr to be a terminal (the caller decides).
  progress_reporter(std::size_t total, style s);

  /// Records a finished URL: prints its line (lines style) or its failure message.
  void finished(const fetch_outcome& o);
  /// Counts body bytes as they arrive (for the bar's transfer total).
  void received(std::size_t bytes) noexcept { bytes_ += bytes; }
  /// A note that is not a final result (a retry), printed like a failure message.
  void note(const std::string& message);

  /// Redraws the bar every 250 ms until cancelled (bar style; returns at once otherwise).
  task<void> tick_loop();
  /// Draws the bar one last time and ends its line (bar style).
  void close();
  /// Erases the bar (if drawn) so that other output can use the line; the next tick redraws it.
  void clear_line();

 private:
  void draw();

  std::size_t total_;
  style style_;
  std::size_t done_ = 0;
  std::size_t failed_ = 0;
  std::uint64_t bytes_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  bool drawn_ = false;
};

}  // namespace eddy::tools
