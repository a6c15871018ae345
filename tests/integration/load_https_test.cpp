// SPDX-License-Identifier: MIT
// eddy-test-labels: integration
// `eddy load https://...` against real TLS servers: nginx (request counts equal its access
// log, closed loop, pipelined, and pipelined at a constant rate), `openssl s_server -www` (one
// request per connection, close-delimited), and eddy's own web app with --tls-cert. A
// self-signed certificate fails verification with exit 1 and OpenSSL's reason; --cacert and
// -k let it through. The throwaway certificate is made with `openssl req -x509`.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
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

// Every eddy run is bounded: a hang fails the test instead of stalling the suite.
std::string eddy_load() { return "timeout -s KILL 25 " + quote((build_dir() / "bin" / "eddy").string()) + " load"; }

std::string schema_check() {
  return "python3 " + quote(std::string(EDDY_SOURCE_DIR) + "/tests/integration/load_report_schema.py");
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// name=value from the schema checker's output, or -1.
double reported(const std::string& out, const std::string& name) {
  std::smatch m;
  const std::regex re(name + "=([0-9.]+)");
  return std::regex_search(out, m, re) ? std::stod(m[1]) : -1;
}

bool port_open(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

class LoadHttps : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have("openssl version")) GTEST_SKIP() << "openssl is not installed";
    if (!have("python3 --version")) GTEST_SKIP() << "python3 is not installed";
    char tmpl[] = "/tmp/eddy-load-https-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    cert_ = (dir_ / "cert.pem").string();
    key_ = (dir_ / "key.pem").string();
    // A throwaway self-signed certificate for localhost and 127.0.0.1 (P-256: fast handshakes).
    auto made = sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=localhost"
                   " -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " + quote(key_) + " -out " + quote(cert_) +
                   " 2>&1");
    ASSERT_EQ(made.exit_code, 0) << made.output;
  }
  void TearDown() override {
    if (nginx_started_) sh("kill $(cat " + quote((dir_ / "nginx.pid").string()) + "); sleep 0.3");
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      for (int i = 0; i < 100 && ::kill(pid_, 0) == 0; ++i) ::usleep(50'000);
    }
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  // nginx serving "hello" over TLS 1.2/1.3 on a free port, one line per request in its log.
  void start_nginx() {
    if (!have("nginx -v")) GTEST_SKIP() << "nginx is not installed";
    fs::create_directory(dir_ / "logs");
    port_ = free_port();
    std::ofstream(dir_ / "nginx.conf") << "worker_processes 1;\nmaster_process off;\ndaemon on;\n"
                                       << "error_log " << (dir_ / "logs/error.log").string() << " error;\n"
                                       << "pid " << (dir_ / "nginx.pid").string() << ";\n"
                                       << "events { worker_connections 1024; }\nhttp {\n"
                                       << "  access_log " << (dir_ / "logs/access.log").string() << ";\n"
                                       << "  client_body_temp_path " << (dir_ / "body").string() << ";\n"
                                       << "  proxy_temp_path " << (dir_ / "proxy").string() << ";\n"
                                       << "  fastcgi_temp_path " << (dir_ / "fastcgi").string() << ";\n"
                                       << "  uwsgi_temp_path " << (dir_ / "uwsgi").string() << ";\n"
                                       << "  scgi_temp_path " << (dir_ / "scgi").string() << ";\n"
                                       << "  keepalive_requests 1000000;\n"
                                       << "  server { listen 127.0.0.1:" << port_ << " ssl;\n"
                                       << "    ssl_certificate " << cert_ << ";\n"
                                       << "    ssl_certificate_key " << key_ << ";\n"
                                       << "    ssl_protocols TLSv1.2 TLSv1.3;\n"
                                       << "    location / { default_type text/plain; return 200 \"hello\"; } }\n}\n";
    auto started = sh("nginx -p " + quote(dir_.string()) + " -c " + quote((dir_ / "nginx.conf").string()) + " 2>&1");
    ASSERT_EQ(started.exit_code, 0) << started.output;
    nginx_started_ = true;
  }
  // Stops nginx (so that its log is complete) and returns the access log.
  std::string stop_nginx() {
    if (nginx_started_) sh("kill $(cat " + quote((dir_ / "nginx.pid").string()) + "); sleep 0.3");
    nginx_started_ = false;
    return read_text(dir_ / "logs/access.log");
  }
  // Runs `command` (which serves on port_) in the background with its output in `log`, and
  // waits until the port accepts connections.
  void start_background(const std::string& command, const std::string& log) {
    auto r = sh(command + " >" + quote((dir_ / log).string()) + " 2>&1 & echo $!");
    pid_ = std::atoi(r.output.c_str());
    ASSERT_GT(pid_, 0) << r.output;
    for (int i = 0; i < 100 && !port_open(port_); ++i) ::usleep(50'000);
    ASSERT_TRUE(port_open(port_)) << read_text(dir_ / log);
  }
  // Stops the background server (SIGTERM, waits for it) and returns its output.
  std::string stop_background(const std::string& log) {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      for (int i = 0; i < 100 && ::kill(pid_, 0) == 0; ++i) ::usleep(50'000);
      pid_ = 0;
    }
    return read_text(dir_ / log);
  }
  std::string url(const std::string& path = "/") const { return "https://127.0.0.1:" + std::to_string(port_) + path; }

  fs::path dir_;
  std::string cert_, key_;
  std::uint16_t port_ = 0;
  bool nginx_started_ = false;
  int pid_ = 0;
};

TEST_F(LoadHttps, PipelinedRunOverTlsMatchesNginxsAccessLog) {
  start_nginx();
  auto r = sh(eddy_load() + " " + url() + " -d 1s -c 8 -t 2 --pipeline 4 --cacert " + quote(cert_) +
              " --json 2>&1 | tee " + quote((dir_ / "report.json").string()) + " | " + schema_check());
  const std::string log = stop_nginx();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const double n = reported(r.output, "requests");
  EXPECT_GT(n, 0);
  EXPECT_EQ(static_cast<double>(count_lines_with(log, "\"GET / HTTP/1.1\" 200")), n);
  // Eight connections, eight handshakes, none counted as a request's latency.
  const std::string report = read_text(dir_ / "report.json");
  EXPECT_NE(report.find("\"handshakes\":8"), std::string::npos) << report.substr(0, 400);
  EXPECT_NE(report.find("\"alpn\":\"http/1.1\""), std::string::npos) << report.substr(0, 400);
}

TEST_F(LoadHttps, CountedRunOverTlsMatchesNginxsAccessLogExactly) {
  start_nginx();
  // By name (SNI and the certificate's DNS entry), not by address.
  auto r = sh(eddy_load() + " https://localhost:" + std::to_string(port_) + "/ -n 3000 -c 8 --cacert " + quote(cert_) +
              " --json 2>&1 | " + schema_check());
  const std::string log = stop_nginx();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(reported(r.output, "requests"), 3000);
  EXPECT_EQ(count_lines_with(log, "\"GET / HTTP/1.1\" 200"), 3000u);
}

TEST_F(LoadHttps, PipelinedConstantRateHoldsTheRateAndMatchesTheAccessLog) {
  start_nginx();
  // 2000/s over 4 connections, each with up to 8 requests in flight.
  auto r = sh(eddy_load() + " " + url() + " --rate 2000 -d 2s -c 4 --pipeline 8 --cacert " + quote(cert_) +
              " --json 2>&1 | tee " + quote((dir_ / "report.json").string()) + " | " + schema_check());
  const std::string log = stop_nginx();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const double n = reported(r.output, "requests");
  EXPECT_NEAR(n, 4000.0, 120.0);
  EXPECT_EQ(static_cast<double>(count_lines_with(log, "\"GET / HTTP/1.1\" 200")), n);
  const std::string report = read_text(dir_ / "report.json");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(report, m, std::regex("\"achieved_rate\":([0-9.]+)"))) << report.substr(0, 400);
  EXPECT_NEAR(std::stod(m[1]), 2000.0, 60.0);
  EXPECT_NE(report.find("\"mode\":\"rate\""), std::string::npos);
}

