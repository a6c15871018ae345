// SPDX-License-Identifier: MIT
#include "eddy/tools/latency_histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

using eddy::tools::latency_histogram;

namespace {

// Nearest-rank percentile of a sample: the smallest value with at least p% of the values at
// or below it.
std::uint64_t exact_percentile(std::vector<std::uint64_t> v, double p) {
  std::sort(v.begin(), v.end());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size()) - 1e-9));
  rank = std::clamp<std::size_t>(rank, 1, v.size());
  return v[rank - 1];
}

const double percentiles[] = {0, 1, 25, 50, 75, 90, 99, 99.9, 99.99, 100};

TEST(LatencyHistogram, ValuesBelow2048AreExact) {
  latency_histogram h;
  std::vector<std::uint64_t> sample;
  for (std::uint64_t v = 1; v <= 2047; ++v) {
    for (std::uint64_t k = 0; k < v % 7 + 1; ++k) sample.push_back(v);
  }
  for (auto v : sample) h.record(v);
  for (double p : percentiles) EXPECT_EQ(h.value_at_percentile(p), exact_percentile(sample, p)) << p;
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 2047u);
  EXPECT_EQ(h.count(), sample.size());
}

TEST(LatencyHistogram, KnownSampleGivesTheExactPercentilesOfAHundredValues) {
  latency_histogram h;
  for (std::uint64_t v = 1; v <= 100; ++v) h.record(v * 10);
  EXPECT_EQ(h.value_at_percentile(50), 500u);
  EXPECT_EQ(h.value_at_percentile(75), 750u);
  EXPECT_EQ(h.value_at_percentile(90), 900u);
  EXPECT_EQ(h.value_at_percentile(99), 990u);
  EXPECT_EQ(h.value_at_percentile(99.9), 1000u);
  EXPECT_EQ(h.value_at_percentile(100), 1000u);
  EXPECT_DOUBLE_EQ(h.mean(), 505.0);
}

TEST(LatencyHistogram, LargeValuesKeepThreeSignificantDigits) {
  std::mt19937_64 rng(42);
  // Log-uniform from 1 µs to 1 h: every bucket size is exercised.
  std::uniform_real_distribution<double> exponent(0.0, std::log(3.6e9));
  std::vector<std::uint64_t> sample;
  latency_histogram h;
  for (int i = 0; i < 200000; ++i) {
    auto v = static_cast<std::uint64_t>(std::exp(exponent(rng)));
    v = std::max<std::uint64_t>(v, 1);
    sample.push_back(v);
    h.record(v);
  }
  for (double p : percentiles) {
    const auto exact = exact_percentile(sample, p);
    const auto got = h.value_at_percentile(p);
    // Reported as the top of the exact value's bucket: never below it, within 1/1024 above.
    EXPECT_GE(got, exact) << p;
    EXPECT_LE(static_cast<double>(got - exact), static_cast<double>(exact) / 1024.0 + 1) << p;
  }
  EXPECT_EQ(h.max(), *std::max_element(sample.begin(), sample.end()));
}

TEST(LatencyHistogram, BucketsShareOnlyValuesWithinOnePartInAThousand) {
  for (std::uint64_t v : {std::uint64_t{1}, std::uint64_t{2047}, std::uint64_t{2048}, std::uint64_t{5000},
                          std::uint64_t{123456}, std::uint64_t{999999999}, latency_histogram::highest}) {
    const auto lo = latency_histogram::lowest_equivalent(v);
    const auto hi = latency_histogram::highest_equivalent(v);
    EXPECT_LE(lo, v);
    EXPECT_GE(hi, v);
    EXPECT_LE(static_cast<double>(hi - lo), static_cast<double>(v) / 1000.0) << v;
  }
  EXPECT_EQ(latency_histogram::highest_equivalent(5000), 5003u);
}

TEST(LatencyHistogram, MergeEqualsRecordingEverythingInOne) {
  latency_histogram a, b, all;
  for (std::uint64_t v = 1; v < 50000; v += 7) {
    (v % 3 ? a : b).record(v);
    all.record(v);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (double p : percentiles) EXPECT_EQ(a.value_at_percentile(p), all.value_at_percentile(p)) << p;
  EXPECT_EQ(a.distribution().size(), all.distribution().size());
}

TEST(LatencyHistogram, DistributionCoversEveryValueOnce) {
  latency_histogram h;
  h.record(3, 4);
  h.record(3000);
  h.record(3001);
  const auto d = h.distribution();
  ASSERT_EQ(d.size(), 2u);  // 3000 and 3001 share a bucket of width 2
  EXPECT_EQ(d[0].low, 3u);
  EXPECT_EQ(d[0].high, 3u);
  EXPECT_EQ(d[0].count, 4u);
  EXPECT_EQ(d[1].low, 3000u);
  EXPECT_EQ(d[1].high, 3001u);
  EXPECT_EQ(d[1].count, 2u);
}

TEST(LatencyHistogram, OutOfRangeValuesAreClampedAndCounted) {
  latency_histogram h;
  h.record(0);
  h.record(latency_histogram::highest * 10);
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.min(), latency_histogram::lowest);
  EXPECT_EQ(h.max(), latency_histogram::highest);
  EXPECT_EQ(h.saturated(), 1u);
  EXPECT_EQ(h.value_at_percentile(100), latency_histogram::highest);
}

TEST(LatencyHistogram, EmptyAndResetHistogramsReportZero) {
  latency_histogram h;
  EXPECT_EQ(h.value_at_percentile(99), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
  h.record(77);
  h.reset();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.value_at_percentile(50), 0u);
  EXPECT_TRUE(h.distribution().empty());
}

}  // namespace
