// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <vector>

namespace eddy::tools {

/// A latency histogram with HdrHistogram's layout: log-linear buckets that keep three
/// significant decimal digits over the whole range from 1 µs to 1 hour. Values are whole
/// microseconds. Values below 2048 µs are stored exactly; above, every value shares its bucket
/// only with values within 1/1024 of it. Recording is a few instructions and never allocates
/// (the 23,552 counters are allocated once, at construction). Not thread-safe: one histogram
/// per thread, merged at the end.
class latency_histogram {
 public:
  /// The smallest and largest trackable values (µs). Larger values are recorded as `highest`
  /// and counted in `saturated()`; 0 is recorded as `lowest`.
  static constexpr std::uint64_t lowest = 1;
  static constexpr std::uint64_t highest = 3'600'000'000;  // 1 h

  /// One non-empty bucket: every recorded value in [`low`, `high`] is counted here.
  struct bucket {
    std::uint64_t low = 0;
    std::uint64_t high = 0;
    std::uint64_t count = 0;
  };

  latency_histogram();

  /// Records `value_us`, `n` times.
  void record(std::uint64_t value_us, std::uint64_t n = 1) noexcept {
    if (value_us < lowest) value_us = lowest;
    if (value_us > highest) {
      value_us = highest;
      saturated_ += n;
    }
    counts_[index_of(value_us)] += n;
    total_ += n;
    if (value_us < min_) min_ = value_us;
    if (value_us > max_) max_ = value_us;
    sum_ += static_cast<double>(value_us) * static_cast<double>(n);
    sum_squares_ += static_cast<double>(value_us) * static_cast<double>(value_us) * static_cast<double>(n);
  }

  /// Adds every value recorded in `other`.
  void merge(const latency_histogram& other) noexcept;
  /// Forgets every value (keeps the counters' memory).
  void reset() noexcept;

  /// Number of values recorded.
  std::uint64_t count() const noexcept { return total_; }
  /// Values that were larger than `highest` (recorded as `highest`).
  std::uint64_t saturated() const noexcept { return saturated_; }
  /// Exact smallest and largest recorded values; 0 when empty.
  std::uint64_t min() const noexcept { return total_ ? min_ : 0; }
  std::uint64_t max() const noexcept { return max_; }
  /// Exact mean and (population) standard deviation of the recorded values; 0 when empty.
  double mean() const noexcept;
  double stddev() const noexcept;

  /// The value at `percentile` (0..100), nearest-rank: the smallest recorded value such that
  /// at least `percentile`% of the values are less than or equal to it, reported as the highest
  /// value of its bucket (exact below 2048 µs, within 0.1% above) and never above `max()`.
  /// 0 when empty.
  std::uint64_t value_at_percentile(double percentile) const noexcept;

  /// The non-empty buckets in increasing order (the full distribution).
  std::vector<bucket> distribution() const;

  /// The largest value that shares `value`'s bucket.
  static std::uint64_t highest_equivalent(std::uint64_t value) noexcept;
  /// The smallest value that shares `value`'s bucket.
  static std::uint64_t lowest_equivalent(std::uint64_t value) noexcept;

 private:
  // 3 significant digits: 2 * 10^3 values need single-unit resolution -> 2048 sub-buckets.
  static constexpr int sub_bucket_half_count_magnitude = 10;
  static constexpr std::uint64_t sub_bucket_half_count = 1u << sub_bucket_half_count_magnitude;
  static constexpr std::uint64_t sub_bucket_mask = 2 * sub_bucket_half_count - 1;

  static int bucket_of(std::uint64_t v) noexcept {
    return 64 - __builtin_clzll(v | sub_bucket_mask) - (sub_bucket_half_count_magnitude + 1);
  }
  static std::size_t index_of(std::uint64_t v) noexcept {
    const int b = bucket_of(v);
    const std::uint64_t sub = v >> b;
    return static_cast<std::size_t>(((static_cast<std::uint64_t>(b) + 1) << sub_bucket_half_count_magnitude) +
                                    (sub - sub_bucket_half_count));
  }
  static std::uint64_t value_at_index(std::size_t index) noexcept;

  std::vector<std::uint64_t> counts_;
  std::uint64_t total_ = 0;
  std::uint64_t saturated_ = 0;
  std::uint64_t min_ = ~std::uint64_t{0};
  std::uint64_t max_ = 0;
  double sum_ = 0;
  double sum_squares_ = 0;
};

}  // namespace eddy::tools
