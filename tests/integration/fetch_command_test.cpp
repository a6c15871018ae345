// SPDX-License-Identifier: MIT
// eddy-test-labels: threads integration
// `eddy fetch` against an in-process http::app (echo of method, headers and body; a flaky
// route; a slow route) and against nginx serving static files: bodies written byte-exact,
// JSON lines parsed by python3, URLs from a file, a clear message and exit status 1 for
// each kind of failure, retries, usage errors and --help.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <future>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <eddy/http/app.hpp>
#include <eddy/net/tcp_listener.hpp>
#include <eddy/runtime/run.hpp>
#include <eddy/runtime/sleep.hpp>
#include <eddy/runtime/spawn.hpp>

#include "support/child_process.hpp"

using namespace eddy::test;
namespace http = eddy::http;

namespace {

std::string eddy_exe() { return quote((build_dir() / "bin" / "eddy").string()); }

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// An http::app on its own thread and loop: /echo/... answers with the request's method,
// X-Test header, Content-Type and body as JSON; /flaky/N fails with 503 N times, then
// answers; /slow sleeps 5 s; /status/N answers N.
class echo_server {
 public:
  echo_server() {
    std::promise<std::uint16_t> ready;
    auto port = ready.get_future();
    thread_ = std::thread([this, &ready] { eddy::run(serve(ready), {.cancel_on_sigint = false}); });
    port_ = port.get();
  }
  ~echo_server() {
    loop_.load()->post([this] { handle_->cancel(); });
    thread_.join();
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  std::uint16_t port() const noexcept { return port_; }

 private:
  eddy::task<void> serve(std::promise<std::uint16_t>& ready) {
    http::app app("fetch-test");
    const auto all = http::router::bit(http::method::get) | http::router::bit(http::method::post) |
                     http::router::bit(http::method::put) | http::router::bit(http::method::del) |
                     http::router::bit(http::method::patch) | http::router::bit(http::method::head);
    app.route(all, "/echo/<rest:path>", [](http::request& req) -> eddy::task<http::response> {
      co_return http::response::json({{"method", std::string(req.method_name())},
                                      {"x_test", std::string(req.header("X-Test").value_or(""))},
                                      {"content_type", std::string(req.header("Content-Type").value_or(""))},
                                      {"body", std::string(req.body())}});
    });
    app.get("/flaky/<n:int>", [this](http::request& req) -> eddy::task<http::response> {
      if (flaky_calls_++ < req.param<int>("n")) co_return http::response::text("try again", 503);
      co_return http::response::text("finally");
    });
    app.get("/slow", [](http::request&) -> eddy::task<http::response> {
      co_await eddy::sleep_for(std::chrono::seconds(5));
      co_return http::response::text("late");
    });
    app.get("/status/<n:int>", [](http::request& req) -> eddy::task<http::response> {
      co_return http::response::text("status", req.param<int>("n"));
    });
    eddy::tcp_listener listener(eddy::address::parse("127.0.0.1", 0).value());
    http::serve_options options;
    options.graceful_timeout = std::chrono::milliseconds(100);
    auto h = eddy::spawn(app.serve(listener, options));
    handle_ = &h;
    loop_ = eddy::event_loop::current();
    ready.set_value(listener.local_address().port());
    try {
      co_await h;
    } catch (const eddy::cancelled_error&) {
    }
  }

  std::thread thread_;
  std::atomic<eddy::event_loop*> loop_{nullptr};
  eddy::join_handle<void>* handle_ = nullptr;
  std::uint16_t port_ = 0;
  int flaky_calls_ = 0;  // loop thread only
};

// A port nothing listens on (bound, then closed again).
int unused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

class FetchCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/eddy-fetch-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ::chmod(tmpl, 0755);  // nginx may read from here
  }
  void TearDown() override {
    if (nginx_pid_ > 0) {
      sh("kill " + std::to_string(nginx_pid_));
      sh("for i in $(seq 50); do kill -0 " + std::to_string(nginx_pid_) + " 2>/dev/null || exit 0; sleep 0.1; done");
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // nginx on loopback serving dir_/www; returns its base URL ("" when it did not start).
  std::string start_nginx() {
    const int port = unused_port();
    fs::create_directories(dir_ / "nginx");
    std::ofstream(dir_ / "nginx" / "nginx.conf")
        << "worker_processes 1;\nmaster_process off;\ndaemon off;\nerror_log " << (dir_ / "nginx" / "error.log").string()
        << " error;\npid " << (dir_ / "nginx" / "nginx.pid").string()
        << ";\nevents { worker_connections 1024; }\nhttp {\n  access_log off;\n  keepalive_timeout 2s;\n"
        << "  client_body_temp_path " << (dir_ / "nginx").string() << ";\n  proxy_temp_path " << (dir_ / "nginx").string()
        << ";\n  fastcgi_temp_path " << (dir_ / "nginx").string() << ";\n  uwsgi_temp_path " << (dir_ / "nginx").string()
        << ";\n  scgi_temp_path " << (dir_ / "nginx").string() << ";\n  server {\n    listen 127.0.0.1:" << port
            << ";\n    root " << (dir_ / "www").string() << ";\n  }\n}\n";
    auto started = sh("nginx -p " + quote((dir_ / "nginx").string()) + " -c " +
                      quote((dir_ / "nginx" / "nginx.conf").string()) + " >/dev/null 2>&1 & echo $!");
    nginx_pid_ = std::atoi(started.output.c_str());
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    if (sh("for i in $(seq 100); do curl -s -o /dev/null " + quote(base + "/") + " && exit 0; sleep 0.05; done; exit 1")
            .exit_code != 0) {
      return "";
    }
    return base;
  }

  fs::path dir_;
  int nginx_pid_ = 0;
};

TEST_F(FetchCommand, HelpDescribesTheOptions) {
  auto r = sh(eddy_exe() + " fetch --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* opt : {"--input-file", "--concurrency", "--output-dir", "--timeout", "--retries", "--method",
                          "--header", "--data", "--json", "--insecure", "--no-progress"}) {
    EXPECT_NE(r.output.find(opt), std::string::npos) << opt << "\n" << r.output;
  }
}

TEST_F(FetchCommand, WritesManyBodiesFromNginxByteExact) {
  if (!have("nginx -v") || !have("curl --version")) GTEST_SKIP() << "nginx or curl is not installed";
  fs::create_directories(dir_ / "www" / "a");
  fs::create_directories(dir_ / "www" / "b");
  std::mt19937 rng(42);
  constexpr int files = 150;
  for (int i = 0; i < files; ++i) {
    std::string body(rng() % 20000, '\0');
    for (auto& c : body) c = static_cast<char>(rng());
    std::ofstream(dir_ / "www" / ("f" + std::to_string(i) + ".bin"), std::ios::binary) << body;
  }
  std::ofstream(dir_ / "www" / "a" / "same.txt") << "from a";
  std::ofstream(dir_ / "www" / "b" / "same.txt") << "from b";
  const std::string base = start_nginx();
  ASSERT_FALSE(base.empty()) << read_file(dir_ / "nginx" / "error.log");
  fs::create_directories(dir_ / "out");
  std::ofstream(dir_ / "out" / "f0.bin") << "was here first";  // must survive

  std::string args;
  for (int i = 0; i < files; ++i) args += " " + quote(base + "/f" + std::to_string(i) + ".bin");
  args += " " + quote(base + "/a/same.txt") + " " + quote(base + "/b/same.txt");
  auto r = sh(eddy_exe() + " fetch -c 16 -o " + quote((dir_ / "out").string()) + args);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(std::to_string(files + 2) + " URLs: " + std::to_string(files + 2) + " ok, 0 failed"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(read_file(dir_ / "out" / "f0.bin"), "was here first");
  EXPECT_EQ(read_file(dir_ / "out" / "f0-1.bin"), read_file(dir_ / "www" / "f0.bin"));
  for (int i = 1; i < files; ++i) {
    const std::string name = "f" + std::to_string(i) + ".bin";
    ASSERT_EQ(read_file(dir_ / "out" / name), read_file(dir_ / "www" / name)) << name;
  }
  EXPECT_EQ(read_file(dir_ / "out" / "same.txt"), "from a");
  EXPECT_EQ(read_file(dir_ / "out" / "same-1.txt"), "from b");
}

TEST_F(FetchCommand, PrintsJsonLinesThatPythonParses) {
  if (!have("python3 --version")) GTEST_SKIP() << "python3 is not installed";
  echo_server server;
  auto r = sh(eddy_exe() + " fetch --json --no-progress " + quote(server.url("/echo/one")) + " " +
              quote(server.url("/status/404")) + " 2>/dev/null | python3 -c '" +
              "import json, sys\n"
              "rows = sorted((json.loads(l) for l in sys.stdin), key=lambda r: r[\"index\"])\n"
              "for r in rows: print(r[\"index\"], r[\"ok\"], r[\"status\"], r[\"bytes\"] > 0, r[\"attempts\"], r[\"error\"])\n"
              "'");
  EXPECT_EQ(r.output, "0 True 200 True 1 None\n1 False 404 True 1 HTTP 404 Not Found\n");
}

TEST_F(FetchCommand, ReportsEachKindOfFailureClearlyAndExitsWithOne) {
  echo_server server;
  const std::string refused = "http://127.0.0.1:" + std::to_string(unused_port()) + "/";
  auto r = sh(eddy_exe() + " fetch --no-progress --retries 0 --timeout 3 " + quote(server.url("/echo/fine")) + " " +
              quote(refused) + " " + quote("http://no-such-host.invalid/") + " " + quote(server.url("/slow")) + " " +
              quote("https://127.0.0.1:" + std::to_string(server.port()) + "/") + " " + quote("not a url") + " " +
              quote(server.url("/status/500")));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("7 URLs: 1 ok, 6 failed"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(refused + ": connection refused"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("no-such-host.invalid/: DNS: cannot resolve host 'no-such-host.invalid'"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("/slow: timeout"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("https://127.0.0.1:" + std::to_string(server.port()) + "/: TLS: "), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("not a url: invalid URL"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("/status/500: HTTP 500"), std::string::npos) << r.output;
}

TEST_F(FetchCommand, RetriesATransientFailureWithBackoff) {
  echo_server server;
  auto r = sh(eddy_exe() + " fetch --json --retries 3 " + quote(server.url("/flaky/2")) + " 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("\"attempts\":3"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("HTTP 503 Service Unavailable; retry 1 of 3"), std::string::npos) << r.output;
  auto once = sh(eddy_exe() + " fetch --retries 0 " + quote(server.url("/flaky/5")));
  EXPECT_EQ(once.exit_code, 1) << once.output;
}

TEST_F(FetchCommand, ReadsUrlsFromAFileAndFromStdin) {
  echo_server server;
  std::ofstream(dir_ / "urls.txt") << "# a comment\n" << server.url("/echo/1") << "\n\n   " << server.url("/echo/2")
                                   << "  \r\n";
  auto r = sh(eddy_exe() + " fetch --no-progress -i " + quote((dir_ / "urls.txt").string()) + " " +
              quote(server.url("/echo/0")));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("3 URLs: 3 ok"), std::string::npos) << r.output;
  for (const char* p : {"/echo/0", "/echo/1", "/echo/2"}) EXPECT_NE(r.output.find(server.url(p)), std::string::npos);
  auto piped = sh("cat " + quote((dir_ / "urls.txt").string()) + " | " + eddy_exe() + " fetch --no-progress -i -");
  EXPECT_NE(piped.output.find("2 URLs: 2 ok"), std::string::npos) << piped.output;
}

TEST_F(FetchCommand, SendsTheMethodHeadersAndDataToTheServer) {
  echo_server server;
  const std::string out = quote((dir_ / "out").string());
  auto r = sh(eddy_exe() + " fetch -o " + out + " -X put -H 'X-Test: yes please' -H 'Content-Type: text/plain' -d " +
              quote("hello body") + " " + quote(server.url("/echo/put")));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(read_file(dir_ / "out" / "put"),
            R"({"method":"PUT","x_test":"yes please","content_type":"text/plain","body":"hello body"})");
  std::ofstream(dir_ / "payload.bin") << "from a file";
  auto post = sh(eddy_exe() + " fetch -o " + out + " -d @" + quote((dir_ / "payload.bin").string()) + " " +
                 quote(server.url("/echo/post")));
  ASSERT_EQ(post.exit_code, 0) << post.output;
  EXPECT_NE(read_file(dir_ / "out" / "post").find(R"("method":"POST")"), std::string::npos);
  EXPECT_NE(read_file(dir_ / "out" / "post").find(R"("body":"from a file")"), std::string::npos);
}

TEST_F(FetchCommand, KeepsFileNamesInsideTheOutputDirectory) {
  if (!have("python3 --version")) GTEST_SKIP() << "python3 is not installed";
  // Python's http.server answers any path, however odd (eddy's server and nginx refuse these).
  std::ofstream(dir_ / "any.py") << "import http.server\n"
                                    "class H(http.server.BaseHTTPRequestHandler):\n"
                                    "    def do_GET(self):\n"
                                    "        b = self.path.encode()\n"
                                    "        self.send_response(200)\n"
                                    "        self.send_header('Content-Length', str(len(b)))\n"
                                    "        self.end_headers()\n"
                                    "        self.wfile.write(b)\n"
                                    "    def log_message(self, *a): pass\n"
                                    "s = http.server.HTTPServer(('127.0.0.1', 0), H)\n"
                                    "print(s.server_address[1], flush=True)\n"
                                    "s.serve_forever()\n";
  const auto started = sh("python3 " + quote((dir_ / "any.py").string()) + " >" + quote((dir_ / "port").string()) +
                          " 2>/dev/null & echo $!");
  const int pid = std::atoi(started.output.c_str());
  sh("for i in $(seq 100); do [ -s " + quote((dir_ / "port").string()) + " ] && exit 0; sleep 0.05; done");
  const std::string base = "http://127.0.0.1:" + std::to_string(std::atoi(read_file(dir_ / "port").c_str()));
  fs::create_directories(dir_ / "out");
  std::string args;
  // A NUL cannot be decoded: the segment is then kept encoded (and its % replaced).
  for (const char* path : {"/x/..%2F..%2Fescape", "/x/%2E%2E", "/x/.hidden", "/x/", "/x/a%00b%20c", "/x/..\\..\\up"})
    args += " " + quote(base + path);
  auto r = sh(eddy_exe() + " fetch --no-progress -o " + quote((dir_ / "out").string()) + args);
  sh("kill " + std::to_string(pid));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir_ / "out")) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"_.._escape", "_.._up", "a_00b_20c", "hidden", "index-1.html", "index.html"}));
  EXPECT_EQ(read_file(dir_ / "out" / "_.._escape"), "/x/..%2F..%2Fescape");
  EXPECT_FALSE(fs::exists(dir_ / "escape"));
  EXPECT_FALSE(fs::exists(dir_.parent_path() / "escape"));
}

