// SPDX-License-Identifier: MIT
// Echo load client for bench/run_echo_bench.sh: plain epoll on one thread (no eddy), so that
// it costs about what the C reference server costs per message and measures every server the
// same way.
//
//   echo_load run  HOST PORT CONNECTIONS SIZE SECONDS
//       CONNECTIONS connections each ping-pong one SIZE-byte message at a time for SECONDS;
//       every echoed byte is compared with what was sent. Prints one line of key=value pairs:
//       msgs, bytes, secs, msgs_per_s, mb_per_s, p50_us, p99_us, errors, client_util (CPU
//       seconds of this process per second: near 1.0 means the client is the bottleneck).
//   echo_load count HOST PORT CONNECTIONS SIZE MESSAGES
//       Like `run`, but stops after exactly MESSAGES echoed messages in all (each connection
//       closes once no message is left to start), for cost counts that divide by a known
//       number of messages (bench/run_echo_counts.sh). Waits up to 10 s for an echo, so that
//       a server slowed down by valgrind is not taken for a stalled one.
//   echo_load idle HOST PORT CONNECTIONS
//       Opens CONNECTIONS connections, echoes one byte on each (so the server has accepted and
//       set each up), prints "ready" and keeps them open until stdin closes.
//
// Exit status 1 (with a message on stderr) on any connection error or byte mismatch.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "echo_load: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "echo_load: %s\n", what);
  std::exit(1);
}

int connect_to(const sockaddr_in& addr) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) die("connect");
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

struct connection {
  int fd = -1;
  std::size_t sent = 0;      // bytes of the current message written
  std::size_t received = 0;  // bytes of the current message echoed back
  std::uint32_t seq = 0;     // message number: varies the payload so stale bytes are caught
  bool want_out = false;
  clock_type::time_point start{};
};

// Connection `id`'s payload: deterministic bytes, different for every connection.
void fill(std::vector<char>& buf, std::size_t id) {
  std::uint32_t x = static_cast<std::uint32_t>(id + 1) * 2654435761u;
  for (auto& c : buf) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
}

// Message `seq`: the connection's payload with the message number in its first bytes, so
// that stale or repeated bytes are caught too (the payload is generated once, not per message:
// the client must stay cheaper than the servers it measures).
void stamp(std::vector<char>& buf, std::uint32_t seq) {
  std::memcpy(buf.data(), &seq, std::min(buf.size(), sizeof seq));
}

// When a `run` ends: after `seconds`, or after `messages` messages when that is not zero.
struct run_limit {
  double seconds = 0;
  std::uint64_t messages = 0;
};

