// SPDX-License-Identifier: MIT
// eddy-test-labels: integration
// The demo web app (examples/webapp) against real clients: curl, Python's http.client and
// aiohttp. The binary is found in ../examples next to this test (or in $EDDY_EXAMPLES_DIR);
// it is started on port 0 and its startup line tells the port. Each client checks the routes
// the README promises; at the end SIGTERM must stop the app cleanly (exit code 0).
#include <gtest/gtest.h>

#include "support/child_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

using namespace eddy::test;


fs::path examples_dir() {
  if (const char* dir = std::getenv("EDDY_EXAMPLES_DIR")) return dir;
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return self.parent_path().parent_path() / "examples";
}

fs::path scripts_dir() { return fs::path(EDDY_SOURCE_DIR) / "tests" / "integration"; }

/// The demo app, started on port 0 with two workers.
class webapp_process : public server_process {
 public:
  webapp_process()
      : server_process(examples_dir() / "webapp", {"--host", "127.0.0.1", "--port", "0", "--workers", "2"}) {}
};


class Webapp : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(app.error().empty()) << app.error();
  }
  void TearDown() override {
    // Whatever the clients did, the app stops cleanly on SIGTERM.
    auto code = app.terminate(10s);
    EXPECT_EQ(code, std::optional<int>(0)) << app.output();
    EXPECT_NE(app.output().find("event=stopped"), std::string::npos) << app.output();
  }
  std::string curl(const std::string& args) { return sh("curl -sS --max-time 20 " + args).output; }

  webapp_process app;
};

TEST_F(Webapp, AnswersCurlOnOneKeepAliveConnectionForTwoUrls) {
  if (!have("curl --version")) GTEST_SKIP() << "curl is not installed";
  std::string out = curl("-w '[%{http_code} %{num_connects}]' " + app.url() + "/plaintext " + app.url() + "/json");
  EXPECT_EQ(out, "Hello, World![200 1]{\"message\":\"Hello, World!\"}[200 0]");
}

TEST_F(Webapp, AnswersCurlOverHttp10) {
  if (!have("curl --version")) GTEST_SKIP() << "curl is not installed";
  std::string out = curl("--http1.0 -i " + app.url() + "/plaintext");
  EXPECT_NE(out.find(" 200 OK\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\r\n\r\nHello, World!"), std::string::npos) << out;
  std::string stream = curl("--http1.0 " + app.url() + "/stream");
  std::string expected;
  for (int i = 1; i <= 10; ++i) expected += "line " + std::to_string(i) + "\n";
  EXPECT_EQ(stream, expected);
}

TEST_F(Webapp, EchoesAChunkedUploadFromCurl) {
  if (!have("curl --version")) GTEST_SKIP() << "curl is not installed";
  fs::path file = fs::temp_directory_path() / ("eddy-webapp-upload-" + std::to_string(::getpid()));
  std::string content;
  for (int i = 0; i < 20000; ++i) content += std::to_string(i) + ",";
  std::ofstream(file, std::ios::binary) << content;
  std::string out = curl("-H 'Transfer-Encoding: chunked' -H 'Content-Type: text/csv' --data-binary @" +
                         quote(file.string()) + " -w '[%{http_code} %{content_type}]' " + app.url() + "/echo");
  fs::remove(file);
  EXPECT_EQ(out, content + "[200 text/csv]");
}

TEST_F(Webapp, ServesRangesAndHeadToCurl) {
  if (!have("curl --version")) GTEST_SKIP() << "curl is not installed";
  EXPECT_EQ(curl("-r 0-5 -w '[%{http_code}]' " + app.url() + "/static/hello.txt"), "static[206]");
  EXPECT_EQ(curl("-w '[%{http_code}]' " + app.url() + "/static/hello.txt"), "static hello\n[200]");
  std::string head = curl("-I " + app.url() + "/plaintext");
  EXPECT_NE(head.find("HTTP/1.1 200 OK"), std::string::npos) << head;
  EXPECT_NE(head.find("Content-Length: 13"), std::string::npos) << head;
  EXPECT_EQ(head.find("Hello"), std::string::npos) << head;
  std::string static_head = curl("-I " + app.url() + "/static/hello.txt");
  EXPECT_NE(static_head.find("Content-Length: 13"), std::string::npos) << static_head;
}

