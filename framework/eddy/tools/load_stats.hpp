// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "latency_histogram.hpp"

namespace eddy::tools {

/// The kinds of socket-level failure `eddy load` counts.
enum class load_error : std::size_t {
  connect,   ///< a connection attempt failed (refused, unreachable, timed out)
  read,      ///< reading failed, or the server closed with requests unanswered
  write,     ///< writing a request failed
  timeout,   ///< a request had no complete response within --timeout
  reset,     ///< the connection was reset (ECONNRESET, EPIPE)
  protocol,  ///< the response was not valid HTTP/1.1 (framing, syntax) or was unasked for
};
inline constexpr std::size_t load_error_kinds = 6;
/// The name used in reports ("connect", "read", ...).
const char* load_error_name(load_error e) noexcept;

/// What one thread measured; merged across threads for the report. Only responses completed
/// inside the measured window (after the warm-up) are counted in `requests`, `status`, bytes
/// and the histograms.
struct load_stats {
  std::uint64_t requests = 0;         ///< complete, valid responses
  std::uint64_t warmup_requests = 0;  ///< responses completed during the warm-up
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t connects = 0;  ///< successful connections (including replacements; https: handshakes)
  /// Responses by status code (index 0 holds codes outside 100..999).
  std::array<std::uint64_t, 1000> status{};
  std::array<std::uint64_t, load_error_kinds> errors{};
  /// Latency from the moment each request was (closed loop) sent or (rate mode, with
  /// correction) due to be sent, to its complete response.
  latency_histogram latency;
  /// Rate mode only: latency from the actual send.
  latency_histogram uncorrected;
  /// https: how long each successful TLS handshake took, from the TCP connection to the
  /// session (every handshake of the run, the warm-up's included). Not part of `latency`.
  latency_histogram handshake;

  void count(load_error e, std::uint64_t n = 1) noexcept { errors[static_cast<std::size_t>(e)] += n; }
  std::uint64_t error_total() const noexcept;
  /// Responses whose status is not 2xx.
  std::uint64_t non_2xx() const noexcept;
  void merge(const load_stats& o) noexcept;
};

}  // namespace eddy::tools
