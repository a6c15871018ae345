// SPDX-License-Identifier: MIT
// `eddy fetch URL...`: many URLs at once over http::client (aiohttp's ClientSession with a
// semaphore, as a command), with progress, a summary table or JSON lines, bodies to files.
#include "fetch_command.hpp"

#include <CLI/CLI.hpp>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <system_error>
#include <vector>

#include "command.hpp"
#include "eddy/core/when_all.hpp"
#include "eddy/http/client.hpp"
#include "eddy/runtime/run.hpp"
#include "eddy/runtime/sleep.hpp"
#include "eddy/runtime/spawn.hpp"
#include "fetch_files.hpp"
#include "fetch_report.hpp"

namespace eddy::tools {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

// What every request of the run sends.
struct request_plan {
  http::method method = http::method::get;
  http::headers headers;
  std::optional<std::string> body;
  http::client_timeouts timeouts;
  unsigned retries = 0;
};

struct usage_error {
  std::string message;
};

// Failures where nothing reached the server: safe to retry whatever the method.
bool nothing_sent(const std::error_code& ec) {
  return ec == std::errc::connection_refused || ec == http::client_errc::connect_timeout ||
         ec == http::client_errc::tls_handshake_timeout || ec == std::errc::network_unreachable ||
         ec == std::errc::host_unreachable || ec == std::errc::resource_unavailable_try_again;
}

// Failures that will not go away by asking again.
bool permanent(const std::error_code& ec) {
  using http::client_errc;
  return ec == client_errc::invalid_url || ec == client_errc::unsupported_scheme || ec == client_errc::invalid_header ||
         ec == client_errc::too_many_redirects || ec == client_errc::body_too_large || ec == errc::host_not_found ||
         is_tls_error(ec);
}

bool retriable(const std::error_code& ec, http::method m) {
  if (nothing_sent(ec)) return true;
  return !permanent(ec) && http::is_idempotent(m);
}

bool retriable_status(int status) { return status == 408 || status == 429 || status >= 500; }

// 0.25 s, 0.5 s, 1 s, ... at most 8 s, each between 75 % and 125 % so that many failed
// fetches do not come back in lockstep.
std::chrono::milliseconds backoff(unsigned retry, std::minstd_rand& rng) {
  const auto base = std::min<std::chrono::milliseconds>(250ms * (1u << std::min(retry, 5u)), 8s);
  std::uniform_real_distribution<double> jitter(0.75, 1.25);
  return std::chrono::milliseconds(static_cast<long long>(static_cast<double>(base.count()) * jitter(rng)));
}

// A file being written: removed again unless the download completed.
class partial_file {
 public:
  partial_file(output_directory& dir, std::string name, int fd) : dir_(dir), name_(std::move(name)), fd_(fd) {}
  ~partial_file() {
    if (fd_ >= 0) ::close(fd_);
    if (!complete_) dir_.remove(name_);
  }
  partial_file(const partial_file&) = delete;
  partial_file& operator=(const partial_file&) = delete;
  int fd() const noexcept { return fd_; }
  const std::string& name() const noexcept { return name_; }
  // Closes the file and keeps it; on a close failure (NFS, disk full) returns the error and
  // the file is removed.
  std::error_code commit() {
    complete_ = true;
    if (::close(std::exchange(fd_, -1)) != 0) {
      complete_ = false;
      return last_system_error();
    }
    return {};
  }

 private:
  output_directory& dir_;
  std::string name_;
  int fd_;
  bool complete_ = false;
};

struct job {
  std::string url;
  std::string file_name;  // reserved in the output directory; "" without -o
};

class fetch_run {
 public:
  fetch_run(const fetch_options& opts, request_plan plan, std::vector<job> jobs, output_directory* out,
            progress_reporter::style style)
      : opts_(opts), plan_(std::move(plan)), jobs_(std::move(jobs)), out_(out), outcomes_(jobs_.size()),
        progress_(jobs_.size(), style), rng_(std::random_device{}()) {}

  task<int> run() {
    http::client_options co;
    co.max_connections = opts_.concurrency;
    co.max_per_host = opts_.concurrency;
    co.timeouts = plan_.timeouts;
    co.tls.insecure_skip_verify = opts_.insecure;
    http::client client(co);
    client_ = &client;
    const auto start = clock_type::now();
    auto ticker = spawn(progress_.tick_loop());
    struct stop_ticker {
      join_handle<void>& h;
      ~stop_ticker() { h.cancel(); }
    } stop{ticker};
    std::vector<task<void>> workers;
    const std::size_t n = std::min(opts_.concurrency, jobs_.size());
    for (std::size_t i = 0; i < n; ++i) workers.push_back(worker());
    co_await when_all(std::move(workers));
    ticker.cancel();
    try {
      co_await ticker;
    } catch (const cancelled_error&) {
    }
    progress_.close();
    const std::chrono::duration<double> wall = clock_type::now() - start;
    if (!opts_.json) print_table(stdout, outcomes_, wall);
    std::fflush(stdout);
    const bool all_ok = std::all_of(outcomes_.begin(), outcomes_.end(), [](const auto& o) { return o.ok(); });
    co_return all_ok ? 0 : 1;
  }

