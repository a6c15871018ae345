// SPDX-License-Identifier: MIT
// eddy-test-labels: threads
// /metrics over a real connection, parsed as the Prometheus text exposition format (every
// sample belongs to a family with a TYPE, label syntax, histogram invariants); counters must
// increase as requests are made, and the gauges must see requests and connections that are
// open at the moment of the scrape.
#include "eddy/http/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <regex>
#include <sstream>

#include "eddy/runtime/event.hpp"
#include "http/server_fixture.hpp"

namespace {

struct sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct exposition {
  std::map<std::string, std::string> types;  // family -> counter/gauge/histogram
  std::vector<sample> samples;
  std::string error;  // empty when the text is valid

  double value(const std::string& name, const std::map<std::string, std::string>& labels = {}) const {
    for (const auto& s : samples)
      if (s.name == name && s.labels == labels) return s.value;
    return -1;
  }
};

// The family a sample belongs to: histograms add _bucket/_sum/_count to their name.
std::string family_of(const std::string& name, const std::map<std::string, std::string>& types) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    std::string s = suffix;
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      std::string base = name.substr(0, name.size() - s.size());
      auto t = types.find(base);
      if (t != types.end() && t->second == "histogram") return base;
    }
  }
  return name;
}

exposition parse(const std::string& text) {
  exposition e;
  static const std::regex type_line(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))");
  static const std::regex sample_line(R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+))");
  static const std::regex label(R"(([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)\"(,|$))");
  std::istringstream in(text);
  std::string line;
  int n = 0;
  if (text.empty() || text.back() != '\n') e.error = "text does not end with a newline";
  while (std::getline(in, line)) {
    ++n;
    std::smatch m;
    if (line.empty()) continue;
    if (line.rfind("# HELP ", 0) == 0) continue;
    if (line.rfind("# TYPE ", 0) == 0) {
      if (!std::regex_match(line, m, type_line)) e.error = "bad TYPE line " + std::to_string(n) + ": " + line;
      else if (!e.types.emplace(m[1], m[2]).second) e.error = "duplicate TYPE for " + std::string(m[1]);
      continue;
    }
    if (line[0] == '#') continue;
    if (!std::regex_match(line, m, sample_line)) {
      e.error = "bad sample line " + std::to_string(n) + ": " + line;
      continue;
    }
    sample s;
    s.name = m[1];
    std::string labels = m[3];
    std::size_t covered = 0;  // the label pairs must cover the braces exactly
    for (auto it = std::sregex_iterator(labels.begin(), labels.end(), label); it != std::sregex_iterator(); ++it) {
      if (static_cast<std::size_t>(it->position()) != covered) break;
      covered += static_cast<std::size_t>(it->length());
      s.labels[(*it)[1]] = (*it)[2];
    }
    if (covered != labels.size()) e.error = "bad labels on line " + std::to_string(n) + ": " + line;
    std::string value = m[4];
    s.value = value == "+Inf" ? INFINITY : std::strtod(value.c_str(), nullptr);
    if (!e.types.count(family_of(s.name, e.types))) e.error = "sample before its TYPE: " + line;
    e.samples.push_back(std::move(s));
  }
  // Histograms: cumulative buckets ending in +Inf, which equals _count.
  for (const auto& [name, type] : e.types) {
    if (type != "histogram") continue;
    std::map<std::string, std::vector<std::pair<double, double>>> by_route;
    for (const auto& s : e.samples)
      if (s.name == name + "_bucket") by_route[s.labels.at("route")].emplace_back(
          s.labels.at("le") == "+Inf" ? INFINITY : std::stod(s.labels.at("le")), s.value);
    for (const auto& [route, buckets] : by_route) {
      for (std::size_t i = 1; i < buckets.size(); ++i)
        if (buckets[i].first <= buckets[i - 1].first || buckets[i].second < buckets[i - 1].second)
          e.error = name + " buckets of " + route + " are not cumulative";
      if (buckets.empty() || buckets.back().first != INFINITY) e.error = name + " of " + route + " has no +Inf bucket";
      else if (buckets.back().second != e.value(name + "_count", {{"route", route}}))
        e.error = name + " of " + route + ": +Inf bucket != _count";
    }
  }
  return e;
}

// The one event the /hold handler waits for; /release sets it (both on the server's loop).
eddy::event* held = nullptr;

void metric_routes(http::app& app) {
  app.expose_metrics();
  app.health_checks();
  app.get("/users/<id:int>", [](request& req) -> task<response> {
    co_return response::text("user " + req.param<std::string>("id"));
  });
  app.post("/users", [](request&) -> task<response> { throw http::error(422, "no"); });
  app.get("/hold", [](request&) -> task<response> {
    eddy::event ev;
    held = &ev;
    co_await ev.wait();
    held = nullptr;
    co_return response::text("released");
  });
  app.get("/release", [](request&) -> task<response> {
    if (!held) throw http::error(409, "nothing held");
    held->set();
    co_return response::text("ok");
  });
}

exposition scrape(client& c) {
  auto r = c.roundtrip(get("/metrics"));
  if (!r) return {{}, {}, "no response"};
  if (r->status != 200) return {{}, {}, "status " + std::to_string(r->status)};
  if (r->header("content-type").value_or("").rfind("text/plain; version=0.0.4", 0) != 0)
    return {{}, {}, "content type " + r->header("content-type").value_or("")};
  return parse(r->body);
}

