// SPDX-License-Identifier: MIT
#include "eddy/net/detail/socket_ops.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#if defined(__linux__)
#include <pthread.h>
#include <signal.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <time.h>
#elif defined(__APPLE__) || defined(__FreeBSD__)
#include <sys/types.h>
#endif

#include <cerrno>
#include <climits>

namespace eddy::detail {

namespace {
std::error_code sys_error() noexcept { return {errno, std::system_category()}; }

// recv(2) and send(2) on a non-blocking socket. On Linux through syscall(2): glibc's recv and
// send are thread cancellation points, and in a process with more than one thread (`eddy echo`
// and `eddy serve` run their loops on worker threads) each call brackets the system call with
// enabling and disabling asynchronous cancellation: about 30 instructions per call, 60 per
// echoed message. eddy never cancels threads, and its sockets are non-blocking (a call never
// waits), so it has no use for a cancellation point. syscall(2) is variadic: every argument
// is passed as a long.
ssize_t raw_recv(int fd, void* buf, std::size_t len) noexcept {
#if defined(__linux__) && defined(SYS_recvfrom)
  return ::syscall(SYS_recvfrom, static_cast<long>(fd), buf, static_cast<long>(len), 0L, nullptr, nullptr);
#else
  return ::recv(fd, buf, len, 0);
#endif
}
ssize_t raw_send(int fd, const void* buf, std::size_t len) noexcept {
#if defined(__linux__) && defined(SYS_sendto)
  return ::syscall(SYS_sendto, static_cast<long>(fd), buf, static_cast<long>(len), static_cast<long>(MSG_NOSIGNAL),
                   nullptr, 0L);
#else
  return ::send(fd, buf, len, MSG_NOSIGNAL);
#endif
}

int native_family(address_family f) noexcept {
  switch (f) {
    case address_family::ipv4: return AF_INET;
    case address_family::ipv6: return AF_INET6;
    case address_family::unix_path: return AF_UNIX;
    default: return AF_UNSPEC;
  }
}

result<void> set_int_option(int fd, int level, int name, int value) noexcept {
  if (::setsockopt(fd, level, name, &value, sizeof(value)) != 0) return sys_error();
  return {};
}
}  // namespace

result<int> open_socket(address_family family, socket_kind kind) noexcept {
  const int f = native_family(family);
  if (f == AF_UNSPEC) return std::make_error_code(std::errc::address_family_not_supported);
  const int type = (kind == socket_kind::stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK |
                   SOCK_CLOEXEC;
  int fd = ::socket(f, type, 0);
  if (fd < 0) return sys_error();
  return fd;
}

result<std::size_t> sock_recv(int fd, std::span<char> buf) noexcept {
  if (fd < 0) return errc::not_connected;  // a closed eddy object
  for (;;) {
    ssize_t n = raw_recv(fd, buf.data(), buf.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return sys_error();
  }
}

result<std::size_t> sock_send(int fd, std::span<const char> buf) noexcept {
  if (fd < 0) return errc::not_connected;  // a closed eddy object
  for (;;) {
    ssize_t n = raw_send(fd, buf.data(), buf.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return sys_error();
  }
}

result<std::size_t> sock_sendfile(int fd, int file_fd, std::uint64_t offset, std::size_t count) noexcept {
  if (fd < 0) return errc::not_connected;  // a closed eddy object
  // Large counts are split by the caller's loop; one call moves at most 1 GiB.
  count = count > (std::size_t{1} << 30) ? (std::size_t{1} << 30) : count;
  for (;;) {
#if defined(__linux__)
    // sendfile has no MSG_NOSIGNAL: SIGPIPE is blocked for this thread during the call, and
    // the one it raised for a peer that is gone is taken back, so the process never sees it.
    sigset_t pipe_only, old_mask;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &old_mask);
    auto off = static_cast<off_t>(offset);
    ssize_t n = ::sendfile(fd, file_fd, &off, count);
    const int saved = errno;
    if (n < 0 && saved == EPIPE && !sigismember(&old_mask, SIGPIPE)) {
      const timespec no_wait{0, 0};
      while (sigtimedwait(&pipe_only, nullptr, &no_wait) < 0 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    errno = saved;
    if (n >= 0) return static_cast<std::size_t>(n);
#elif defined(__APPLE__)
    off_t len = static_cast<off_t>(count);
    int rc = ::sendfile(file_fd, fd, static_cast<off_t>(offset), &len, nullptr, 0);
    // EAGAIN with some bytes sent counts as progress.
    if (rc == 0 || (len > 0 && (errno == EAGAIN || errno == EINTR))) return static_cast<std::size_t>(len);
#elif defined(__FreeBSD__)
    off_t sent = 0;
    int rc = ::sendfile(file_fd, fd, static_cast<off_t>(offset), count, nullptr, &sent, 0);
    if (rc == 0 || (sent > 0 && (errno == EAGAIN || errno == EINTR))) return static_cast<std::size_t>(sent);
#else
    char chunk[16 * 1024];
    ssize_t got = ::pread(file_fd, chunk, count < sizeof chunk ? count : sizeof chunk, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return got == 0 ? result<std::size_t>(std::size_t{0}) : sys_error();
    ssize_t n = ::send(fd, chunk, static_cast<std::size_t>(got), MSG_NOSIGNAL);
    if (n >= 0) return static_cast<std::size_t>(n);
#endif
    if (errno != EINTR) return sys_error();
  }
}

result<std::size_t> sock_sendv(int fd, std::span<const std::span<const char>> bufs) noexcept {
  if (fd < 0) return errc::not_connected;  // a closed eddy object
  iovec iov[64];
  std::size_t count = 0;
  for (const auto& b : bufs) {
    if (count == std::size(iov)) break;
    if (b.empty()) continue;
    iov[count].iov_base = const_cast<char*>(b.data());
    iov[count].iov_len = b.size();
    ++count;
  }
  if (count == 0) return std::size_t{0};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = count;
  for (;;) {
    ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return sys_error();
  }
}

result<std::size_t> sock_recvfrom(int fd, std::span<char> buf, address* from) noexcept {
  if (fd < 0) return errc::not_connected;  // a closed eddy object
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  for (;;) {
    ssize_t n = ::recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&ss), &len);
    if (n >= 0) {
      if (from) *from = address::from_native(&ss, len);
      return static_cast<std::size_t>(n);
    }
    if (errno != EINTR) return sys_error();
  }
}

result<std::size_t> sock_sendto(int fd, std::span<const char> buf, const address& to) noexcept {
  if (fd < 0) return errc::not_connected;  // a closed eddy object
  for (;;) {
    ssize_t n = ::sendto(fd, buf.data(), buf.size(), MSG_NOSIGNAL,
                         static_cast<const sockaddr*>(to.native()), to.native_size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return sys_error();
  }
}

result<int> sock_accept(int fd, address* peer) noexcept {
  if (fd < 0) return errc::not_connected;  // a closed eddy object
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  for (;;) {
    int c = ::accept4(fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c >= 0) {
      if (peer) *peer = address::from_native(&ss, len);
      return c;
    }
    if (errno != EINTR) return sys_error();
  }
}

result<void> sock_connect(int fd, const address& to, bool* in_progress) noexcept {
  *in_progress = false;
  if (::connect(fd, static_cast<const sockaddr*>(to.native()), to.native_size()) == 0) return {};
  // EINTR: the connection continues asynchronously, exactly like EINPROGRESS.
  if (errno == EINPROGRESS || errno == EINTR) {
    *in_progress = true;
    return {};
  }
  // A Unix-domain listener with a full backlog reports EAGAIN; treat it as refused.
  if (errno == EAGAIN) return std::make_error_code(std::errc::connection_refused);
  return sys_error();
}

result<void> sock_error(int fd) noexcept {
  int err = 0;
  socklen_t len = sizeof(err);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return sys_error();
  if (err != 0) return std::error_code(err, std::system_category());
  return {};
}

result<void> sock_bind(int fd, const address& at) noexcept {
  if (::bind(fd, static_cast<const sockaddr*>(at.native()), at.native_size()) != 0) return sys_error();
  return {};
}

result<void> sock_listen(int fd, int backlog) noexcept {
  if (::listen(fd, backlog) != 0) return sys_error();
  return {};
}

result<address> sock_name(int fd) noexcept {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return sys_error();
  return address::from_native(&ss, len);
}

result<address> peer_name(int fd) noexcept {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return sys_error();
  return address::from_native(&ss, len);
}

result<void> sock_shutdown_write(int fd) noexcept {
  if (::shutdown(fd, SHUT_WR) != 0) return sys_error();
  return {};
}

result<void> sock_set_linger_zero(int fd) noexcept {
  linger l{1, 0};
  if (::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) != 0) return sys_error();
  return {};
}

result<void> sock_set_reuse_address(int fd, bool on) noexcept {
  return set_int_option(fd, SOL_SOCKET, SO_REUSEADDR, on ? 1 : 0);
}

result<void> sock_set_reuse_port(int fd, bool on) noexcept {
  return set_int_option(fd, SOL_SOCKET, SO_REUSEPORT, on ? 1 : 0);
}

result<void> sock_set_no_delay(int fd, bool on) noexcept {
  return set_int_option(fd, IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0);
}

result<void> sock_set_keep_alive(int fd, bool on, int idle_seconds) noexcept {
  if (auto r = set_int_option(fd, SOL_SOCKET, SO_KEEPALIVE, on ? 1 : 0); !r) return r;
  if (on && idle_seconds > 0) return set_int_option(fd, IPPROTO_TCP, TCP_KEEPIDLE, idle_seconds);
  return {};
}

result<void> sock_set_v6_only(int fd, bool on) noexcept {
  return set_int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, on ? 1 : 0);
}

result<void> set_nonblocking(int fd) noexcept {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return sys_error();
  int fdflags = ::fcntl(fd, F_GETFD);
  if (fdflags < 0 || ::fcntl(fd, F_SETFD, fdflags | FD_CLOEXEC) != 0) return sys_error();
  return {};
}

// Categories are singletons, compared by address (what error_category's operator== does).
// Without the member call, UBSan's vptr check stays out of it: with every descriptor in use
// (EMFILE, exactly when these run) that check cannot probe memory and reports a false error.
namespace {
bool is_system_error(const std::error_code& ec) noexcept { return &ec.category() == &std::system_category(); }
}  // namespace

bool is_resource_exhaustion(const std::error_code& ec) noexcept {
  if (!is_system_error(ec)) return false;
  const int e = ec.value();
  return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

bool is_transient_accept_error(const std::error_code& ec) noexcept {
  if (!is_system_error(ec)) return false;
  const int e = ec.value();
  // Linux passes pending network errors of the new connection to accept(2) (accept(2) NOTES).
  return e == ECONNABORTED || e == EPROTO || e == ENETDOWN || e == ENOPROTOOPT ||
         e == EHOSTDOWN || e == ENONET || e == EHOSTUNREACH || e == EOPNOTSUPP ||
         e == ENETUNREACH || e == EPERM || e == ECONNRESET;
}

}  // namespace eddy::detail