 private:
  task<void> worker() {
    while (next_ < jobs_.size()) {
      const std::size_t i = next_++;
      co_await fetch_one(i);
    }
  }

  task<void> fetch_one(std::size_t i) {
    fetch_outcome& o = outcomes_[i];
    const auto start = clock_type::now();
    for (unsigned attempt = 0;; ++attempt) {
      o = fetch_outcome();  // nothing of a failed attempt is kept
      o.url = jobs_[i].url;
      o.index = i;
      o.attempts = attempt + 1;
      const bool retry = co_await fetch_once(jobs_[i], o);
      if (o.ok() || !retry || attempt >= plan_.retries) break;
      const auto wait = backoff(attempt, rng_);
      progress_.note(o.url + ": " + o.error + "; retry " + std::to_string(attempt + 1) + " of " +
                     std::to_string(plan_.retries) + " in " + std::to_string(wait.count()) + " ms");
      co_await sleep_for(wait);
    }
    o.time = clock_type::now() - start;
    progress_.finished(o);
    if (opts_.json) {
      progress_.clear_line();  // stdout may be the same terminal
      std::fputs((json_line(o) + "\n").c_str(), stdout);
      std::fflush(stdout);
    }
  }

  // One attempt; fills `o` and returns whether a failure is worth another attempt.
  task<bool> fetch_once(const job& j, fetch_outcome& o) {
    auto parsed = http::url::parse(j.url);
    const http::url u = parsed ? *parsed : http::url();
    http::request_options ro{.headers = plan_.headers, .body = plan_.body, .timeouts = plan_.timeouts};
    auto r = co_await client_->request(plan_.method, j.url, std::move(ro));
    if (!r) {
      if (r.error() == errc::operation_canceled) throw cancelled_error();  // Ctrl-C: stop, do not retry
      o.error = describe_failure(r.error(), u);
      co_return retriable(r.error(), plan_.method);
    }
    o.status = r->status();
    o.reason = r->reason();
    o.final_url = r->url().str();
    if (o.status >= 400) {
      // Read the error page (its size is reported) so that the connection can be reused.
      std::optional<partial_file> none;
      (void)co_await read_body(*r, o, none);
      o.error = "HTTP " + std::to_string(o.status) + (o.reason.empty() ? "" : " " + o.reason);
      co_return retriable_status(o.status) && http::is_idempotent(plan_.method);
    }
    std::optional<partial_file> file;
    if (out_) {
      std::string name = j.file_name;
      auto fd = out_->create(name);
      if (!fd) {
        o.error = "cannot create " + (out_->path() / name).string() + ": " + fd.error().message();
        co_return false;
      }
      file.emplace(*out_, std::move(name), *fd);
    }
    if (auto ec = co_await read_body(*r, o, file)) {
      if (ec == errc::operation_canceled) throw cancelled_error();
      if (o.error.empty()) o.error = describe_failure(ec, u);
      co_return o.error.rfind("writing ", 0) != 0 && http::is_idempotent(plan_.method);
    }
    if (file) {
      const std::string path = (out_->path() / file->name()).string();
      if (auto ec = file->commit()) {
        o.error = "writing " + path + ": " + ec.message();
        co_return false;
      }
      o.file = path;
    }
    co_return false;
  }

  // Reads the whole body, counting it and writing it to `file` when there is one. A write
  // failure sets `o.error` itself ("writing PATH: reason").
  task<std::error_code> read_body(http::client_response& r, fetch_outcome& o, std::optional<partial_file>& file) {
    for (;;) {
      auto chunk = co_await r.body().next();
      if (!chunk) co_return chunk.error;
      o.bytes += chunk.bytes.size();
      progress_.received(chunk.bytes.size());
      if (file) {
        if (auto ec = write_fully(file->fd(), chunk.bytes)) {
          o.error = "writing " + (out_->path() / file->name()).string() + ": " + ec.message();
          co_return ec;
        }
      }
    }
  }

