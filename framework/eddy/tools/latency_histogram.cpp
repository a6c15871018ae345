// SPDX-License-Identifier: MIT
#include "latency_histogram.hpp"

#include <algorithm>
#include <cmath>

namespace eddy::tools {
namespace {

// Buckets needed so that the last one reaches `highest`: bucket b covers sub-bucket values
// shifted left by b, the top one up to 2048 << b.
constexpr int bucket_count() {
  int b = 0;
  std::uint64_t limit = 2048;
  while (limit <= latency_histogram::highest) {
    limit <<= 1;
    ++b;
  }
  return b + 1;
}

}  // namespace

latency_histogram::latency_histogram()
    : counts_(static_cast<std::size_t>(bucket_count() + 1) * sub_bucket_half_count, 0) {}

std::uint64_t latency_histogram::value_at_index(std::size_t index) noexcept {
  int b = static_cast<int>(index >> sub_bucket_half_count_magnitude) - 1;
  std::uint64_t sub = (index & (sub_bucket_half_count - 1)) + sub_bucket_half_count;
  if (b < 0) {
    sub -= sub_bucket_half_count;
    b = 0;
  }
  return sub << b;
}

std::uint64_t latency_histogram::lowest_equivalent(std::uint64_t value) noexcept {
  const int b = bucket_of(value);
  return (value >> b) << b;
}

std::uint64_t latency_histogram::highest_equivalent(std::uint64_t value) noexcept {
  const int b = bucket_of(value);
  return lowest_equivalent(value) + (std::uint64_t{1} << b) - 1;
}

void latency_histogram::merge(const latency_histogram& other) noexcept {
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  total_ += other.total_;
  saturated_ += other.saturated_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
  sum_squares_ += other.sum_squares_;
}

void latency_histogram::reset() noexcept {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_ = saturated_ = max_ = 0;
  min_ = ~std::uint64_t{0};
  sum_ = sum_squares_ = 0;
}

double latency_histogram::mean() const noexcept {
  return total_ ? sum_ / static_cast<double>(total_) : 0.0;
}

double latency_histogram::stddev() const noexcept {
  if (total_ == 0) return 0.0;
  const double m = mean();
  const double var = sum_squares_ / static_cast<double>(total_) - m * m;
  return var > 0 ? std::sqrt(var) : 0.0;
}

std::uint64_t latency_histogram::value_at_percentile(double percentile) const noexcept {
  if (total_ == 0) return 0;
  percentile = std::clamp(percentile, 0.0, 100.0);
  // Nearest rank: ceil(p/100 * N), at least 1. The small epsilon keeps 99.9% of 1000 at rank
  // 999 despite binary rounding of the product.
  auto rank = static_cast<std::uint64_t>(std::ceil(percentile / 100.0 * static_cast<double>(total_) - 1e-9));
  rank = std::clamp<std::uint64_t>(rank, 1, total_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(highest_equivalent(value_at_index(i)), max_);
  }
  return max_;
}

std::vector<latency_histogram::bucket> latency_histogram::distribution() const {
  std::vector<bucket> out;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    const std::uint64_t v = value_at_index(i);
    out.push_back({v, highest_equivalent(v), counts_[i]});
  }
  return out;
}

}  // namespace eddy::tools