using labels = std::map<std::string, std::string>;

double requests(const exposition& e, const std::string& route, const std::string& method, const std::string& status) {
  double v = e.value("eddy_http_requests_total", {{"route", route}, {"method", method}, {"status", status}});
  return v < 0 ? 0 : v;
}

TEST(Metrics, ScrapeIsValidPrometheusTextWithEveryFamily) {
  test_server server(metric_routes);
  client c(server.port());
  auto e = scrape(c);
  ASSERT_EQ(e.error, "");
  EXPECT_EQ(e.types["eddy_http_requests_total"], "counter");
  EXPECT_EQ(e.types["eddy_http_request_duration_seconds"], "histogram");
  EXPECT_EQ(e.types["eddy_http_requests_in_flight"], "gauge");
  EXPECT_EQ(e.types["eddy_http_open_connections"], "gauge");
  EXPECT_EQ(e.types["eddy_event_loop_lag_seconds"], "gauge");
  EXPECT_GE(e.value("eddy_event_loop_lag_seconds", {{"worker", "0"}}), 0);
  EXPECT_EQ(e.value("eddy_ready"), 1);
}

TEST(Metrics, CountersIncreaseByRoutePatternMethodAndStatus) {
  test_server server(metric_routes);
  client c(server.port());
  auto before = scrape(c);
  ASSERT_EQ(before.error, "");
  for (int i = 0; i < 3; ++i) ASSERT_EQ(c.roundtrip(get("/users/" + std::to_string(i)))->status, 200);
  ASSERT_EQ(c.roundtrip(get("/nowhere"))->status, 404);
  ASSERT_EQ(c.roundtrip("POST /users HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")->status, 422);
  auto after = scrape(c);
  ASSERT_EQ(after.error, "");
  EXPECT_EQ(requests(after, "/users/<id:int>", "GET", "200") - requests(before, "/users/<id:int>", "GET", "200"), 3);
  EXPECT_EQ(requests(after, "unmatched", "GET", "404") - requests(before, "unmatched", "GET", "404"), 1);
  EXPECT_EQ(requests(after, "/users", "POST", "422"), 1);
  // The first scrape was counted by the second.
  EXPECT_EQ(requests(after, "/metrics", "GET", "200") - requests(before, "/metrics", "GET", "200"), 1);
  EXPECT_EQ(after.value("eddy_http_request_duration_seconds_count", {{"route", "/users/<id:int>"}}), 3);
  EXPECT_GE(after.value("eddy_http_request_duration_seconds_sum", {{"route", "/users/<id:int>"}}), 0);
}

TEST(Metrics, GaugesSeeRequestsAndConnectionsOpenAtTheScrape) {
  test_server server(metric_routes);
  client holder(server.port());
  ASSERT_TRUE(holder.send(get("/hold")));
  client c(server.port());
  // The held request is in flight once its handler runs; wait for that (bounded).
  exposition e;
  for (int i = 0; i < 200; ++i) {
    e = scrape(c);
    ASSERT_EQ(e.error, "");
    if (e.value("eddy_http_requests_in_flight") == 2) break;  // /hold and this scrape
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(e.value("eddy_http_requests_in_flight"), 2);
  EXPECT_EQ(e.value("eddy_http_open_connections"), 2);
  ASSERT_EQ(c.roundtrip(get("/release"))->status, 200);
  auto released = holder.read_response();
  ASSERT_TRUE(released);
  EXPECT_EQ(released->body, "released");
  e = scrape(c);
  EXPECT_EQ(e.value("eddy_http_requests_in_flight"), 1);  // only the scrape itself
  EXPECT_EQ(requests(e, "/hold", "GET", "200"), 1);
}

TEST(Metrics, CountsNothingWhenNotExposed) {
  test_server server([](http::app& app) {
    app.get("/x", [](request&) -> task<response> { co_return response::text("x"); });
  });
  client c(server.port());
  ASSERT_EQ(c.roundtrip(get("/x"))->status, 200);
  EXPECT_EQ(c.roundtrip(get("/metrics"))->status, 404);
}

TEST(Metrics, ParserUsedHereRejectsInvalidText) {
  // The checks above are only as good as this parser: it must catch what a scraper would.
  EXPECT_NE(parse("eddy_x 1\n").error, "");                                 // no TYPE
  EXPECT_NE(parse("# TYPE eddy_x counter\neddy_x{a=b} 1\n").error, "");     // unquoted label
  EXPECT_NE(parse("# TYPE eddy_x counter\neddy_x 1").error, "");            // no final newline
  EXPECT_NE(parse("# TYPE h histogram\nh_bucket{route=\"r\",le=\"1\"} 2\nh_bucket{route=\"r\",le=\"+Inf\"} 1\n"
                  "h_count{route=\"r\"} 1\n").error, "");                   // not cumulative
  EXPECT_EQ(parse("# TYPE h histogram\nh_bucket{route=\"r\",le=\"1\"} 1\nh_bucket{route=\"r\",le=\"+Inf\"} 2\n"
                  "h_count{route=\"r\"} 2\n").error, "");
}

}  // namespace