TEST_F(FetchCommand, RefusesAnUntrustedCertificateUnlessToldToBeInsecure) {
  if (!have("openssl version") || !have("curl --version")) GTEST_SKIP() << "openssl or curl is not installed";
  const std::string key = (dir_ / "key.pem").string(), cert = (dir_ / "cert.pem").string();
  ASSERT_EQ(sh("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -keyout " + quote(key) +
               " -out " + quote(cert))
                .exit_code,
            0);
  const int port = unused_port();
  const auto started = sh("openssl s_server -quiet -www -accept " + std::to_string(port) + " -cert " + quote(cert) +
                          " -key " + quote(key) + " >/dev/null 2>&1 & echo $!");
  const int pid = std::atoi(started.output.c_str());
  const std::string url = "https://127.0.0.1:" + std::to_string(port) + "/";
  sh("for i in $(seq 100); do curl -sk -o /dev/null " + quote(url) + " && exit 0; sleep 0.05; done");
  auto strict = sh(eddy_exe() + " fetch --no-progress " + quote(url));
  auto insecure = sh(eddy_exe() + " fetch --no-progress --insecure " + quote(url));
  sh("kill " + std::to_string(pid));
  EXPECT_EQ(strict.exit_code, 1) << strict.output;
  EXPECT_NE(strict.output.find(url + ": TLS: certificate verify failed"), std::string::npos) << strict.output;
  EXPECT_NE(strict.output.find("--insecure"), std::string::npos) << strict.output;
  EXPECT_EQ(insecure.exit_code, 0) << insecure.output;
  EXPECT_NE(insecure.output.find("1 URL: 1 ok"), std::string::npos) << insecure.output;
}

