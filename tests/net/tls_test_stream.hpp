// SPDX-License-Identifier: MIT
#pragma once

// A minimal non-blocking socket byte stream for the TLS tests (socketpair or TCP), built on
// eddy::io_registration + eddy::io_operation, plus a TCP listener/connector on 127.0.0.1.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <memory>
#include <span>
#include <stdexcept>
#include <utility>

#include <eddy/core/result.hpp>
#include <eddy/core/task.hpp>
#include <eddy/runtime/event_loop.hpp>
#include <eddy/runtime/io.hpp>

namespace eddy::test {

inline void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

/// Owns a non-blocking socket registered with the current loop.
class fd_stream {
 public:
  explicit fd_stream(int fd) : fd_(fd), reg_(std::make_unique<io_registration>()) {
    set_nonblocking(fd);
    if (!reg_->open(detail::this_loop(), fd)) throw std::runtime_error("register failed");
  }
  fd_stream(fd_stream&& o) noexcept : fd_(std::exchange(o.fd_, -1)), reg_(std::move(o.reg_)) {}
  fd_stream& operator=(fd_stream&&) = delete;
  ~fd_stream() { close(); }

  auto read_some(std::span<char> buf) {
    int fd = fd_;
    return io_operation(*reg_, io_direction::read, [fd, buf]() -> result<std::size_t> {
      ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
      if (n < 0) return last_system_error();
      return static_cast<std::size_t>(n);
    });
  }
  auto write_some(std::span<const char> buf) {
    int fd = fd_;
    return io_operation(*reg_, io_direction::write, [fd, buf]() -> result<std::size_t> {
      ssize_t n = ::send(fd, buf.data(), buf.size(), MSG_NOSIGNAL);
      if (n < 0) return last_system_error();
      return static_cast<std::size_t>(n);
    });
  }
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }
  void close() {
    if (reg_) reg_->reset();
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  }
  int fd() const { return fd_; }

 private:
  int fd_;
  std::unique_ptr<io_registration> reg_;
};

/// Two connected stream sockets (raw descriptors, blocking until wrapped).
inline std::pair<int, int> socket_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) throw std::runtime_error("socketpair");
  return {fds[0], fds[1]};
}

/// A listening TCP socket on 127.0.0.1 and an ephemeral port.
class tcp_test_listener {
 public:
  tcp_test_listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 16) != 0) {
      throw std::runtime_error("bind/listen failed");
    }
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    set_nonblocking(fd_);
    if (!reg_.open(detail::this_loop(), fd_)) throw std::runtime_error("register failed");
  }
  ~tcp_test_listener() {
    reg_.reset();
    ::close(fd_);
  }
  int port() const { return port_; }

  /// Accepts one connection.
  task<result<fd_stream>> accept() {
    int fd = fd_;
    auto r = co_await io_operation(reg_, io_direction::read, [fd]() -> result<int> {
      int c = ::accept(fd, nullptr, nullptr);
      if (c < 0) return last_system_error();
      return c;
    });
    if (!r) co_return r.error();
    co_return fd_stream(*r);
  }

 private:
  int fd_ = -1;
  int port_ = 0;
  io_registration reg_;
};

/// Connects to 127.0.0.1:`port`.
inline task<result<fd_stream>> tcp_connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  set_nonblocking(fd);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  fd_stream s(fd);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    if (errno != EINPROGRESS) co_return last_system_error();
    // Writable means connected or failed; SO_ERROR says which.
    auto w = co_await s.write_some(std::span<const char>{});
    (void)w;
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) co_return std::error_code(err, std::system_category());
  }
  co_return std::move(s);
}

}  // namespace eddy::test