TEST_F(LoadHttps, SelfSignedCertificateFailsVerificationWithItsReason) {
  start_nginx();
  auto r = sh(eddy_load() + " " + url() + " -d 10s -c 4 2>&1");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("certificate verify failed"), std::string::npos) << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex("self.signed certificate"))) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;  // one line, no report
  // The same with -t 2, in rate mode and pipelined: always the error, never a hang.
  auto rate = sh(eddy_load() + " " + url() + " -d 10s -c 4 -t 2 --rate 1000 --pipeline 4 2>&1");
  EXPECT_EQ(rate.exit_code, 1) << rate.output;
  EXPECT_NE(rate.output.find("certificate verify failed"), std::string::npos) << rate.output;
}

TEST_F(LoadHttps, InsecureAndCacertAcceptTheSelfSignedCertificate) {
  start_nginx();
  auto k = sh(eddy_load() + " " + url() + " -n 500 -c 4 -k --json 2>&1 | " + schema_check());
  EXPECT_EQ(k.exit_code, 0) << k.output;
  EXPECT_EQ(reported(k.output, "requests"), 500);
  auto ca = sh(eddy_load() + " " + url() + " -n 500 -c 4 --cacert " + quote(cert_) + " --csv 2>&1");
  EXPECT_EQ(ca.exit_code, 0) << ca.output;
  EXPECT_NE(ca.output.find("tls_handshakes"), std::string::npos) << ca.output;
  EXPECT_EQ(count_lines_with(stop_nginx(), "\"GET / HTTP/1.1\" 200"), 1000u);
  // A certificate that does not name the host fails even with its CA trusted.
  start_nginx();
  auto other = sh(eddy_load() + " https://127.0.0.2:" + std::to_string(port_) + "/ -n 10 -c 1 --cacert " + quote(cert_) + " 2>&1");
  if (other.output.find("cannot connect") == std::string::npos) {  // 127.0.0.2 may not be routable here
    EXPECT_EQ(other.exit_code, 1) << other.output;
    EXPECT_NE(other.output.find("certificate verify failed"), std::string::npos) << other.output;
  }
}

