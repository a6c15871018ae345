// SPDX-License-Identifier: MIT
// eddy-test-labels: integration
// `eddy load` as users run it, against the demo web app and nginx: the request count in the
// report equals the servers' access logs, the JSON report follows its schema (checked by
// python3), CSV has one row, Ctrl-C gives a partial report, an unreachable target fails.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "support/child_process.hpp"

using namespace eddy::test;

namespace {

std::string eddy_exe() { return quote((build_dir() / "bin" / "eddy").string()); }

std::string schema_check() {
  return "python3 " + quote(std::string(EDDY_SOURCE_DIR) + "/tests/integration/load_report_schema.py");
}

// requests=N from the schema checker's output, or -1.
long reported_requests(const std::string& out) {
  std::smatch m;
  static const std::regex re("requests=([0-9]+)");
  return std::regex_search(out, m, re) ? std::stol(m[1]) : -1;
}

class LoadCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have("python3 --version")) GTEST_SKIP() << "python3 is not installed";
  }
  // The web app with its access log going to a file (a pipe would fill up and stall it).
  void start_webapp() {
    char tmpl[] = "/tmp/eddy-load-webapp-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    const std::uint16_t port = free_port();
    url_ = "http://127.0.0.1:" + std::to_string(port);
    auto r = sh(quote((build_dir() / "examples" / "webapp").string()) + " --port " + std::to_string(port) +
                " --workers 1 --access-log >" + quote((dir_ / "log").string()) + " 2>&1 & echo $!");
    pid_ = std::atoi(r.output.c_str());
    ASSERT_GT(pid_, 0) << r.output;
    for (int i = 0; i < 100 && log().find("event=started") == std::string::npos; ++i) ::usleep(50'000);
    ASSERT_NE(log().find("event=started"), std::string::npos) << log();
  }
  std::string log() const {
    std::ifstream in(dir_ / "log");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  // Stops the web app (SIGTERM, waits for it) and returns its output: one access-log line per
  // request.
  std::string stop_webapp() {
    if (pid_ <= 0) return {};
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100 && ::kill(pid_, 0) == 0; ++i) ::usleep(50'000);
    pid_ = 0;
    return log();
  }
  void TearDown() override {
    stop_webapp();
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }
  std::string url(const std::string& path) const { return url_ + path; }
  fs::path dir_;
  std::string url_;
  int pid_ = 0;
};

TEST_F(LoadCommand, ReportedRequestsEqualTheWebAppsAccessLog) {
  start_webapp();
  auto r = sh(eddy_exe() + " load " + quote(url("/plaintext")) +
              " -n 3000 -c 8 -t 2 --json 2>/dev/null | " + schema_check());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(reported_requests(r.output), 3000);
  EXPECT_EQ(count_lines_with(stop_webapp(), "\"GET /plaintext\" 200"), 3000u);
}

TEST_F(LoadCommand, PipelinedDurationRunMatchesTheWebAppsAccessLog) {
  start_webapp();
  auto r = sh(eddy_exe() + " load " + quote(url("/json")) +
              " -d 1s -c 4 --pipeline 8 --json 2>/dev/null | " + schema_check());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const long n = reported_requests(r.output);
  EXPECT_GT(n, 0);
  EXPECT_EQ(static_cast<long>(count_lines_with(stop_webapp(), "\"GET /json\" 200")), n);
}

TEST_F(LoadCommand, ReportedRequestsEqualNginxsAccessLog) {
  if (!have("nginx -v")) GTEST_SKIP() << "nginx is not installed";
  char tmpl[] = "/tmp/eddy-load-nginx-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const fs::path dir = tmpl;
  fs::create_directory(dir / "logs");
  const std::uint16_t port = free_port();
  std::ofstream(dir / "nginx.conf") << "worker_processes 1;\nmaster_process off;\ndaemon on;\n"
                                    << "error_log " << (dir / "logs/error.log").string() << " error;\n"
                                    << "pid " << (dir / "nginx.pid").string() << ";\n"
                                    << "events { worker_connections 1024; }\nhttp {\n"
                                    << "  access_log " << (dir / "logs/access.log").string() << ";\n"
                                    << "  client_body_temp_path " << (dir / "body").string() << ";\n"
                                    << "  proxy_temp_path " << (dir / "proxy").string() << ";\n"
                                    << "  fastcgi_temp_path " << (dir / "fastcgi").string() << ";\n"
                                    << "  uwsgi_temp_path " << (dir / "uwsgi").string() << ";\n"
                                    << "  scgi_temp_path " << (dir / "scgi").string() << ";\n"
                                    << "  keepalive_requests 1000000;\n"
                                    << "  server { listen 127.0.0.1:" << port << ";\n"
                                    << "    location / { default_type text/plain; return 200 \"hello\"; } }\n}\n";
  auto started = sh("nginx -p " + quote(dir.string()) + " -c " + quote((dir / "nginx.conf").string()));
  ASSERT_EQ(started.exit_code, 0) << started.output;
  auto r = sh(eddy_exe() + " load http://127.0.0.1:" + std::to_string(port) +
              "/ -d 1s -c 8 -t 2 --pipeline 4 --json 2>/dev/null | " + schema_check());
  sh("kill $(cat " + quote((dir / "nginx.pid").string()) + "); sleep 0.3");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream log(dir / "logs/access.log");
  std::stringstream text;
  text << log.rdbuf();
  const long n = reported_requests(r.output);
  EXPECT_GT(n, 0);
  EXPECT_EQ(static_cast<long>(count_lines_with(text.str(), "\"GET / HTTP/1.1\" 200")), n);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

TEST_F(LoadCommand, ConstantRateReportFollowsTheSchema) {
  start_webapp();
  auto r = sh(eddy_exe() + " load " + quote(url("/plaintext")) +
              " --rate 500 -d 1s -c 4 --json 2>/dev/null | " + schema_check());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NEAR(static_cast<double>(reported_requests(r.output)), 500.0, 10.0);
  stop_webapp();
}

TEST_F(LoadCommand, MaxRateSearchReportsTheRateItFoundAndConfirmed) {
  start_webapp();
  // A generous target: the search must find a rate, whatever the machine's load.
  auto r = sh(eddy_exe() + " load " + quote(url("/plaintext")) +
              " --max-rate-search --p99 200ms --step 300ms -d 500ms -c 4 --json 2>/dev/null | " + schema_check());
  EXPECT_NE(r.output.find("found_rate="), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("requests="), std::string::npos) << r.output;
  stop_webapp();
}

TEST_F(LoadCommand, CsvIsAHeaderAndOneRowOfTheSameWidth) {
  start_webapp();
  auto r = sh(eddy_exe() + " load " + quote(url("/plaintext")) + " -n 100 -c 2 --csv 2>/dev/null");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::istringstream in(r.output);
  std::string head, row, extra;
  std::getline(in, head);
  std::getline(in, row);
  EXPECT_FALSE(std::getline(in, extra));
  EXPECT_EQ(std::count(head.begin(), head.end(), ','), std::count(row.begin(), row.end(), ','));
  EXPECT_EQ(head.rfind("url,mode,", 0), 0u) << head;
  EXPECT_NE(row.find(",closed,"), std::string::npos) << row;
  stop_webapp();
}

TEST_F(LoadCommand, InterruptGivesAPartialReport) {
  // timeout(1) sends SIGINT to eddy load and then again to its process group: the copy that
  // follows at once must not count as a second Ctrl-C (which quits without a report).
  start_webapp();
  // 2 s: the signal must come after the handler is installed, even in a slow sanitizer build.
  auto r = sh("timeout --preserve-status -s INT 2 " + eddy_exe() + " load " + quote(url("/plaintext")) +
              " -d 30s -c 2 --json 2>/dev/null | " + schema_check() + "; echo \"exit=${PIPESTATUS:-}\"");
  EXPECT_NE(r.output.find("interrupted=true"), std::string::npos) << r.output;
  EXPECT_GT(reported_requests(r.output), 0) << r.output;
  stop_webapp();
}

TEST_F(LoadCommand, UnreachableTargetExitsNonZeroWithAMessage) {
  auto r = sh(eddy_exe() + " load http://127.0.0.1:" + std::to_string(free_port()) + "/ -d 5s -c 4");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("cannot connect"), std::string::npos) << r.output;
  auto bad = sh(eddy_exe() + " load ftp://127.0.0.1/ -d 1s");
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("http://"), std::string::npos) << bad.output;
}

TEST_F(LoadCommand, HelpListsTheOptions) {
  auto r = sh(eddy_exe() + " load --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* opt : {"--connections", "--rate", "--pipeline", "--latency-correction", "--max-rate-search", "--scenario", "--insecure", "--cacert", "https://"}) {
    EXPECT_NE(r.output.find(opt), std::string::npos) << opt;
  }
}

}  // namespace
