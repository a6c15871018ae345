// SPDX-License-Identifier: MIT
#include "fetch_report.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "eddy/core/errors.hpp"
#include "eddy/http/client_errc.hpp"
#include "eddy/http/json.hpp"
#include "eddy/net/tls_context.hpp"
#include "eddy/runtime/sleep.hpp"

namespace eddy::tools {

using namespace std::chrono_literals;

std::string describe_failure(const std::error_code& ec, const http::url& u) {
  const std::string host(u.hostname());
  const std::string where = u.host() + ":" + std::to_string(u.port());
  using http::client_errc;
  if (ec == errc::host_not_found) return "DNS: cannot resolve host '" + host + "'";
  if (ec == std::errc::resource_unavailable_try_again) return "DNS: temporary failure resolving '" + host + "'";
  if (ec == std::errc::connection_refused) return "connection refused by " + where;
  if (ec == std::errc::network_unreachable || ec == std::errc::host_unreachable) {
    return "no route to " + where + " (" + ec.message() + ")";
  }
  if (ec == std::errc::connection_reset) return "connection reset by " + where;
  if (ec == client_errc::connect_timeout) return "timeout: no connection to " + where + " in time";
  if (ec == client_errc::tls_handshake_timeout) return "timeout: TLS handshake with " + where + " took too long";
  if (ec == client_errc::ttfb_timeout) return "timeout: " + where + " sent no response in time";
  if (ec == client_errc::read_idle_timeout) return "timeout: " + where + " stopped sending";
  if (ec == client_errc::total_timeout) return "timeout: not finished within --timeout";
  if (http::is_timeout(ec)) return "timeout: " + ec.message();
  if (is_tls_error(ec)) {
    std::string m = "TLS: " + ec.message();
    if (m.find("verify") != std::string::npos) m += " (--insecure skips verification)";
    return m;
  }
  if (ec == client_errc::invalid_url) return "invalid URL (expected http://host[:port]/path or https://...)";
  if (ec == client_errc::unsupported_scheme) return "unsupported scheme '" + u.scheme() + "' (http and https only)";
  if (ec == client_errc::too_many_redirects) return "too many redirects (a loop?)";
  if (ec == client_errc::connection_closed || ec == errc::unexpected_eof) {
    return "connection closed by " + where + " before the response was complete";
  }
  if (ec == errc::protocol_error) return "malformed HTTP response from " + where;
  return ec.message();
}

std::string json_line(const fetch_outcome& o) {
  auto text_or_null = [](const std::string& s) { return s.empty() ? http::json() : http::json(s); };
  http::json j = http::json::object();
  j.set("url", o.url);
  j.set("index", o.index);
  j.set("ok", o.ok());
  j.set("status", o.status);
  j.set("reason", o.reason);
  j.set("final_url", text_or_null(o.final_url));
  j.set("bytes", static_cast<std::int64_t>(o.bytes));
  j.set("seconds", o.time.count());
  j.set("attempts", o.attempts);
  j.set("file", text_or_null(o.file));
  j.set("error", text_or_null(o.error));
  return j.dump();
}

std::string human_size(std::uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes) / 1024;
  std::size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(units)) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

void print_table(std::FILE* out, const std::vector<fetch_outcome>& outcomes, std::chrono::duration<double> wall) {
  std::fprintf(out, "%-6s %10s %9s  %s\n", "STATUS", "SIZE", "TIME", "URL");
  std::size_t failed = 0;
  std::uint64_t bytes = 0;
  for (const auto& o : outcomes) {
    const std::string status = o.status ? std::to_string(o.status) : "-";
    std::fprintf(out, "%-6s %10s %8.3fs  %s", status.c_str(), o.status ? human_size(o.bytes).c_str() : "-",
                 o.time.count(), o.url.c_str());
    if (!o.ok()) {
      std::fprintf(out, "  FAILED: %s", o.error.c_str());
      ++failed;
    } else if (!o.file.empty()) {
      std::fprintf(out, "  -> %s", o.file.c_str());
    }
    std::fputc('\n', out);
    bytes += o.bytes;
  }
  std::fprintf(out, "%zu URL%s: %zu ok, %zu failed, %s in %.3f s\n", outcomes.size(), outcomes.size() == 1 ? "" : "s",
               outcomes.size() - failed, failed, human_size(bytes).c_str(), wall.count());
}

progress_reporter::progress_reporter(std::size_t total, style s) : total_(total), style_(s) {}

void progress_reporter::finished(const fetch_outcome& o) {
  ++done_;
  if (!o.ok()) ++failed_;
  if (!o.ok()) {
    clear_line();
    std::fprintf(stderr, "eddy fetch: %s: %s\n", o.url.c_str(), o.error.c_str());
  }
  if (style_ == style::lines && o.ok()) {
    std::fprintf(stderr, "[%zu/%zu] %d %s %.3fs %s\n", done_, total_, o.status, human_size(o.bytes).c_str(),
                 o.time.count(), o.url.c_str());
  }
}

void progress_reporter::note(const std::string& message) {
  if (style_ == style::none) return;
  clear_line();
  std::fprintf(stderr, "eddy fetch: %s\n", message.c_str());
}

task<void> progress_reporter::tick_loop() {
  if (style_ != style::bar) co_return;
  for (;;) {
    draw();
    co_await sleep_for(250ms);
  }
}

void progress_reporter::close() {
  if (style_ != style::bar) return;
  draw();
  std::fputc('\n', stderr);
  drawn_ = false;
}

void progress_reporter::clear_line() {
  if (style_ == style::bar && drawn_) {
    std::fputs("\r\x1b[K", stderr);  // carriage return, erase to the end of the line
    drawn_ = false;
  }
}

void progress_reporter::draw() {
  winsize ws{};
  const int columns = ::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  char tail[160];
  std::snprintf(tail, sizeof tail, " %zu/%zu%s%s, %s, %.0f/s", done_, total_, failed_ ? ", failed " : "",
                failed_ ? std::to_string(failed_).c_str() : "", human_size(bytes_).c_str(),
                elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0);
  const int room = columns - 1 - static_cast<int>(std::strlen(tail)) - 2;
  std::string line;
  if (room >= 10) {
    const int width = std::min(room, 40);
    const int filled = total_ ? static_cast<int>(static_cast<double>(done_) * width / static_cast<double>(total_)) : width;
    line = "[" + std::string(static_cast<std::size_t>(filled), '#') + std::string(static_cast<std::size_t>(width - filled), '.') + "]";
  }
  line += tail;
  if (line.size() >= static_cast<std::size_t>(columns)) line.resize(static_cast<std::size_t>(columns - 1));
  std::fprintf(stderr, "\r%s\x1b[K", line.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace eddy::tools
