// SPDX-License-Identifier: MIT
#include "eddy/http/metrics.hpp"

#include <cstdio>
#include <map>
#include <tuple>

#include "eddy/http/router.hpp"

namespace eddy::http {
namespace {

// Label values escape backslash, double quote and newline (exposition format rules).
void append_label(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}

void append_number(std::string& out, double v) {
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%.9g", v);
  out.append(buf, static_cast<std::size_t>(n));
}

void family(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

}  // namespace

metrics::metrics() = default;
metrics::~metrics() = default;

void metrics::set_routes(const router& r) {
  std::lock_guard lock(mutex_);
  if (!shards_.empty()) return;  // shards point at the table: it is fixed once serving began
  routes_ = {};
  for (std::size_t i = 0; i < r.route_count(); ++i) {
    const std::string& p = r.pattern(i);
    routes_.names.push_back(p);
  }
}

detail::metrics_shard& metrics::acquire() {
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    if (!in_use_[i]) {
      in_use_[i] = true;
      return *shards_[i];
    }
  }
  shards_.push_back(std::make_unique<detail::metrics_shard>(routes_, static_cast<unsigned>(shards_.size())));
  in_use_.push_back(true);
  return *shards_.back();
}

void metrics::release(detail::metrics_shard& shard) noexcept {
  std::lock_guard lock(mutex_);
  in_use_[shard.worker()] = false;
}

std::string metrics::render(bool ready) const {
  using shard = detail::metrics_shard;
  std::lock_guard lock(mutex_);
  const std::size_t route_slots = routes_.names.size() + 1;
  std::map<std::tuple<std::uint32_t, int, int>, std::uint64_t> requests;  // route, method, status
  std::vector<std::array<std::uint64_t, shard::bucket_count>> buckets(route_slots);
  std::vector<std::uint64_t> sums(route_slots);
  std::int64_t in_flight = 0, connections = 0;
  std::uint64_t unlabelled = 0;
  for (const auto& s : shards_) {
    const shard::series* table = s->series_table();
    for (std::size_t i = 0; i < shard::series_capacity; ++i) {
      const std::uint64_t key = table[i].key.load(std::memory_order_acquire);
      if (key == 0) continue;
      requests[{shard::route_of(key), static_cast<int>(shard::method_of(key)), shard::status_of(key)}] +=
          table[i].count.load(std::memory_order_relaxed);
    }
    for (std::uint32_t r = 0; r < route_slots; ++r) {
      const auto& l = s->route_latency(r);
      for (std::size_t b = 0; b < shard::bucket_count; ++b) buckets[r][b] += l.buckets[b].load(std::memory_order_relaxed);
      sums[r] += l.sum_ns.load(std::memory_order_relaxed);
    }
    in_flight += s->in_flight();
    connections += s->open_connections();
    unlabelled += s->unlabelled();
  }
  auto route_name = [&](std::uint32_t r) -> std::string_view {
    return r < routes_.names.size() ? std::string_view(routes_.names[r]) : std::string_view("unmatched");
  };

  std::string out;
  out.reserve(4096);
  family(out, "eddy_http_requests_total", "counter",
         "HTTP requests answered, by route pattern (\"unmatched\" when none matched), method and status.");
  for (const auto& [k, count] : requests) {
    const auto& [route, m, status] = k;
    out += "eddy_http_requests_total{route=\"";
    append_label(out, route_name(route));
    out += "\",method=\"";
    out += to_string(static_cast<method>(m));
    out += "\",status=\"";
    out += std::to_string(status);
    out += "\"} ";
    out += std::to_string(count);
    out += '\n';
  }
  family(out, "eddy_http_requests_unlabelled_total", "counter",
         "HTTP requests counted without labels (a worker ran out of label series).");
  out += "eddy_http_requests_unlabelled_total " + std::to_string(unlabelled) + "\n";

  family(out, "eddy_http_request_duration_seconds", "histogram",
         "Time from a parsed request to its response being ready to write, by route pattern.");
  for (std::uint32_t r = 0; r < route_slots; ++r) {
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < shard::bucket_count; ++b) cumulative += buckets[r][b];
    if (cumulative == 0) continue;  // routes never requested stay out of the output
    std::string labels = "route=\"";
    append_label(labels, route_name(r));
    labels += '"';
    cumulative = 0;
    for (std::size_t b = 0; b < shard::bucket_count; ++b) {
      cumulative += buckets[r][b];
      out += "eddy_http_request_duration_seconds_bucket{" + labels + ",le=\"";
      if (b < shard::bucket_bounds_ns.size()) {
        append_number(out, static_cast<double>(shard::bucket_bounds_ns[b]) / 1e9);
      } else {
        out += "+Inf";
      }
      out += "\"} " + std::to_string(cumulative) + "\n";
    }
    out += "eddy_http_request_duration_seconds_sum{" + labels + "} ";
    append_number(out, static_cast<double>(sums[r]) / 1e9);
    out += "\neddy_http_request_duration_seconds_count{" + labels + "} " + std::to_string(cumulative) + "\n";
  }

  family(out, "eddy_http_requests_in_flight", "gauge", "Requests whose handler is running.");
  out += "eddy_http_requests_in_flight " + std::to_string(in_flight) + "\n";
  family(out, "eddy_http_open_connections", "gauge", "Client connections open, over every worker.");
  out += "eddy_http_open_connections " + std::to_string(connections) + "\n";
  family(out, "eddy_event_loop_lag_seconds", "gauge",
         "How late each worker's event loop last ran a timer that was due (a busy loop runs late).");
  for (const auto& s : shards_) {
    out += "eddy_event_loop_lag_seconds{worker=\"" + std::to_string(s->worker()) + "\"} ";
    append_number(out, static_cast<double>(s->loop_lag_ns()) / 1e9);
    out += '\n';
  }
  family(out, "eddy_ready", "gauge", "1 while the server accepts traffic (what /ready reports), else 0.");
  out += ready ? "eddy_ready 1\n" : "eddy_ready 0\n";
  return out;
}

}  // namespace eddy::http
