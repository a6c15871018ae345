// SPDX-License-Identifier: MIT
#include "load_report.hpp"

#include <cstdio>

namespace eddy::tools {
namespace {

using http::json;

std::string format(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

std::string format_bytes(double b) {
  if (b < 1024) return format("%.0f B", b);
  if (b < 1024.0 * 1024) return format("%.2f KiB", b / 1024);
  if (b < 1024.0 * 1024 * 1024) return format("%.2f MiB", b / (1024.0 * 1024));
  return format("%.2f GiB", b / (1024.0 * 1024 * 1024));
}

std::string percentile_name(double p) {
  std::string s = format("%.2f", p);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return "p" + s;
}

bool rate_mode(const load_result& r) { return r.options.rate > 0; }

std::string mode_line(const load_result& r) {
  const auto& o = r.options;
  std::string s = o.url.empty() ? o.scenario : o.url;
  s += format(" - %.2f s", r.elapsed_s) + ", " + std::to_string(o.threads) + (o.threads == 1 ? " thread, " : " threads, ") +
       std::to_string(o.connections) + (o.connections == 1 ? " connection, " : " connections, ");
  if (rate_mode(r)) {
    s += format("constant rate %.1f/s", o.rate) + (o.latency_correction ? " (latency from intended send times)" : " (correction off)");
    if (o.pipeline > 1) s += ", up to " + std::to_string(o.pipeline) + " in flight per connection";
  } else {
    s += "closed loop";
    if (o.pipeline > 1) s += ", pipeline " + std::to_string(o.pipeline);
  }
  if (r.plan_requests > 1) s += ", " + std::to_string(r.plan_requests) + " requests in the scenario";
  if (r.interrupted) s += " [interrupted]";
  return s + "\n";
}

std::string latency_row(const char* name, const latency_histogram& h) {
  char head[32];
  std::snprintf(head, sizeof head, "  %-12s", name);
  std::string s = head;
  char cell[32];
  for (double p : load_percentiles) {
    std::snprintf(cell, sizeof cell, "%10s", format_micros(static_cast<double>(h.value_at_percentile(p))).c_str());
    s += cell;
  }
  std::snprintf(cell, sizeof cell, "%10s", format_micros(static_cast<double>(h.max())).c_str());
  s += cell;
  std::snprintf(cell, sizeof cell, "%10s", format_micros(h.mean()).c_str());
  s += cell;
  return s + "\n";
}

}  // namespace

std::string format_micros(double v) {
  if (v < 1000) return format("%.0fus", v);
  if (v < 1e6) return format("%.2fms", v / 1e3);
  return format("%.2fs", v / 1e6);
}

std::string load_text_report(const load_result& r) {
  const load_stats& st = r.stats;
  std::string s = mode_line(r);
  const double secs = r.elapsed_s > 0 ? r.elapsed_s : 1;
  s += "  Requests    " + std::to_string(st.requests) + format(" (%.1f/s)", r.requests_per_s());
  if (st.warmup_requests) s += ", " + std::to_string(st.warmup_requests) + " more during the warm-up";
  s += "\n";
  s += "  Transfer    in " + format_bytes(static_cast<double>(st.bytes_in)) + " (" +
       format_bytes(static_cast<double>(st.bytes_in) / secs) + "/s), out " +
       format_bytes(static_cast<double>(st.bytes_out)) + " (" + format_bytes(static_cast<double>(st.bytes_out) / secs) + "/s)\n";
  if (rate_mode(r)) s += format("  Rate        target %.1f/s", r.options.rate) + format(", achieved %.1f/s\n", r.requests_per_s());
  std::string header = "  Latency     ";
  char cell[32];
  for (double p : load_percentiles) {
    std::snprintf(cell, sizeof cell, "%10s", percentile_name(p).c_str());
    header += cell;
  }
  header += "       max      mean\n";
  s += header;
  if (rate_mode(r) && r.options.latency_correction) {
    s += latency_row("corrected", st.latency);
    s += latency_row("uncorrected", st.uncorrected);
  } else {
    s += latency_row("", st.latency);
  }
  s += "  Status     ";
  bool any = false;
  for (std::size_t code = 0; code < st.status.size(); ++code) {
    if (st.status[code] == 0) continue;
    any = true;
    s += " " + (code == 0 ? std::string("other") : std::to_string(code)) + ": " + std::to_string(st.status[code]);
  }
  if (!any) s += " (no responses)";
  s += ", non-2xx: " + std::to_string(st.non_2xx()) + "\n";
  if (r.tls) {
    const latency_histogram& h = st.handshake;
    s += "  TLS         " + (r.tls_protocol.empty() ? std::string("no session") : r.tls_protocol) +
         (r.tls_alpn.empty() ? std::string() : ", ALPN " + r.tls_alpn) + ", " + std::to_string(h.count()) +
         (h.count() == 1 ? " handshake" : " handshakes");
    if (h.count() > 0) {
      s += ": p50 " + format_micros(static_cast<double>(h.value_at_percentile(50))) + ", p99 " +
           format_micros(static_cast<double>(h.value_at_percentile(99))) + ", max " +
           format_micros(static_cast<double>(h.max()));
    }
    s += " (not in the latency)\n";
  }
  s += "  Errors     ";
  for (std::size_t e = 0; e < load_error_kinds; ++e) {
    s += std::string(" ") + load_error_name(static_cast<load_error>(e)) + " " + std::to_string(st.errors[e]);
  }
  s += "\n";
  return s;
}

json histogram_json(const latency_histogram& h) {
  json out = json::object();
  out.set("count", h.count());
  out.set("min", h.min());
  out.set("mean", h.mean());
  out.set("stddev", h.stddev());
  out.set("max", h.max());
  for (double p : load_percentiles) out.set(percentile_name(p), h.value_at_percentile(p));
  json dist = json::array();
  for (const auto& b : h.distribution()) dist.push_back(json::array({b.low, b.high, b.count}));
  out.set("distribution", std::move(dist));
  return out;
}

json load_json_report(const load_result& r) {
  const auto& o = r.options;
  const load_stats& st = r.stats;
  json config = json::object();
  config.set("url", o.url);
  config.set("scenario", o.scenario.empty() ? json() : json(o.scenario));
  config.set("scenario_requests", r.plan_requests);
  config.set("method", o.method);
  config.set("threads", o.threads);
  config.set("connections", o.connections);
  config.set("duration_s", o.requests ? json() : json(std::chrono::duration<double>(o.duration).count()));
  config.set("requests", o.requests ? json(o.requests) : json());
  config.set("rate", o.rate > 0 ? json(o.rate) : json());
  config.set("pipeline", o.pipeline);
  config.set("timeout_ms", static_cast<std::int64_t>(o.timeout.count()));
  config.set("warmup_s", std::chrono::duration<double>(o.warmup).count());
  config.set("latency_correction", o.rate > 0 && o.latency_correction);
  config.set("insecure", o.insecure);
  config.set("cacert", o.cacert.empty() ? json() : json(o.cacert));

  json status = json::object();
  for (std::size_t code = 0; code < st.status.size(); ++code) {
    if (st.status[code]) status.set(code == 0 ? "other" : std::to_string(code), st.status[code]);
  }
  json errors = json::object();
  for (std::size_t e = 0; e < load_error_kinds; ++e) errors.set(load_error_name(static_cast<load_error>(e)), st.errors[e]);

  const double secs = r.elapsed_s > 0 ? r.elapsed_s : 1;
  json out = json::object();
  out.set("schema", "eddy.load/1");
  out.set("config", std::move(config));
  out.set("mode", o.rate > 0 ? "rate" : "closed");
  out.set("interrupted", r.interrupted);
  out.set("elapsed_s", r.elapsed_s);
  out.set("requests", st.requests);
  out.set("warmup_requests", st.warmup_requests);
  out.set("requests_per_s", r.requests_per_s());
  out.set("target_rate", o.rate > 0 ? json(o.rate) : json());
  out.set("achieved_rate", r.requests_per_s());
  out.set("connects", st.connects);
  out.set("bytes_in", st.bytes_in);
  out.set("bytes_out", st.bytes_out);
  out.set("bytes_in_per_s", static_cast<double>(st.bytes_in) / secs);
  out.set("bytes_out_per_s", static_cast<double>(st.bytes_out) / secs);
  out.set("status", std::move(status));
  out.set("non_2xx", st.non_2xx());
  out.set("errors", std::move(errors));
  out.set("latency_us", histogram_json(st.latency));
  out.set("latency_uncorrected_us", o.rate > 0 ? histogram_json(st.uncorrected) : histogram_json(st.latency));
  if (r.tls) {
    json tls = json::object();
    tls.set("protocol", r.tls_protocol.empty() ? json() : json(r.tls_protocol));
    tls.set("alpn", r.tls_alpn.empty() ? json() : json(r.tls_alpn));
    tls.set("handshakes", st.handshake.count());
    tls.set("handshake_us", histogram_json(st.handshake));
    out.set("tls", std::move(tls));
  } else {
    out.set("tls", json());
  }
  return out;
}

std::string load_csv_report(const load_result& r) {
  const auto& o = r.options;
  const load_stats& st = r.stats;
  std::string head = "url,mode,threads,connections,pipeline,target_rate,elapsed_s,requests,requests_per_s,bytes_in,bytes_out,non_2xx";
  for (std::size_t e = 0; e < load_error_kinds; ++e) head += std::string(",errors_") + load_error_name(static_cast<load_error>(e));
  for (double p : load_percentiles) head += "," + percentile_name(p) + "_us";
  head += ",max_us,mean_us";
  if (o.rate > 0) {
    for (double p : load_percentiles) head += ",uncorrected_" + percentile_name(p) + "_us";
    head += ",uncorrected_max_us";
  }
  if (r.tls) head += ",tls_handshakes,handshake_p50_us,handshake_p99_us,handshake_max_us";
  std::string url = o.url.empty() ? o.scenario : o.url;
  if (url.find_first_of(",\"\n") != std::string::npos) {
    std::string quoted = "\"";
    for (char c : url) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    url = quoted + "\"";
  }
  std::string row = url + "," + (o.rate > 0 ? "rate" : "closed") + "," + std::to_string(o.threads) + "," +
                    std::to_string(o.connections) + "," + std::to_string(o.pipeline) + "," +
                    (o.rate > 0 ? format("%.3f", o.rate) : std::string()) + "," + format("%.6f", r.elapsed_s) + "," +
                    std::to_string(st.requests) + "," + format("%.3f", r.requests_per_s()) + "," +
                    std::to_string(st.bytes_in) + "," + std::to_string(st.bytes_out) + "," + std::to_string(st.non_2xx());
  for (auto e : st.errors) row += "," + std::to_string(e);
  for (double p : load_percentiles) row += "," + std::to_string(st.latency.value_at_percentile(p));
  row += "," + std::to_string(st.latency.max()) + "," + format("%.1f", st.latency.mean());
  if (o.rate > 0) {
    for (double p : load_percentiles) row += "," + std::to_string(st.uncorrected.value_at_percentile(p));
    row += "," + std::to_string(st.uncorrected.max());
  }
  if (r.tls) {
    const latency_histogram& h = st.handshake;
    row += "," + std::to_string(h.count()) + "," + std::to_string(h.value_at_percentile(50)) + "," +
           std::to_string(h.value_at_percentile(99)) + "," + std::to_string(h.max());
  }
  return head + "\n" + row + "\n";
}

}  // namespace eddy::tools
