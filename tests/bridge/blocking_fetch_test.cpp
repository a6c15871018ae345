// SPDX-License-Identifier: MIT
// eddy-test-labels: threads integration
// libcurl's blocking easy API through to_thread, against a tiny local HTTP server.
#include "eddy/bridge/to_thread.hpp"

#include <curl/curl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "eddy/core/awaitable_traits.hpp"
#include "eddy/core/when_all.hpp"
#include "eddy/runtime/sleep.hpp"
#include "eddy/runtime/spawn.hpp"
#include "support/test_loop.hpp"

using namespace eddy;
using namespace std::chrono_literals;

namespace {

// One thread per connection; each response is delayed so that concurrent requests overlap.
class slow_http_server {
 public:
  slow_http_server() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd_, 64), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~slow_http_server() {
    ::shutdown(fd_, SHUT_RDWR);
    acceptor_.join();
    for (auto& t : handlers_) t.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  int max_concurrent() const { return max_concurrent_.load(); }

 private:
  void accept_loop() {
    for (;;) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      handlers_.emplace_back([this, c] { serve(c); });
    }
  }
  void serve(int c) {
    const int now = ++active_;
    int seen = max_concurrent_.load();
    while (now > seen && !max_concurrent_.compare_exchange_weak(seen, now)) {
    }
    char buf[4096];
    std::string req;
    while (req.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::read(c, buf, sizeof buf);
      if (n <= 0) break;
      req.append(buf, static_cast<size_t>(n));
    }
    std::this_thread::sleep_for(100ms);
    std::string path = req.substr(4, req.find(' ', 4) - 4);
    std::string body = "you asked for " + path;
    std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                       "\r\nConnection: close\r\n\r\n" + body;
    (void)::write(c, resp.data(), resp.size());
    --active_;
    ::close(c);
  }
  int fd_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  std::vector<std::thread> handlers_;
  std::atomic<int> active_{0};
  std::atomic<int> max_concurrent_{0};
};

std::string fetch_blocking(const std::string& url) {
  CURL* curl = curl_easy_init();
  std::string body;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, +[](char* p, size_t n, size_t m, void* s) {
    static_cast<std::string*>(s)->append(p, n * m);
    return n * m;
  });
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) throw std::runtime_error(curl_easy_strerror(rc));
  return body;
}

}  // namespace

TEST(BlockingFetch, CurlRequestsRunConcurrentlyWhileTheLoopServesTimers) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  slow_http_server server;
  thread_pool pool({.threads = 4});
  auto body = [&]() -> task<void> {
    int ticks = 0;
    auto ticker = spawn([](int& t) -> task<void> {
      for (;;) {
        co_await sleep_for(5ms);
        ++t;
      }
    }(ticks));
    std::vector<task<std::string>> fetches;
    const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
    for (int i = 0; i < 4; ++i) fetches.push_back(as_task(run_in(pool, fetch_blocking, base + "/" + std::to_string(i))));
    auto bodies = co_await when_all(std::move(fetches));
    for (int i = 0; i < 4; ++i) EXPECT_EQ(bodies[i], "you asked for /" + std::to_string(i));
    EXPECT_GT(ticks, 0);  // every fetch blocks a worker >= 100 ms; the loop kept ticking
    ticker.cancel();
  };
  test::run_real(body());
  EXPECT_GE(server.max_concurrent(), 2);
  curl_global_cleanup();
}

TEST(BlockingFetch, AConnectionErrorIsRethrownInTheTask) {
  auto body = []() -> task<void> {
    bool failed = false;
    try {
      // Port 1 on loopback: nothing listens there.
      (void)co_await to_thread(fetch_blocking, std::string("http://127.0.0.1:1/"));
    } catch (const std::runtime_error&) {
      failed = true;
    }
    EXPECT_TRUE(failed);
  };
  test::run_real(body());
}
