// SPDX-License-Identifier: MIT
// eddy-test-labels: integration
// Idle keep-alive connections are cheap: the demo web app holds 10,000 of them (each served
// one request, then left open) in under 1 KiB of memory each once they have parked (the
// target is 1.5 KiB; they take about 520 bytes, and the bound keeps that margin), and
// every one still works. And a burst of large uploads does not stay resident after it.
#include <gtest/gtest.h>

#include "support/child_process.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace eddy::test;

namespace {

fs::path webapp_path() {
  if (const char* dir = std::getenv("EDDY_EXAMPLES_DIR")) return fs::path(dir) / "webapp";
  return build_dir() / "examples" / "webapp";
}

long rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      long kib = -1;
      status >> kib;
      return kib;
    }
  }
  return -1;
}

bool raise_fd_limit(rlim_t want) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return false;
  if (lim.rlim_cur < want) {
    lim.rlim_cur = std::min<rlim_t>(want, lim.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &lim);
    ::getrlimit(RLIMIT_NOFILE, &lim);
  }
  return lim.rlim_cur >= want;
}

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) return fd;
  if (fd >= 0) ::close(fd);
  return -1;
}

// Sends one GET /plaintext and reads the whole response; true for a 200 with its body.
bool get_plaintext(int fd) {
  static constexpr char request[] = "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n";
  if (::send(fd, request, sizeof request - 1, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof request - 1)) return false;
  std::string got;
  char buf[1024];
  while (got.find("Hello, World!") == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) != 1) return false;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got.rfind("HTTP/1.1 200 ", 0) == 0;
}

TEST(WebappIdle, HoldsTenThousandKeepAliveConnectionsInUnderOneKiBEach) {
  constexpr int count = 10000;
  // The app inherits the limit: it needs one descriptor per connection too.
  if (!raise_fd_limit(count + 200)) GTEST_SKIP() << "the descriptor limit is below " << count + 200;
  server_process app(webapp_path(), {"--host", "127.0.0.1", "--port", "0", "--workers", "1"});
  ASSERT_TRUE(app.error().empty()) << app.error();
  {
    // Warm up: the first request's one-time allocations (the date cache, pools) come first.
    int fd = connect_to(app.port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(get_plaintext(fd));
    ::close(fd);
  }
  std::this_thread::sleep_for(100ms);
  const long before = rss_kib(app.pid());
  std::vector<int> fds;
  fds.reserve(count);
  for (int i = 0; i < count; ++i) {
    int fd = connect_to(app.port());
    ASSERT_GE(fd, 0) << "connection " << i;
    fds.push_back(fd);
    ASSERT_TRUE(get_plaintext(fd)) << "connection " << i;
  }
  // Connections park after half a second without a request; give them (and a loaded
  // machine) time, and take the lowest reading.
  long after = rss_kib(app.pid());
  for (auto until = std::chrono::steady_clock::now() + 5s; std::chrono::steady_clock::now() < until;) {
    std::this_thread::sleep_for(250ms);
    const long now = rss_kib(app.pid());
    if (now >= after && static_cast<double>(after - before) * 1024 / count <= 1024.0) break;
    after = std::min(after, now);
  }
  const double per_connection = static_cast<double>(after - before) * 1024 / count;
  std::printf("%d idle keep-alive connections: webapp RSS %ld -> %ld KiB, %.0f bytes each\n", count, before,
              after, per_connection);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  // Sanitizer builds pad every allocation and keep no frame cache; the bound is for real builds.
  EXPECT_LE(per_connection, 1024.0);
#endif
  // Parked connections wake up and answer: a second request on a sample of them.
  for (int i = 0; i < count; i += 97) EXPECT_TRUE(get_plaintext(fds[i])) << "connection " << i;
  // Parked connections do not hold the graceful shutdown (15 s) either.
  const auto stop_start = std::chrono::steady_clock::now();
  EXPECT_EQ(app.terminate(10s), std::optional<int>(0)) << app.output();
  EXPECT_LT(std::chrono::steady_clock::now() - stop_start, 8s);
  for (int fd : fds) ::close(fd);
}

}  // namespace

TEST(WebappIdle, GivesBackTheMemoryOfABurstOfLargeUploads) {
  constexpr int count = 100;
  constexpr std::size_t size = 1 << 20;
  if (!raise_fd_limit(count + 200)) GTEST_SKIP() << "the descriptor limit is below " << count + 200;
  server_process app(webapp_path(), {"--host", "127.0.0.1", "--port", "0", "--workers", "1"});
  ASSERT_TRUE(app.error().empty()) << app.error();
  const std::string head = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(size) + "\r\n\r\n";
  const std::string body(size, 'x');
  long peak = 0;
  for (int round = 0; round < 2; ++round) {
    // All heads first, then all bodies: every upload is in the server's memory at once.
    std::vector<int> fds;
    for (int i = 0; i < count; ++i) {
      int fd = connect_to(app.port());
      ASSERT_GE(fd, 0);
      ASSERT_EQ(::send(fd, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
      fds.push_back(fd);
    }
    for (int fd : fds) {
      for (std::size_t sent = 0; sent < body.size();) {
        const ssize_t n = ::send(fd, body.data() + sent, body.size() - sent, MSG_NOSIGNAL);
        ASSERT_GT(n, 0);
        sent += static_cast<std::size_t>(n);
      }
    }
    for (int fd : fds) {
      std::size_t got = 0;
      char buf[65536];
      while (got < size) {  // the head and the echoed body
        pollfd p{fd, POLLIN, 0};
        ASSERT_EQ(::poll(&p, 1, 10000), 1);
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        ASSERT_GT(n, 0);
        got += static_cast<std::size_t>(n);
      }
      ::close(fd);
    }
    peak = std::max(peak, rss_kib(app.pid()));
  }
  // Once the connections are gone, the bodies' memory is too (it was ~100 MB while they ran:
  // a copy per upload and one per echo); give the loop a moment to close them.
  long after = rss_kib(app.pid());
  for (int i = 0; i < 20 && after > 48 * 1024; ++i) {
    std::this_thread::sleep_for(100ms);
    after = rss_kib(app.pid());
  }
  std::printf("%d concurrent %zu-byte uploads, twice: webapp RSS after %ld KiB\n", count, size, after);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  EXPECT_LE(after, 48 * 1024);
#endif
  EXPECT_EQ(app.terminate(10s), std::optional<int>(0)) << app.output();
}