TEST_F(LoadHttps, ScenarioOfHttpsRequestsRunsAndMixedSchemesAreRefused) {
  start_nginx();
  const std::string scenario = (dir_ / "mix.json").string();
  std::ofstream(scenario) << R"({"requests": [{"path": "/a", "weight": 3}, {"path": "/b", "method": "HEAD"}]})";
  auto r = sh(eddy_load() + " --scenario " + quote(scenario) + " " + url() + " -n 400 -c 2 --cacert " + quote(cert_) +
              " --json 2>&1 | " + schema_check());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const std::string log = stop_nginx();
  EXPECT_EQ(count_lines_with(log, "\"GET /a HTTP/1.1\" 200"), 300u);
  EXPECT_EQ(count_lines_with(log, "\"HEAD /b HTTP/1.1\" 200"), 100u);
  std::ofstream(scenario) << R"({"requests": [{"url": "https://127.0.0.1:1/"}, {"url": "http://127.0.0.1:1/"}]})";
  auto mixed = sh(eddy_load() + " --scenario " + quote(scenario) + " -n 10 2>&1");
  EXPECT_EQ(mixed.exit_code, 2) << mixed.output;
  EXPECT_NE(mixed.output.find("same scheme"), std::string::npos) << mixed.output;
}

TEST_F(LoadHttps, OpensslServerAnswersOneRequestPerConnection) {
  // `s_server -www` answers each connection with one close-delimited HTTP/1.0 page, so every
  // request costs a connection and a handshake.
  port_ = free_port();
  start_background("exec openssl s_server -quiet -www -accept 127.0.0.1:" + std::to_string(port_) + " -cert " + quote(cert_) +
                       " -key " + quote(key_),
                   "s_server.log");
  auto r = sh(eddy_load() + " " + url() + " -n 20 -c 1 --cacert " + quote(cert_) + " --json 2>&1 | tee " +
              quote((dir_ / "report.json").string()) + " | " + schema_check());
  stop_background("s_server.log");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(reported(r.output, "requests"), 20);
  const std::string report = read_text(dir_ / "report.json");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(report, m, std::regex("\"handshakes\":([0-9]+)"))) << report.substr(0, 400);
  EXPECT_GE(std::stoi(m[1]), 20);
  EXPECT_NE(report.find("\"errors\":{\"connect\":0,\"read\":0,\"write\":0,\"timeout\":0,\"reset\":0,\"protocol\":0}"),
            std::string::npos)
      << report.substr(0, 600);
}

TEST_F(LoadHttps, EddysOwnTlsWebAppMatchesItsAccessLog) {
  const fs::path webapp = build_dir() / "examples" / "webapp";
  if (!fs::exists(webapp)) GTEST_SKIP() << "the web app was not built";
  port_ = free_port();
  start_background("exec " + quote(webapp.string()) + " --port " + std::to_string(port_) +
                       " --workers 1 --access-log --tls-cert " + quote(cert_) + " --tls-key " + quote(key_),
                   "webapp.log");
  auto r = sh(eddy_load() + " " + url("/plaintext") + " -n 2000 -c 8 -t 2 --pipeline 2 --cacert " + quote(cert_) +
              " --json 2>&1 | " + schema_check());
  const std::string log = stop_background("webapp.log");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(reported(r.output, "requests"), 2000);
  EXPECT_EQ(count_lines_with(log, "\"GET /plaintext\" 200"), 2000u);
}

}  // namespace
