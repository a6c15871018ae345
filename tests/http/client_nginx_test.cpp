// SPDX-License-Identifier: MIT
// eddy-test-labels: integration
// The client against Debian's nginx, run here in the foreground on a free loopback port with a
// temporary configuration: gzip on (decoded transparently), a 1 s keep-alive timeout (idle
// connections nginx closed are detected), and a big static file streamed in constant memory.
#include "eddy/http/client.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "eddy/net/address.hpp"
#include "eddy/net/tcp_listener.hpp"
#include "eddy/net/tcp_stream.hpp"
#include "eddy/runtime/sleep.hpp"
#include "support/test_loop.hpp"

extern char** environ;

using namespace std::chrono_literals;
using eddy::task;
namespace http = eddy::http;
namespace fs = std::filesystem;

namespace {

std::string text_file(std::size_t n) {
  std::string s;
  for (int i = 0; s.size() < n; ++i) s += "cat picture number " + std::to_string(i) + "\n";
  s.resize(n);
  return s;
}

// Resident memory of this process in KiB (/proc/self/status VmRSS).
long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

/// nginx in the foreground (no daemon, no master) in a temporary prefix; killed at the end.
class nginx {
 public:
  nginx() {
    dir_ = fs::temp_directory_path() / ("eddy-nginx-" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "www");
    std::ofstream(dir_ / "www" / "cats.txt") << text_file(200 * 1024);
    {
      // A sparse 64 MiB file: nginx sends zeros from the page cache.
      std::ofstream big(dir_ / "www" / "big.bin", std::ios::binary);
      big.seekp((64 << 20) - 1);
      big.put('\0');
    }
    // A free port: bind port 0, note it, release it for nginx.
    {
      eddy::tcp_listener probe(eddy::address::parse("127.0.0.1", 0).value());
      port_ = probe.local_address().port();
    }
    std::string d = dir_.string();
    std::ofstream(dir_ / "nginx.conf")
        << "daemon off; master_process off; worker_processes 1;\n"
        << "pid " << d << "/nginx.pid; error_log " << d << "/error.log;\n"
        << "events { worker_connections 128; }\n"
        << "http {\n  access_log off;\n"
        << "  client_body_temp_path " << d << "/body; proxy_temp_path " << d << "/proxy;\n"
        << "  fastcgi_temp_path " << d << "/fcgi; uwsgi_temp_path " << d << "/uwsgi; scgi_temp_path " << d << "/scgi;\n"
        << "  keepalive_timeout 1s;\n"
        << "  types { text/plain txt; application/octet-stream bin; }\n"
        << "  gzip on; gzip_min_length 0; gzip_types text/plain;\n"
        << "  server { listen 127.0.0.1:" << port_ << "; root " << d << "/www; }\n}\n";
    std::string conf = (dir_ / "nginx.conf").string();
    std::string prefix = d + "/";
    const char* argv[] = {"nginx", "-p", prefix.c_str(), "-c", conf.c_str(), nullptr};
    if (posix_spawn(&pid_, "/usr/sbin/nginx", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) pid_ = -1;
  }
  ~nginx() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  nginx(const nginx&) = delete;
  nginx& operator=(const nginx&) = delete;

  /// Waits until nginx accepts connections; false after about 5 s.
  task<bool> ready() {
    for (int i = 0; i < 500 && pid_ > 0; ++i) {
      auto s = co_await eddy::tcp_stream::connect(eddy::address::parse("127.0.0.1", port_).value());
      if (s) co_return true;
      co_await eddy::sleep_for(10ms);
    }
    co_return false;
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string log() const {
    std::ifstream in(dir_ / "error.log");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  fs::path dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace

TEST(ClientNginx, DecodesWhatNginxGzipsAndReusesTheConnection) {
  if (!fs::exists("/usr/sbin/nginx")) GTEST_SKIP() << "nginx is not installed";
  eddy::test::run_real([&]() -> task<void> {
    nginx server;  // on the loop: picking its port uses a listener
    bool up = co_await server.ready();
    EXPECT_TRUE(up) << server.log();
    if (!up) co_return;
    http::client c;
    for (int i = 0; i < 3; ++i) {
      auto r = co_await c.get(server.base() + "/cats.txt");
      EXPECT_TRUE(r) << r.error().message();
      if (!r) co_return;
      EXPECT_EQ(r->headers().get("Content-Encoding").value_or("-"), "gzip");
      EXPECT_TRUE(r->body().decoding());
      auto t = co_await r->text();
      EXPECT_TRUE(t && *t == text_file(200 * 1024));
      EXPECT_LT(r->body().received(), 100u * 1024);  // it did travel compressed
    }
    EXPECT_EQ(c.pool().opened_total(), 1u);
    // Opting out gets the plain file.
    http::client raw({.decompress = false});
    auto r = co_await raw.get(server.base() + "/cats.txt");
    EXPECT_TRUE(r && !r->headers().contains("Content-Encoding"));
    std::size_t plain = 0;
    if (r) {
      auto t = co_await r->text();
      plain = t ? t->size() : 0;
    }
    EXPECT_EQ(plain, 200u * 1024);
  }());
}

TEST(ClientNginx, DetectsAKeepAliveConnectionNginxClosedWhileIdle) {
  if (!fs::exists("/usr/sbin/nginx")) GTEST_SKIP() << "nginx is not installed";
  eddy::test::run_real([&]() -> task<void> {
    nginx server;  // on the loop: picking its port uses a listener
    bool up = co_await server.ready();
    EXPECT_TRUE(up) << server.log();
    if (!up) co_return;
    http::client c({.idle_timeout = 60s});
    auto a = co_await c.get(server.base() + "/cats.txt");
    // (GCC 12 miscompiles co_await inside ?:, hence the plain ifs.)
    if (a) {
      auto at = co_await a->text();
      EXPECT_TRUE(at);
    }
    EXPECT_EQ(c.pool().idle(), 1u);
    co_await eddy::sleep_for(1500ms);  // past nginx's keepalive_timeout of 1 s
    auto b = co_await c.get(server.base() + "/cats.txt");
    EXPECT_TRUE(b) << b.error().message();
    std::size_t got = 0;
    if (b) {
      auto t = co_await b->text();
      got = t ? t->size() : 0;
    }
    EXPECT_EQ(got, 200u * 1024);
    EXPECT_EQ(c.pool().opened_total(), 2u);  // the dead one was noticed, not used
  }());
}

TEST(ClientNginx, StreamsA64MiBFileInConstantMemory) {
  if (!fs::exists("/usr/sbin/nginx")) GTEST_SKIP() << "nginx is not installed";
  eddy::test::run_real([&]() -> task<void> {
    nginx server;  // on the loop: picking its port uses a listener
    bool up = co_await server.ready();
    EXPECT_TRUE(up) << server.log();
    if (!up) co_return;
    http::client c;
    auto r = co_await c.get(server.base() + "/big.bin");
    EXPECT_TRUE(r) << r.error().message();
    if (!r) co_return;
    EXPECT_EQ(r->content_length().value_or(0), std::uint64_t{64} << 20);
    const long before = rss_kib();
    long peak = before;
    std::uint64_t total = 0;
    std::size_t chunks = 0;
    while (auto ch = co_await r->body().next()) {
      total += ch.bytes.size();
      if (++chunks % 256 == 0) peak = std::max(peak, rss_kib());
    }
    EXPECT_EQ(total, std::uint64_t{64} << 20);
    EXPECT_TRUE(r->body().done());
    // The body went through a fixed buffer: memory grew by far less than the 64 MiB read.
    // AddressSanitizer keeps freed blocks in quarantine for a while, so it gets more room.
#if defined(__SANITIZE_ADDRESS__)
    constexpr long limit_kib = 24 * 1024;
#else
    constexpr long limit_kib = 8 * 1024;
#endif
    EXPECT_LT(peak - before, limit_kib) << "RSS grew by " << (peak - before) << " KiB";
  }());
}