TEST_F(FetchCommand, DrawsABarOnATerminalAndPlainLinesOtherwise) {
  if (!have("script --version")) GTEST_SKIP() << "script (util-linux) is not installed";
  echo_server server;
  const std::string urls = " " + quote(server.url("/echo/a")) + " " + quote(server.url("/echo/b"));
  // script(1) gives the command a pseudo-terminal: stderr is a TTY there.
  auto tty = sh("script -qec " + quote(eddy_exe() + " fetch" + urls) + " /dev/null");
  EXPECT_EQ(tty.exit_code, 0) << tty.output;
  EXPECT_NE(tty.output.find("\r["), std::string::npos) << tty.output;
  EXPECT_NE(tty.output.find("] 2/2"), std::string::npos) << tty.output;
  EXPECT_NE(tty.output.find("\x1b[K"), std::string::npos) << tty.output;
  auto plain = sh(eddy_exe() + " fetch" + urls + " 2>&1 >/dev/null");
  EXPECT_EQ(plain.output.find('\r'), std::string::npos) << plain.output;
  EXPECT_NE(plain.output.find("[1/2] 200 "), std::string::npos) << plain.output;
  EXPECT_NE(plain.output.find("[2/2] 200 "), std::string::npos) << plain.output;
  EXPECT_EQ(sh(eddy_exe() + " fetch --no-progress" + urls + " 2>&1 >/dev/null").output, "");
}

TEST_F(FetchCommand, RejectsBadOptionsWithStatusTwo) {
  EXPECT_EQ(sh(eddy_exe() + " fetch").exit_code, 2);
  auto header = sh(eddy_exe() + " fetch -H 'no colon' http://127.0.0.1:1/");
  EXPECT_EQ(header.exit_code, 2);
  EXPECT_NE(header.output.find("bad header 'no colon'"), std::string::npos) << header.output;
  EXPECT_EQ(sh(eddy_exe() + " fetch -X BREW http://127.0.0.1:1/").exit_code, 2);
  EXPECT_NE(sh(eddy_exe() + " fetch -c 0 http://127.0.0.1:1/").exit_code, 0);
  EXPECT_EQ(sh(eddy_exe() + " fetch -i /nonexistent/urls.txt").exit_code, 2);
}

}  // namespace