  const fetch_options& opts_;
  request_plan plan_;
  std::vector<job> jobs_;
  output_directory* out_;
  std::vector<fetch_outcome> outcomes_;
  progress_reporter progress_;
  std::minstd_rand rng_;
  http::client* client_ = nullptr;
  std::size_t next_ = 0;
};

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::string read_all(const std::string& path) {
  std::ostringstream ss;
  if (path == "-") {
    ss << std::cin.rdbuf();
    return ss.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw usage_error{"cannot read '" + path + "': " + std::generic_category().message(errno)};
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> collect_urls(const fetch_options& o) {
  std::vector<std::string> urls = o.urls;
  if (!o.input_file.empty()) {
    std::istringstream lines(read_all(o.input_file));
    for (std::string line; std::getline(lines, line);) {
      std::string url = trim(line);
      if (!url.empty() && url[0] != '#') urls.push_back(std::move(url));
    }
  }
  if (urls.empty()) throw usage_error{"no URLs: give them as arguments or one per line with -i FILE"};
  return urls;
}

request_plan make_plan(const fetch_options& o) {
  request_plan p;
  std::string token = o.method.empty() ? (o.data ? "POST" : "GET") : o.method;
  std::transform(token.begin(), token.end(), token.begin(), [](unsigned char c) { return std::toupper(c); });
  p.method = http::method_from_string(token);
  if (p.method == http::method::other || p.method == http::method::connect) {
    throw usage_error{"unsupported method '" + o.method + "' (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, TRACE)"};
  }
  for (const auto& h : o.headers) {
    const auto colon = h.find(':');
    std::string name = colon == std::string::npos ? "" : trim(std::string_view(h).substr(0, colon));
    std::string value = colon == std::string::npos ? "" : trim(std::string_view(h).substr(colon + 1));
    if (name.empty() || !http::is_valid_field_name(name) || !http::is_valid_field_value(value)) {
      throw usage_error{"bad header '" + h + "' (expected 'Name: value')"};
    }
    p.headers.add(std::move(name), std::move(value));
  }
  if (o.data) p.body = o.data->starts_with('@') ? read_all(o.data->substr(1)) : *o.data;
  p.timeouts.total = o.timeout;
  p.timeouts.connect = std::min(p.timeouts.connect, o.timeout);
  p.retries = o.retries;
  return p;
}

}  // namespace

int run_fetch(const fetch_options& o) {
  std::vector<job> jobs;
  request_plan plan;
  try {
    for (auto& url : collect_urls(o)) jobs.push_back({std::move(url), {}});
    plan = make_plan(o);
  } catch (const usage_error& e) {
    std::fprintf(stderr, "eddy fetch: %s\n", e.message.c_str());
    return 2;
  }
  std::optional<output_directory> out;
  if (!o.output_dir.empty()) {
    try {
      out.emplace(o.output_dir);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "eddy fetch: -o %s: %s\n", o.output_dir.c_str(), e.what());
      return 2;
    }
    for (auto& j : jobs) {
      auto u = http::url::parse(j.url);
      j.file_name = out->reserve(safe_file_name(u ? std::string_view(u->path()) : std::string_view()));
    }
  }
  auto style = !o.progress ? progress_reporter::style::none
               : ::isatty(STDERR_FILENO) ? progress_reporter::style::bar
                                         : progress_reporter::style::lines;
  fetch_run r(o, std::move(plan), std::move(jobs), out ? &*out : nullptr, style);
  return eddy::run(r.run());
}

namespace {

const bool registered = register_command({
    "fetch", "Fetch many URLs concurrently (progress, summary table or JSON lines, bodies to files)",
    [](CLI::App& app) {
      auto o = std::make_shared<fetch_options>();
      app.add_option("urls", o->urls, "URLs to fetch (http:// or https://)");
      app.add_option("-i,--input-file", o->input_file, "Read more URLs from FILE, one per line ('-': stdin)");
      app.add_option("-c,--concurrency", o->concurrency, "Requests in flight at most")
          ->check(CLI::Range(1, 100000))
          ->capture_default_str();
      app.add_option("-o,--output-dir", o->output_dir, "Write each body to a file in DIR (never overwrites)");
      app.add_option_function<double>("--timeout", [o](double s) {
            if (!(s > 0)) throw CLI::ValidationError("--timeout", "must be a positive number of seconds");
            o->timeout = std::chrono::milliseconds(static_cast<long long>(s * 1000));
          }, "Seconds one attempt may take, body included")->default_str("30");
      app.add_option("--retries", o->retries, "Extra attempts after a transient failure (with backoff)")
          ->check(CLI::Range(0, 100))
          ->capture_default_str();
      app.add_option("-X,--method", o->method, "Request method (default GET, or POST with --data)");
      app.add_option("-H,--header", o->headers, "Extra header 'Name: value' (repeatable)")->allow_extra_args(false);
      app.add_option("-d,--data", o->data, "Request body; @FILE reads it from FILE ('@-': stdin)");
      app.add_flag("--json", o->json, "Print one JSON object per URL as it finishes, instead of the table");
      app.add_flag("-k,--insecure", o->insecure, "Do not verify TLS certificates (testing only)");
      app.add_flag("!--no-progress", o->progress, "No progress bar or progress lines on stderr");
      return [o] { return run_fetch(*o); };
    }});

}  // namespace
}  // namespace eddy::tools
