// SPDX-License-Identifier: MIT
// `eddy load`: a wrk-class HTTP load tester (closed loop, pipelined, or constant rate with
// coordinated-omission correction; http:// and https://), see README "Load testing".
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "command.hpp"
#include "load_options.hpp"
#include "load_plan.hpp"
#include "load_report.hpp"
#include "load_runner.hpp"

namespace eddy::tools {
namespace {

using http::json;

void print_progress(const load_progress& p) {
  std::fprintf(stderr, "\r\033[K  %6.1fs %s %10.0f req/s   p99 %9s   requests %llu   errors %llu", p.elapsed_s,
               p.warming_up ? "(warm-up)" : "         ", p.requests_per_s,
               format_micros(static_cast<double>(p.p99_us)).c_str(), static_cast<unsigned long long>(p.requests),
               static_cast<unsigned long long>(p.errors));
  std::fflush(stderr);
}

void clear_progress() {
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
}

struct search_step {
  double rate = 0;
  double achieved = 0;
  std::uint64_t p99_us = 0;
  std::uint64_t errors = 0;
  bool ok = false;
};

bool meets(const load_result& r, const load_options& o, double rate) {
  return r.stats.error_total() == 0 && r.stats.requests > 0 &&
         r.stats.latency.value_at_percentile(99) <= static_cast<std::uint64_t>(o.p99_target.count()) &&
         r.requests_per_s() >= 0.98 * rate;
}

int emit(const load_options& o, const load_result& r, const json* search) {
  if (o.json) {
    json doc = load_json_report(r);
    if (search) doc.set("max_rate_search", *search);
    std::printf("%s\n", doc.dump().c_str());
  } else if (o.csv) {
    std::fputs(load_csv_report(r).c_str(), stdout);
  } else {
    std::fputs(load_text_report(r).c_str(), stdout);
  }
  std::fflush(stdout);
  return 0;
}

// Highest constant rate meeting the p99 target: a closed-loop probe bounds it, a few
// bisection steps of `step` each narrow it, then a run of the full duration confirms it.
int run_search(const load_options& options, const load_plan& plan, const load_hooks& hooks, std::chrono::nanoseconds step) {
  // Each run is a plain run at one rate; `o` keeps the search's own settings (the target).
  load_options o = options;
  o.max_rate_search = false;
  load_options probe = o;
  probe.duration = step;
  probe.rate = 0;
  std::fprintf(stderr, "eddy load: max-rate search for p99 <= %s\n", format_micros(static_cast<double>(o.p99_target.count())).c_str());
  load_result first = run_load(probe, plan, hooks);
  if (hooks.on_progress) clear_progress();
  if (first.interrupted) return emit(o, first, nullptr);
  double hi = first.requests_per_s();
  std::fprintf(stderr, "  closed-loop probe: %.0f req/s (p99 %s)\n", hi,
               format_micros(static_cast<double>(first.stats.latency.value_at_percentile(99))).c_str());
  double lo = 0, best = 0;
  json steps = json::array();
  auto try_rate = [&](double rate) -> bool {
    load_options at = o;
    at.duration = step;
    at.rate = rate;
    load_result r = run_load(at, plan, hooks);
    if (hooks.on_progress) clear_progress();
    const bool ok = !r.interrupted && meets(r, o, rate);
    const auto p99 = r.stats.latency.value_at_percentile(99);
    std::fprintf(stderr, "  rate %10.0f/s: achieved %10.0f/s, p99 %9s, errors %llu -> %s\n", rate, r.requests_per_s(),
                 format_micros(static_cast<double>(p99)).c_str(),
                 static_cast<unsigned long long>(r.stats.error_total()), ok ? "meets" : "misses");
    steps.push_back({{"rate", rate}, {"achieved_rate", r.requests_per_s()}, {"p99_us", p99},
                     {"errors", r.stats.error_total()}, {"meets", ok}});
    if (r.interrupted) throw std::runtime_error("interrupted");
    return ok;
  };
  try {
    if (hi >= 1 && try_rate(hi)) {
      best = hi;
    } else {
      for (int i = 0; i < 6 && hi - lo > 1; ++i) {
        const double mid = (lo + hi) / 2;
        if (try_rate(mid)) {
          lo = best = mid;
        } else {
          hi = mid;
        }
      }
    }
  } catch (const std::runtime_error&) {
    std::fprintf(stderr, "eddy load: search interrupted\n");
    return 130;
  }
  json search = {{"p99_target_us", static_cast<std::int64_t>(o.p99_target.count())},
                 {"step_s", std::chrono::duration<double>(step).count()},
                 {"closed_loop_rate", first.requests_per_s()},
                 {"steps", std::move(steps)}};
  if (best <= 0) {
    search.set("found_rate", json());
    search.set("confirmed", false);
    std::fprintf(stderr, "eddy load: no rate tried met p99 <= %s\n", format_micros(static_cast<double>(o.p99_target.count())).c_str());
    if (o.json) std::printf("%s\n", json({{"schema", "eddy.load/1"}, {"max_rate_search", search}}).dump().c_str());
    return 1;
  }
  load_options confirm = o;
  confirm.rate = best;
  load_result r = run_load(confirm, plan, hooks);
  if (hooks.on_progress) clear_progress();
  const bool confirmed = !r.interrupted && meets(r, o, best);
  std::fprintf(stderr, "  confirmation at %.0f/s over %.1fs: %s\n", best, r.elapsed_s,
               confirmed ? "meets the target" : "misses the target (the server's capacity varies; try a longer --step)");
  search.set("found_rate", best);
  search.set("confirmed", confirmed);
  emit(o, r, &search);
  return confirmed ? 0 : 1;
}

int run_load_command(const load_options& o, std::chrono::nanoseconds step) {
  load_plan plan;
  try {
    check_load_options(o);
    plan = make_load_plan(o);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "eddy load: %s\n", e.what());
    return 2;
  }
  load_hooks hooks;
  hooks.handle_signals = true;
  if (o.progress && ::isatty(STDERR_FILENO)) hooks.on_progress = print_progress;
  try {
    if (o.max_rate_search) return run_search(o, plan, hooks, step);
    load_result r = run_load(o, plan, hooks);
    if (hooks.on_progress) clear_progress();
    emit(o, r, nullptr);
    return r.interrupted ? 130 : 0;
  } catch (const load_unreachable& e) {
    if (hooks.on_progress) clear_progress();
    std::fprintf(stderr, "eddy load: %s\n", e.what());
    return 1;
  }
}

const bool registered = register_command({
    "load", "Load-test an HTTP server (closed loop, pipelined, or constant rate)", [](CLI::App& app) {
      auto o = std::make_shared<load_options>();
      auto step = std::make_shared<std::chrono::nanoseconds>(std::chrono::seconds(2));
      auto correction = std::make_shared<std::string>("on");
      // A duration option (10s, 500ms, ...) stored with `into`'s resolution.
      auto duration_option = [&app](const char* name, auto& into, const char* help) {
        return app.add_option_function<std::string>(name, [&into, name](const std::string& v) {
          try {
            into = std::chrono::duration_cast<std::remove_reference_t<decltype(into)>>(parse_duration(v, name));
          } catch (const std::invalid_argument& e) {
            throw CLI::ValidationError(name, e.what());
          }
        }, help);
      };
      app.add_option("url", o->url, "Target URL, http://host[:port]/path or https://...");
      app.add_option("-c,--connections", o->connections, "Connections in total, spread evenly over the threads")->capture_default_str();
      app.add_option("-t,--threads", o->threads, "Threads, each with its own event loop")->capture_default_str();
      duration_option("-d,--duration", o->duration, "How long to measure: 10s, 500ms, 2m (default 10s)");
      app.add_option("-n,--requests", o->requests, "Stop after this many requests instead of a duration");
      app.add_option("-R,--rate", o->rate, "Constant rate (requests/s in total): open model, latency from intended send times");
      duration_option("--warmup", o->warmup, "Load applied before measuring (not in the results)");
      app.add_option("-m,--method", o->method, "Request method")->capture_default_str();
      app.add_option("-H,--header", o->headers, "Request header 'Name: value' (repeatable)")->allow_extra_args(false);
      app.add_option("--body", o->body, "Request body, or @FILE to read it from a file");
      app.add_option("--pipeline", o->pipeline,
                     "Requests written back to back per connection (HTTP/1.1 pipelining); with --rate, the most in flight per connection")
          ->capture_default_str();
      duration_option("--timeout", o->timeout, "A request without a response after this long is a timeout error (default 5s)");
      auto json_flag = app.add_flag("--json", o->json, "Print the report as JSON (schema eddy.load/1)");
      app.add_flag("--csv", o->csv, "Print the report as CSV (a header and one row)")->excludes(json_flag);
      app.add_flag("--no-progress", [o](std::int64_t) { o->progress = false; }, "No live display on a terminal");
      app.add_option("--latency-correction", *correction, "In --rate mode, measure from intended send times (on) or actual ones (off)")
          ->check(CLI::IsMember({"on", "off"}))
          ->capture_default_str();
      app.add_flag("--max-rate-search", o->max_rate_search, "Find the highest constant rate whose p99 meets --p99");
      duration_option("--p99", o->p99_target, "Latency target of --max-rate-search, e.g. 10ms");
      duration_option("--step", *step, "Length of each --max-rate-search step (default 2s)");
      app.add_option("--scenario", o->scenario, "JSON file of requests with weights (see README)")->check(CLI::ExistingFile);
      app.add_flag("-k,--insecure", o->insecure, "https: do not verify the server certificate (self-signed test servers)");
      app.add_option("--cacert", o->cacert, "https: trust the CA certificates in this PEM file instead of the system store")
          ->check(CLI::ExistingFile);
      return [o, step, correction] {
        o->latency_correction = *correction == "on";
        return run_load_command(*o, *step);
      };
    }});

}  // namespace
}  // namespace eddy::tools
