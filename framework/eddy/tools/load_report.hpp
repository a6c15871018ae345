// SPDX-License-Identifier: MIT
#pragma once

#include <string>

#include <eddy/http/json.hpp>

#include "latency_histogram.hpp"
#include "load_runner.hpp"

namespace eddy::tools {

/// The percentiles every report lists, in order.
inline constexpr double load_percentiles[] = {50, 75, 90, 99, 99.9, 99.99};

/// A human summary of `r` (several lines, wrk-like), ending with a newline.
std::string load_text_report(const load_result& r);

/// The machine-readable report (schema `eddy.load/1`, documented in README "Load testing").
http::json load_json_report(const load_result& r);

/// The JSON form of one histogram: count, min, mean, stddev, max, the percentiles as
/// "p50" ... "p99.99" (µs), and `distribution`: [[low_us, high_us, count], ...].
http::json histogram_json(const latency_histogram& h);

/// A CSV header line and one data line (latencies in µs), each ending with a newline.
std::string load_csv_report(const load_result& r);

/// `v` µs as "850us", "12.34ms" or "1.50s".
std::string format_micros(double v);

}  // namespace eddy::tools
