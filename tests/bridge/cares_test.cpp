// SPDX-License-Identifier: MIT
// eddy-test-labels: integration
// c-ares driven by watch_fd on the loop, against a tiny DNS responder that runs on the same
// loop: the whole exchange happens on one thread.
#include "../examples/cares_resolve/cares_resolver.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "support/test_loop.hpp"

using namespace std::chrono_literals;

namespace {

// Answers A queries for a fixed table; unknown names get NXDOMAIN; names starting with
// "silent" get no answer at all (to exercise c-ares' timeout).
class dns_responder {
 public:
  explicit dns_responder(std::map<std::string, std::vector<std::uint32_t>> table) : table_(std::move(table)) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~dns_responder() { ::close(fd_); }
  std::string server() const { return "127.0.0.1:" + std::to_string(port_); }
  int queries() const { return queries_; }
  std::thread::id answered_on() const { return thread_; }

  eddy::task<void> serve() {
    eddy::io_registration reg;
    (void)reg.open(eddy::detail::this_loop(), fd_);
    for (;;) {
      auto r = co_await eddy::watch_fd(reg, eddy::fd_interest::readable);
      if (!r) co_return;  // cancelled
      std::uint8_t q[512];
      sockaddr_in from{};
      socklen_t flen = sizeof from;
      ssize_t n;
      while ((n = ::recvfrom(fd_, q, sizeof q, 0, reinterpret_cast<sockaddr*>(&from), &flen)) > 0) {
        ++queries_;
        thread_ = std::this_thread::get_id();
        auto reply = answer(q, static_cast<size_t>(n));
        if (!reply.empty()) {
          ::sendto(fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), flen);
        }
      }
    }
  }

 private:
  std::vector<std::uint8_t> answer(const std::uint8_t* q, size_t n) {
    if (n < 12) return {};
    // The question name: labels up to the zero byte.
    size_t i = 12;
    std::string name;
    while (i < n && q[i] != 0) {
      size_t len = q[i++];
      if (i + len > n) return {};
      if (!name.empty()) name += '.';
      name.append(reinterpret_cast<const char*>(q + i), len);
      i += len;
    }
    const size_t question_end = i + 5;  // zero byte, QTYPE, QCLASS
    if (question_end > n) return {};
    if (name.rfind("silent", 0) == 0) return {};
    auto it = table_.find(name);
    std::vector<std::uint8_t> r(q, q + question_end);
    r[2] = 0x81;  // QR, RD
    r[3] = it == table_.end() ? 0x83 : 0x80;  // RA, rcode NXDOMAIN or NOERROR
    const std::uint16_t count = it == table_.end() ? 0 : static_cast<std::uint16_t>(it->second.size());
    r[4] = 0, r[5] = 1;                              // QDCOUNT
    r[6] = static_cast<std::uint8_t>(count >> 8), r[7] = static_cast<std::uint8_t>(count);  // ANCOUNT
    r[8] = r[9] = r[10] = r[11] = 0;
    if (it == table_.end()) return r;
    for (std::uint32_t ip : it->second) {
      const std::uint8_t rr[] = {0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4,
                                 std::uint8_t(ip >> 24), std::uint8_t(ip >> 16), std::uint8_t(ip >> 8), std::uint8_t(ip)};
      r.insert(r.end(), std::begin(rr), std::end(rr));
    }
    return r;
  }

  std::map<std::string, std::vector<std::uint32_t>> table_;
  int fd_ = -1;
  int port_ = 0;
  int queries_ = 0;
  std::thread::id thread_;
};

}  // namespace

TEST(CaresResolve, ResolvesNamesConcurrentlyOnTheLoopThread) {
  auto body = []() -> eddy::task<void> {
    dns_responder dns({{"db.test", {0x0A000001}}, {"web.test", {0x0A000002, 0x0A000003}}});
    auto server = eddy::spawn(dns.serve());
    cares_resolver resolver(dns.server());
    auto [db, web] = co_await eddy::when_all(resolver.resolve("db.test"), resolver.resolve("web.test"));
    EXPECT_EQ(db, std::vector<std::string>{"10.0.0.1"});
    EXPECT_EQ(web, (std::vector<std::string>{"10.0.0.2", "10.0.0.3"}));
    EXPECT_EQ(dns.queries(), 2);
    EXPECT_EQ(dns.answered_on(), std::this_thread::get_id());
    server.cancel();
  };
  eddy::test::run_real(body());
}

TEST(CaresResolve, AnUnknownNameIsNotFound) {
  auto body = []() -> eddy::task<void> {
    dns_responder dns({});
    auto server = eddy::spawn(dns.serve());
    cares_resolver resolver(dns.server());
    int status = ARES_SUCCESS;
    try {
      (void)co_await resolver.resolve("nowhere.test");
    } catch (const dns_error& e) {
      status = e.status();
    }
    EXPECT_EQ(status, ARES_ENOTFOUND);
    server.cancel();
  };
  eddy::test::run_real(body());
}

TEST(CaresResolve, ASilentServerTimesOutThroughCaresOwnTimer) {
  auto body = []() -> eddy::task<void> {
    dns_responder dns({});
    auto server = eddy::spawn(dns.serve());
    cares_resolver resolver(dns.server(), 50ms);
    int status = ARES_SUCCESS;
    try {
      (void)co_await resolver.resolve("silent.test");
    } catch (const dns_error& e) {
      status = e.status();
    }
    EXPECT_EQ(status, ARES_ETIMEOUT);
    EXPECT_GE(dns.queries(), 2);  // tries = 2: c-ares retransmitted on its timeout
    server.cancel();
  };
  eddy::test::run_real(body());
}

TEST(CaresResolve, ManySequentialLookupsReuseTheChannel) {
  auto body = []() -> eddy::task<void> {
    dns_responder dns({{"db.test", {0x7F000001}}});
    auto server = eddy::spawn(dns.serve());
    cares_resolver resolver(dns.server());
    for (int i = 0; i < 100; ++i) {
      auto a = co_await resolver.resolve("db.test");
      EXPECT_EQ(a, std::vector<std::string>{"127.0.0.1"});
    }
    server.cancel();
  };
  eddy::test::run_real(body());
}