int run(const sockaddr_in& addr, std::size_t n, std::size_t size, run_limit limit) {
  std::vector<connection> conns(n);
  // One payload per connection; also what its echo is compared with.
  std::vector<std::vector<char>> expect(n, std::vector<char>(size));
  std::vector<char> rbuf(std::max<std::size_t>(size, 64 * 1024));
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  std::vector<std::uint32_t> lat_ns;
  lat_ns.reserve(1 << 22);
  std::uint64_t msgs = 0, errors = 0;
  std::uint64_t started = 0;  // messages started (count mode: at most limit.messages)

  auto send_more = [&](std::size_t i) {
    auto& c = conns[i];
    while (c.sent < size) {
      ssize_t w = ::send(c.fd, expect[i].data() + c.sent, size - c.sent, MSG_NOSIGNAL);
      if (w < 0) {
        if (errno == EAGAIN) break;
        die("send");
      }
      c.sent += static_cast<std::size_t>(w);
    }
    bool out = c.sent < size;
    if (out != c.want_out) {
      epoll_event ev{};
      ev.events = EPOLLIN | (out ? EPOLLOUT : 0u);
      ev.data.u64 = i;
      if (::epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev) != 0) die("epoll_ctl");
      c.want_out = out;
    }
  };
  auto start_message = [&](std::size_t i) {
    auto& c = conns[i];
    stamp(expect[i], c.seq);
    c.sent = c.received = 0;
    c.start = clock_type::now();
    ++started;
    send_more(i);
  };
  // Count mode: a connection with no message left to start closes.
  auto may_start = [&] { return limit.messages == 0 || started < limit.messages; };

  for (std::size_t i = 0; i < n; ++i) {
    fill(expect[i], i);
    conns[i].fd = connect_to(addr);
    ::fcntl(conns[i].fd, F_SETFL, O_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    if (::epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev) != 0) die("epoll_ctl");
  }
  const auto t0 = clock_type::now();
  const auto end = t0 + std::chrono::duration_cast<clock_type::duration>(
                            std::chrono::duration<double>(limit.seconds));
  std::size_t in_flight = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (may_start()) {
      start_message(i);
      ++in_flight;
    } else {
      ::close(conns[i].fd);
      conns[i].fd = -1;
    }
  }
  std::vector<epoll_event> events(n);
  bool stopping = false;
  const int stall_ms = limit.messages != 0 ? 10'000 : 1000;
  while (in_flight > 0) {
    int k = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), stall_ms);
    if (k < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    if (k == 0) {
      fail(limit.messages != 0 ? "no echo for 10 s: server stalled" : "no echo for 1 s: server stalled");
    }
    const auto now = clock_type::now();
    if (limit.messages == 0 && now >= end) stopping = true;
    for (int e = 0; e < k; ++e) {
      const std::size_t i = events[e].data.u64;
      auto& c = conns[i];
      if (c.fd < 0) continue;
      if (events[e].events & EPOLLOUT) send_more(i);
      if (!(events[e].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) continue;
      ssize_t r = ::recv(c.fd, rbuf.data(), rbuf.size(), 0);
      if (r < 0) {
        if (errno == EAGAIN) continue;
        die("recv");
      }
      if (r == 0) fail("server closed a connection");
      if (c.received + static_cast<std::size_t>(r) > c.sent) fail("server sent bytes never sent to it");
      if (std::memcmp(rbuf.data(), expect[i].data() + c.received, static_cast<std::size_t>(r)) != 0) {
        ++errors;
        fail("echoed bytes differ from the bytes sent");
      }
      c.received += static_cast<std::size_t>(r);
      if (c.received < size) continue;
      ++msgs;
      lat_ns.push_back(static_cast<std::uint32_t>(
          std::min<std::int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - c.start).count(),
                                 UINT32_MAX)));
      ++c.seq;
      if (stopping || !may_start()) {
        ::close(c.fd);
        c.fd = -1;
        --in_flight;
      } else {
        start_message(i);
      }
    }
  }
  const double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
  auto pct = [&](double p) -> double {
    if (lat_ns.empty()) return 0;
    auto idx = static_cast<std::size_t>(p * static_cast<double>(lat_ns.size() - 1));
    std::nth_element(lat_ns.begin(), lat_ns.begin() + static_cast<std::ptrdiff_t>(idx), lat_ns.end());
    return lat_ns[idx] / 1000.0;
  };
  const double p50 = pct(0.50), p99 = pct(0.99);
  const double bytes = static_cast<double>(msgs) * static_cast<double>(size);
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  const double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                     static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  std::printf("msgs=%llu bytes=%.0f secs=%.3f msgs_per_s=%.0f mb_per_s=%.2f p50_us=%.1f p99_us=%.1f errors=%llu "
              "client_util=%.2f\n",
              static_cast<unsigned long long>(msgs), bytes, secs, msgs / secs, bytes / secs / 1e6, p50, p99,
              static_cast<unsigned long long>(errors), cpu / secs);
  return 0;
}

int idle(const sockaddr_in& addr, std::size_t n) {
  std::vector<int> fds;
  fds.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    int fd = connect_to(addr);
    char c = static_cast<char>('a' + i % 26), back = 0;
    if (::send(fd, &c, 1, MSG_NOSIGNAL) != 1) die("send");
    ssize_t r = ::recv(fd, &back, 1, 0);
    if (r < 0) die("recv");
    if (r != 1 || back != c) fail("idle connection: bad echo");
    fds.push_back(fd);
  }
  std::printf("ready\n");
  std::fflush(stdout);
  char buf[64];
  while (::read(0, buf, sizeof buf) > 0) {
  }
  for (int fd : fds) ::close(fd);
  return 0;
}

std::size_t to_count(const char* s, const char* what) {
  char* end = nullptr;
  unsigned long long v = std::strtoull(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v == 0) {
    std::fprintf(stderr, "echo_load: %s must be a positive integer, got '%s'\n", what, s);
    std::exit(2);
  }
  return static_cast<std::size_t>(v);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (!(((mode == "run" || mode == "count") && argc == 7) || (mode == "idle" && argc == 5))) {
    std::fprintf(stderr,
                 "usage: echo_load run HOST PORT CONNECTIONS SIZE SECONDS\n"
                 "       echo_load count HOST PORT CONNECTIONS SIZE MESSAGES\n"
                 "       echo_load idle HOST PORT CONNECTIONS\n");
    return 2;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (::inet_pton(AF_INET, argv[2], &addr.sin_addr) != 1) {
    std::fprintf(stderr, "echo_load: HOST must be an IPv4 address, got '%s'\n", argv[2]);
    return 2;
  }
  const std::size_t port = to_count(argv[3], "PORT");
  if (port > 65535) {
    std::fprintf(stderr, "echo_load: PORT out of range\n");
    return 2;
  }
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  const std::size_t n = to_count(argv[4], "CONNECTIONS");
  if (mode == "idle") return idle(addr, n);
  const std::size_t size = to_count(argv[5], "SIZE");
  if (mode == "count") return run(addr, n, size, {.messages = to_count(argv[6], "MESSAGES")});
  char* end = nullptr;
  const double seconds = std::strtod(argv[6], &end);
  if (*end != '\0' || !(seconds > 0)) {
    std::fprintf(stderr, "echo_load: SECONDS must be a positive number\n");
    return 2;
  }
  return run(addr, n, size, {.seconds = seconds});
}