TEST_F(Webapp, ServesTheJsonApiAndTypedRoutesToCurl) {
  if (!have("curl --version")) GTEST_SKIP() << "curl is not installed";
  EXPECT_EQ(curl(app.url() + "/users/7"), R"({"id":7,"name":"user 7"})");
  EXPECT_EQ(curl("-o /dev/null -w '%{http_code}' " + app.url() + "/users/seven"), "404");
  std::string created = curl("-H 'Content-Type: application/json' -d '{\"name\":\"pen\",\"price\":2.5}' -w '[%{http_code}]' " +
                             app.url() + "/api/items");
  EXPECT_EQ(created, R"({"id":1,"name":"pen","price":2.5}[201])");
  std::string bad = curl("-H 'Content-Type: application/json' -d '{\"name\":\"pen\",\"price\":\"x\"}' -w '[%{http_code}]' " +
                         app.url() + "/api/items");
  EXPECT_NE(bad.find("[422]"), std::string::npos) << bad;
  EXPECT_NE(bad.find("price"), std::string::npos) << bad;
  std::string sse = curl(app.url() + "/sse");
  EXPECT_NE(sse.find("event: tick\nid: 3\ndata: tick 3\n\n"), std::string::npos) << sse;
  EXPECT_EQ(curl("--path-as-is -o /dev/null -w '%{http_code}' " + app.url() + "/static/../main.cpp"), "404");
  EXPECT_EQ(curl("--path-as-is -o /dev/null -w '%{http_code}' " + app.url() + "/static/%2e%2e/main.cpp"), "404");
}

TEST_F(Webapp, PassesThePythonHttpClientChecks) {
  if (!have("python3 --version")) GTEST_SKIP() << "python3 is not installed";
  auto r = sh("python3 " + quote((scripts_dir() / "webapp_http_client.py").string()) + " 127.0.0.1 " +
              std::to_string(app.port()));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "OK\n");
}

TEST_F(Webapp, PassesTheAiohttpClientChecks) {
  auto py = python_with_aiohttp();
  if (!py) GTEST_SKIP() << "no python3 with aiohttp (Debian: python3-aiohttp)";
  auto r = sh(*py + " " + quote((scripts_dir() / "webapp_aiohttp.py").string()) + " " + app.url());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "OK\n");
}

TEST_F(Webapp, StopsOnSigtermWhileAClientWaitsOnTheStream) {
  if (!have("curl --version")) GTEST_SKIP() << "curl is not installed";
  // An SSE response is in flight (it takes ~300 ms) when SIGTERM arrives: it completes.
  std::string out;
  std::thread client([&] { out = curl(app.url() + "/sse"); });
  std::this_thread::sleep_for(100ms);
  auto code = app.terminate(10s);
  client.join();
  EXPECT_EQ(code, std::optional<int>(0)) << app.output();
  EXPECT_NE(out.find("data: tick 3"), std::string::npos) << out;
}

TEST_F(Webapp, StopsPromptlyOnSigtermWithIdleKeepAliveConnectionsOpen) {
  // Idle keep-alive connections must not hold the shutdown for the grace period (15 s).
  std::vector<int> fds;
  for (int i = 0; i < 4; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<std::uint16_t>(app.port()));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    std::string req = "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n";
    ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
    char buf[1024];
    pollfd p{fd, POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 5000), 1);
    ASSERT_GT(::recv(fd, buf, sizeof buf, 0), 0);
    fds.push_back(fd);
  }
  auto start = std::chrono::steady_clock::now();
  auto code = app.terminate(10s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(code, std::optional<int>(0)) << app.output();
  for (int fd : fds) ::close(fd);
}

TEST_F(Webapp, AcceptsMultipartUploadsFromCurl) {
  if (!have("curl --version")) GTEST_SKIP() << "curl is not installed";
  auto r = sh("printf 'abcdef' > /tmp/eddy-upload-test.bin && curl -sf -F title=hello "
              "-F 'file=@/tmp/eddy-upload-test.bin;filename=../x.bin' " + quote(app.url() + "/upload"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, R"({"parts":[{"name":"title","filename":"","bytes":5},{"name":"file","filename":"x.bin","bytes":6}]})");
  auto bad = sh("curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: multipart/form-data; boundary=zz' "
                "--data-binary 'not multipart' " + quote(app.url() + "/upload"));
  EXPECT_EQ(bad.output, "400");
}

}  // namespace
