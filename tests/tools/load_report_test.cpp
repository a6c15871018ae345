// SPDX-License-Identifier: MIT
#include "eddy/tools/load_report.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

using namespace eddy::tools;
using eddy::http::json;

namespace {

load_result sample(double rate) {
  load_result r;
  r.options.url = "http://127.0.0.1:8080/x";
  r.options.connections = 4;
  r.options.rate = rate;
  r.elapsed_s = 2.0;
  r.stats.requests = 1000;
  r.stats.status[200] = 990;
  r.stats.status[503] = 10;
  r.stats.count(load_error::timeout, 3);
  r.stats.bytes_in = 4000;
  for (std::uint64_t v = 1; v <= 1000; ++v) {
    r.stats.latency.record(v * 100);
    r.stats.uncorrected.record(v);
  }
  return r;
}

TEST(LoadReport, RateModeShowsCorrectedAndUncorrectedSideBySide) {
  const std::string text = load_text_report(sample(500));
  EXPECT_NE(text.find("corrected"), std::string::npos) << text;
  EXPECT_NE(text.find("uncorrected"), std::string::npos) << text;
  EXPECT_NE(text.find("target 500.0/s, achieved 500.0/s"), std::string::npos) << text;
  EXPECT_NE(text.find("503: 10"), std::string::npos) << text;
  EXPECT_NE(text.find("non-2xx: 10"), std::string::npos) << text;
  EXPECT_NE(text.find("timeout 3"), std::string::npos) << text;
  const std::string closed = load_text_report(sample(0));
  EXPECT_EQ(closed.find("uncorrected"), std::string::npos) << closed;
  EXPECT_NE(closed.find("closed loop"), std::string::npos) << closed;
}

TEST(LoadReport, JsonCarriesBothHistogramsAndTheCounts) {
  const json doc = load_json_report(sample(500));
  EXPECT_EQ(doc.find("schema")->as_string(), "eddy.load/1");
  EXPECT_EQ(doc.find("mode")->as_string(), "rate");
  EXPECT_EQ(doc.find("requests")->as_int(), 1000);
  EXPECT_DOUBLE_EQ(doc.find("requests_per_s")->as_double(), 500.0);
  EXPECT_EQ(doc.find("non_2xx")->as_int(), 10);
  EXPECT_EQ(doc.find("status")->find("503")->as_int(), 10);
  EXPECT_EQ(doc.find("errors")->find("timeout")->as_int(), 3);
  EXPECT_EQ(doc.find("latency_us")->find("p99")->as_int(), 99007);  // top of 99000's bucket
  EXPECT_EQ(doc.find("latency_uncorrected_us")->find("p99")->as_int(), 990);
  EXPECT_EQ(doc.find("latency_us")->find("p99.9")->as_int(), 99903);
  std::int64_t total = 0;
  for (const json& b : doc.find("latency_us")->find("distribution")->as_array()) total += b.as_array()[2].as_int();
  EXPECT_EQ(total, 1000);
  // The dump parses back (simdjson).
  const json back = json::parse(doc.dump());
  EXPECT_EQ(back.find("latency_us")->find("distribution")->as_array().size(),
            doc.find("latency_us")->find("distribution")->as_array().size());
  EXPECT_EQ(back.find("requests")->as_int(), 1000);
}

TEST(LoadReport, CsvHasAsManyValuesAsColumnsAndQuotesTheUrl) {
  load_result r = sample(0);
  r.options.url = "http://h/a,b";
  const std::string csv = load_csv_report(r);
  const auto nl = csv.find('\n');
  const std::string head = csv.substr(0, nl), row = csv.substr(nl + 1);
  EXPECT_EQ(row.rfind("\"http://h/a,b\",closed,", 0), 0u) << row;
  // One comma inside the quoted URL.
  EXPECT_EQ(std::count(head.begin(), head.end(), ','), std::count(row.begin(), row.end(), ',') - 1);
}

TEST(LoadReport, MicrosecondsAreFormattedWithTheirUnit) {
  EXPECT_EQ(format_micros(850), "850us");
  EXPECT_EQ(format_micros(12340), "12.34ms");
  EXPECT_EQ(format_micros(1.5e6), "1.50s");
}

}  // namespace
