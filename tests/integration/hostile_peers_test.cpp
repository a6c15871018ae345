// SPDX-License-Identifier: MIT
// eddy-test-labels: threads
// Slow and hostile peers against a real server on 127.0.0.1 (the shared server fixture: an
// app on its own loop and thread): slowloris heads, slow bodies, a client that never reads,
// 2,000 connections opened and abandoned, RST at every stage of a request, garbage bytes.
// Throughout, a well-behaved client on another connection must still be served.
#include "http/server_fixture.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace {

// Resident memory of this process (server included: it runs on a thread here), in KiB.
long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

// A raw connection that can be reset (SO_LINGER 0) instead of closed.
int connect_raw(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  return fd;
}
void reset(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

http::serve_options hostile_options() {
  http::serve_options o = standard_options();
  o.header_timeout = 300ms;
  o.body_timeout = 300ms;
  o.write_timeout = 500ms;
  o.keep_alive_timeout = 2s;
  return o;
}

class HostilePeers : public ::testing::Test {
 protected:
  test_server server{standard_routes, hostile_options()};
  std::uint16_t port() const { return server.port(); }
  // A fresh, well-behaved client gets its answer.
  void others_are_served() {
    client good(port());
    auto r = good.roundtrip(get("/hello"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "hello");
  }
};

TEST_F(HostilePeers, SlowlorisHeadsAreClosedAtTheHeaderTimeoutWhileOthersAreServed) {
  std::vector<std::unique_ptr<client>> slow;
  for (int i = 0; i < 20; ++i) {
    slow.push_back(std::make_unique<client>(port()));
    ASSERT_TRUE(slow.back()->send("GET /hello HTTP/1.1\r\nHo"));
  }
  // Trickle a byte now and then: the header timeout runs from the first byte, not per read.
  for (int round = 0; round < 3; ++round) {
    for (auto& c : slow) (void)c->send("s");
    others_are_served();
    std::this_thread::sleep_for(50ms);
  }
  for (auto& c : slow) EXPECT_TRUE(c->closed_within(3s));
  others_are_served();
}

TEST_F(HostilePeers, ASlowBodyIsClosedAtTheBodyTimeout) {
  client slow(port());
  ASSERT_TRUE(slow.send("POST /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\nabc"));
  others_are_served();
  EXPECT_TRUE(slow.closed_within(3s));
  others_are_served();
}

TEST_F(HostilePeers, AClientThatNeverReadsDoesNotMakeTheServerBufferWithoutBound) {
  // 20,000 pipelined requests are about 3 MB of responses per connection; ten such
  // connections that never read must cost the server far less than those 30 MB (it stops
  // reading while a bounded batch of output waits).
  std::string pipeline;
  for (int i = 0; i < 20000; ++i) pipeline += get("/hello");
  const long before = rss_kib();
  std::vector<int> fds;
  for (int i = 0; i < 10; ++i) {
    int fd = connect_raw(port());
    ASSERT_GE(fd, 0);
    int small = 4096;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    fds.push_back(fd);
  }
  // Push as much of the pipeline as the server accepts, for a while.
  std::vector<std::size_t> sent(fds.size(), 0);
  for (int round = 0; round < 30; ++round) {
    for (std::size_t i = 0; i < fds.size(); ++i) {
      while (sent[i] < pipeline.size()) {
        ssize_t n = ::send(fds[i], pipeline.data() + sent[i], pipeline.size() - sent[i], MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n <= 0) break;
        sent[i] += static_cast<std::size_t>(n);
      }
    }
    std::this_thread::sleep_for(10ms);
  }
  // (Loopback socket buffers can take the whole pipeline: the bound is on the server's memory.)
  others_are_served();
  const long grown = rss_kib() - before;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // Sanitizer allocators keep freed memory in quarantine: RSS says nothing about bounds there.
  (void)grown;
#else
  EXPECT_LT(grown, 16 * 1024) << "RSS grew by " << grown << " KiB";
#endif
  for (int fd : fds) ::close(fd);
  others_are_served();
}

TEST_F(HostilePeers, TwoThousandAbandonedConnectionsLeaveTheServerServing) {
  std::vector<int> fds;
  for (int i = 0; i < 2000; ++i) {
    int fd = connect_raw(port());
    if (fd < 0) break;  // the test process's own fd limit
    if (i % 3 == 1) (void)::send(fd, "GET /hel", 8, MSG_NOSIGNAL);
    fds.push_back(fd);
  }
  EXPECT_GE(fds.size(), 1000u);
  others_are_served();
  for (std::size_t i = 0; i < fds.size(); ++i) {
    if (i % 2 == 0) reset(fds[i]);
    else ::close(fds[i]);
  }
  others_are_served();
}

TEST_F(HostilePeers, AResetAtEveryByteOfARequestLeavesTheServerServing) {
  const std::string request = "POST /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello" + get("/hello");
  for (std::size_t cut = 0; cut <= request.size(); ++cut) {
    int fd = connect_raw(port());
    ASSERT_GE(fd, 0);
    (void)::send(fd, request.data(), cut, MSG_NOSIGNAL);
    reset(fd);
  }
  others_are_served();
}

TEST_F(HostilePeers, GarbageGetsAnErrorOrAClosedConnection) {
  std::mt19937 rng(12345);
  for (int i = 0; i < 50; ++i) {
    client bad(port(), 2s);
    std::string junk(1 + rng() % 600, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    (void)bad.send(junk);
    auto r = bad.read_response();
    if (r) {
      EXPECT_GE(r->status, 400) << i;
    }
    EXPECT_TRUE(bad.closed_within(3s)) << i;
  }
  others_are_served();
}

}  // namespace
