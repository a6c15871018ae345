// SPDX-License-Identifier: MIT
// eddy-test-labels: integration
// Scale-out for real: Debian's nginx, running docker/nginx/nginx.conf (only its listen
// address, upstream servers and file paths rewritten for loopback), in front of three webapp
// processes, with an aiohttp client (scaleout_load.py) counting every request's outcome.
// Mid-run one backend is SIGKILLed and another SIGTERMed. Expected: no request fails except,
// at most, those in flight on the killed one (counted and reported); the SIGTERMed one's
// /ready answers 503 while it still serves, then it drains and exits 0; throughput recovers.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <numeric>
#include <sstream>
#include <thread>

#include "support/child_process.hpp"

namespace {

using namespace eddy::test;
using clock_type = std::chrono::system_clock;  // the load client reports wall-clock times

fs::path source_dir() { return fs::path(EDDY_SOURCE_DIR); }

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

double now_epoch() {
  return std::chrono::duration<double>(clock_type::now().time_since_epoch()).count();
}

// GET `path` on 127.0.0.1:`port` over a fresh connection: the status, or -1 if the connection
// is refused or no status line arrives within a second.
int http_status(int port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int status = -1;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      char buf[64] = {};
      ssize_t n = ::recv(fd, buf, sizeof buf - 1, 0);
      if (n >= 12 && std::string_view(buf, 5) == "HTTP/") status = std::atoi(buf + 9);
    }
  }
  ::close(fd);
  return status;
}

// A child process whose stdout and stderr go to a file; killed (and reaped) if still running.
class child {
 public:
  child(std::vector<std::string> argv, fs::path log) : log_(std::move(log)) {
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
  }
  ~child() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  child(const child&) = delete;
  child& operator=(const child&) = delete;

  std::string output() const { return read(log_); }
  void signal(int sig) const { ::kill(pid_, sig); }
  /// The exit code, or nullopt if it did not exit within `wait` (or died by a signal).
  std::optional<int> wait_exit(std::chrono::milliseconds wait) {
    auto until = std::chrono::steady_clock::now() + wait;
    while (!reaped_ && std::chrono::steady_clock::now() < until) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        if (WIFEXITED(status)) code_ = WEXITSTATUS(status);
      } else {
        std::this_thread::sleep_for(20ms);
      }
    }
    return code_;
  }

 private:
  fs::path log_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::optional<int> code_;
};

// docker/nginx/nginx.conf for loopback: the same file, with the listen address, the upstream
// servers and the paths nginx writes to replaced. Fails (empty result) if the lines the
// rewrite relies on are not in the file any more.
std::string loopback_nginx_conf(int listen_port, const std::vector<int>& backends, const fs::path& dir) {
  std::string conf = read(source_dir() / "docker/nginx/nginx.conf");
  const std::string upstream_line = "        server webapp:8000 max_fails=1 fail_timeout=5s;\n";
  const std::string listen_line = "        listen 8080;\n";
  const std::string http_line = "http {\n";
  auto at_upstream = conf.find(upstream_line), at_listen = conf.find(listen_line), at_http = conf.find(http_line);
  if (at_upstream == std::string::npos || at_listen == std::string::npos || at_http == std::string::npos) return {};
  std::string servers;
  for (int p : backends) servers += "        server 127.0.0.1:" + std::to_string(p) + " max_fails=1 fail_timeout=5s;\n";
  conf.replace(at_upstream, upstream_line.size(), servers);
  at_listen = conf.find(listen_line);
  conf.replace(at_listen, listen_line.size(), "        listen 127.0.0.1:" + std::to_string(listen_port) + ";\n");
  std::string paths;
  for (const char* t : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"})
    paths += std::string("    ") + t + "_temp_path " + (dir / (std::string(t) + "_temp")).string() + ";\n";
  conf.insert(conf.find(http_line) + http_line.size(), paths);
  return conf;
}

struct load_report {
  long ok = 0;
  std::vector<long> per_second;
  std::vector<std::pair<double, std::string>> failures;  // time, what
  bool parsed = false;
};

// The load client's JSON line, read with a few regexes (the format is ours and flat).
load_report parse_report(const std::string& out) {
  load_report r;
  std::smatch m;
  if (!std::regex_search(out, m, std::regex(R"(\{"ok": (\d+), "per_second": \[([\d, ]*)\], "failures": \[(.*)\]\})")))
    return r;
  r.ok = std::stol(m[1]);
  std::string per = m[2];
  const std::regex number(R"(\d+)");
  for (auto it = std::sregex_iterator(per.begin(), per.end(), number); it != std::sregex_iterator(); ++it)
    r.per_second.push_back(std::stol(it->str()));
  std::string failures = m[3];
  std::regex one(R"re(\{"t": ([\d.]+), "what": "((?:[^"\\]|\\.)*)"\})re");
  for (auto it = std::sregex_iterator(failures.begin(), failures.end(), one); it != std::sregex_iterator(); ++it)
    r.failures.emplace_back(std::stod((*it)[1]), (*it)[2]);
  r.parsed = true;
  return r;
}

TEST(Scaleout, NginxKeepsServingThroughAKilledAndADrainedBackend) {
  if (!have("nginx -v")) GTEST_SKIP() << "nginx is not installed";
  auto py = python_with_aiohttp();
  if (!py) GTEST_SKIP() << "python3-aiohttp is not installed";
  constexpr int concurrency = 16;
  constexpr double run_seconds = 9;

  // Three backends, one worker each; nginx on loopback is their only trusted proxy.
  std::vector<std::unique_ptr<server_process>> backends;
  for (int i = 0; i < 3; ++i) {
    backends.push_back(std::make_unique<server_process>(
        build_dir() / "examples" / "webapp",
        std::vector<std::string>{"--host", "127.0.0.1", "--port", "0", "--workers", "1", "--trusted-proxy", "127.0.0.1",
                                 "--shutdown-delay-ms", "1500", "--graceful-timeout-ms", "5000"}));
    ASSERT_TRUE(backends.back()->error().empty()) << backends.back()->error();
  }
  server_process& killed = *backends[0];
  server_process& drained = *backends[1];
  server_process& survivor = *backends[2];

  char dir_template[] = "/tmp/eddy-scaleout-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const fs::path dir = dir_template;
  ::chmod(dir.c_str(), 0755);  // nginx's workers (nobody, when the test runs as root) use it
  int nginx_port = -1;
  std::unique_ptr<child> nginx;
  for (int attempt = 0; attempt < 3 && !nginx; ++attempt) {
    nginx_port = free_port();
    std::string conf = loopback_nginx_conf(nginx_port, {killed.port(), drained.port(), survivor.port()}, dir);
    ASSERT_FALSE(conf.empty()) << "docker/nginx/nginx.conf lacks the lines this test rewrites";
    std::ofstream(dir / "nginx.conf") << conf;
    nginx = std::make_unique<child>(
        std::vector<std::string>{"nginx", "-p", dir.string() + "/", "-c", (dir / "nginx.conf").string(), "-e",
                                 (dir / "error.log").string(), "-g",
                                 "daemon off; pid " + (dir / "nginx.pid").string() + ";"},
        dir / "nginx.out");
    bool up = false;
    for (int i = 0; i < 100 && !up; ++i) {
      up = http_status(nginx_port, "/plaintext") == 200;
      if (!up) std::this_thread::sleep_for(50ms);
    }
    if (!up) {
      std::string why = read(dir / "error.log");
      nginx.reset();
      if (why.find("Address already in use") == std::string::npos) FAIL() << "nginx did not start: " << why;
    }
  }
  ASSERT_TRUE(nginx) << "nginx found no free port";
  // The one nginx.conf serves: every backend gets requests through it.
  for (int i = 0; i < 12; ++i) ASSERT_EQ(http_status(nginx_port, "/plaintext"), 200);

  child load({*py, (source_dir() / "tests/integration/scaleout_load.py").string(),
              "http://127.0.0.1:" + std::to_string(nginx_port) + "/plaintext", std::to_string(concurrency),
              std::to_string(run_seconds), "Hello, World!"},
             dir / "load.out");
  double started = 0;
  for (int i = 0; i < 200 && started == 0; ++i) {
    std::smatch m;
    std::string out = load.output();
    if (std::regex_search(out, m, std::regex(R"(started ([\d.]+))"))) started = std::stod(m[1]);
    else std::this_thread::sleep_for(25ms);
  }
  ASSERT_GT(started, 0) << load.output();
  auto sleep_until_epoch = [](double t) {
    double left = t - now_epoch();
    if (left > 0) std::this_thread::sleep_for(std::chrono::duration<double>(left));
  };

  // Second 3: SIGKILL, with requests in flight on it.
  sleep_until_epoch(started + 3);
  const double kill_time = now_epoch();
  ::kill(killed.pid(), SIGKILL);
  killed.wait_exit(2s);

  // Second 5: SIGTERM. /ready must fail while the app still answers (the shutdown delay),
  // then connections are refused, and the process drains and exits 0.
  sleep_until_epoch(started + 5);
  const double term_time = now_epoch();
  ::kill(drained.pid(), SIGTERM);
  bool saw_not_ready = false, saw_served_while_not_ready = false, saw_refused = false;
  const auto poll_until = std::chrono::steady_clock::now() + 8s;
  while (std::chrono::steady_clock::now() < poll_until && !saw_refused) {
    int ready = http_status(drained.port(), "/ready");
    if (ready == 503) {
      saw_not_ready = true;
      if (http_status(drained.port(), "/plaintext") == 200) saw_served_while_not_ready = true;
    }
    if (ready == -1) saw_refused = true;
    else std::this_thread::sleep_for(50ms);
  }
  const auto drained_exit = drained.wait_exit(10s);

  ASSERT_EQ(load.wait_exit(std::chrono::milliseconds(static_cast<int>(run_seconds * 1000)) + 20s),
            std::optional<int>(0))
      << load.output();
  auto report = parse_report(load.output());
  ASSERT_TRUE(report.parsed) << load.output();
  auto metrics = sh("curl -sS --max-time 5 http://127.0.0.1:" + std::to_string(survivor.port()) + "/metrics").output;

  nginx->signal(SIGQUIT);  // graceful stop
  nginx->wait_exit(5s);

  // Report what happened.
  std::string seconds;
  for (long n : report.per_second) seconds += std::to_string(n) + " ";
  std::printf("scaleout: %ld ok, %zu failed; ok per second: %s\n", report.ok, report.failures.size(), seconds.c_str());
  for (const auto& [t, what] : report.failures) std::printf("  failure at +%.3f s: %s\n", t - started, what.c_str());
  ::testing::Test::RecordProperty("requests_ok", static_cast<int>(report.ok));
  ::testing::Test::RecordProperty("requests_failed", static_cast<int>(report.failures.size()));

  // The drained backend: /ready flipped first, it served meanwhile, then refused new
  // connections, finished and exited cleanly.
  EXPECT_TRUE(saw_not_ready) << drained.output();
  EXPECT_TRUE(saw_served_while_not_ready);
  EXPECT_TRUE(saw_refused);
  EXPECT_EQ(drained_exit, std::optional<int>(0)) << drained.output();
  EXPECT_NE(drained.output().find("event=draining ready=false"), std::string::npos) << drained.output();
  EXPECT_NE(drained.output().find("event=stopped"), std::string::npos) << drained.output();

  // Failures: only requests that were in flight on the killed backend may fail, so at most
  // one per client connection, and only around the kill (none from the drain).
  EXPECT_LE(report.failures.size(), static_cast<std::size_t>(concurrency));
  for (const auto& [t, what] : report.failures) {
    EXPECT_GE(t, kill_time - 0.05) << what;
    EXPECT_LT(t, term_time) << what;
  }

  // Throughput recovers: the last whole second, served by the one remaining backend, carries
  // a real share of what three carried before the kill (loose: the machine is shared).
  ASSERT_GE(report.per_second.size(), 8u);
  const double before = (report.per_second[1] + report.per_second[2]) / 2.0;
  const long last = report.per_second[7];
  EXPECT_GT(before, 0);
  EXPECT_GE(static_cast<double>(last), before / 4) << seconds;
  // The survivor took load and counts it in its metrics.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(metrics, m,
                                std::regex(R"(eddy_http_requests_total\{route="/plaintext",method="GET",status="200"\} (\d+))")))
      << metrics;
  EXPECT_GT(std::stol(m[1]), 0);

  fs::remove_all(dir);
}

}  // namespace
