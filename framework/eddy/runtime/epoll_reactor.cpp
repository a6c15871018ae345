// SPDX-License-Identifier: MIT
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <system_error>

#include "eddy/runtime/reactor.hpp"

namespace eddy::detail {
namespace {
constexpr int max_events = 256;

// epoll_wait(2) takes its timeout in whole milliseconds: a timer due in 0.3 ms would fire up
// to a millisecond late (the timeout must round up, or the loop spins on zero-timeout polls
// until the timer is due). epoll_pwait2(2) (Linux 5.11) takes a timespec, so the loop wakes
// when the timer is due. Where the kernel or a seccomp filter refuses it, epoll_pwait with
// whole milliseconds is used from then on.
//
// Both go through syscall(2), as recv and send do (net/detail/socket_ops.cpp): glibc's
// wrappers are cancellation points, and in a process with threads each call toggles
// asynchronous cancellation around the system call; a loop has no use for that. syscall(2) is
// variadic: every argument is passed as a long or a pointer. A null signal mask leaves the
// mask alone (its size argument is then not read).
int wait_for_events(int fd, epoll_event* events, std::chrono::nanoseconds timeout) noexcept {
#ifdef SYS_epoll_pwait2
  static std::atomic<bool> precise{true};
  if (timeout.count() > 0 && precise.load(std::memory_order_relaxed)) {
    const auto s = std::chrono::duration_cast<std::chrono::seconds>(timeout);
    timespec ts{};
    ts.tv_sec = s.count() > 86'400 ? 86'400 : static_cast<time_t>(s.count());
    ts.tv_nsec = s.count() > 86'400 ? 0 : static_cast<long>((timeout - s).count());
    const long n = ::syscall(SYS_epoll_pwait2, static_cast<long>(fd), events, static_cast<long>(max_events), &ts,
                             nullptr, 0L);
    if (n >= 0 || (errno != ENOSYS && errno != EPERM)) return static_cast<int>(n);
    precise.store(false, std::memory_order_relaxed);
  }
#endif
  long timeout_ms = -1;
  if (timeout.count() >= 0) {
    // Round up so a timer due in 0.3 ms does not turn into a busy loop of zero-timeout polls.
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(timeout).count();
    timeout_ms = ms > 86'400'000 ? 86'400'000 : static_cast<long>(ms);
  }
  return static_cast<int>(::syscall(SYS_epoll_pwait, static_cast<long>(fd), events, static_cast<long>(max_events),
                                    timeout_ms, nullptr, 0L));
}

}  // namespace

reactor::reactor() {
  fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd_ < 0) throw std::system_error(errno, std::system_category(), "epoll_create1");
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    int e = errno;
    ::close(fd_);
    throw std::system_error(e, std::system_category(), "eventfd");
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLET;
  ev.data.ptr = nullptr;  // nullptr marks the wake-up descriptor
  if (::epoll_ctl(fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
    int e = errno;
    ::close(wake_fd_);
    ::close(fd_);
    throw std::system_error(e, std::system_category(), "epoll_ctl(eventfd)");
  }
}

reactor::~reactor() {
  ::close(wake_fd_);
  ::close(fd_);
}

int reactor::add(io_state& s) noexcept {
  epoll_event ev{};
  // Registered once for both directions, edge-triggered: awaiters try the syscall first and
  // park only on EAGAIN, so no epoll_ctl is needed per wait.
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = &s;
  return ::epoll_ctl(fd_, EPOLL_CTL_ADD, s.fd, &ev) == 0 ? 0 : errno;
}

void reactor::remove(io_state& s) noexcept {
  epoll_event ev{};
  ::epoll_ctl(fd_, EPOLL_CTL_DEL, s.fd, &ev);
}

int reactor::poll(std::chrono::nanoseconds timeout, void (*sink)(void*, const io_event&),
                  void* ctx) {
  epoll_event events[max_events];
  int n = wait_for_events(fd_, events, timeout);
  if (n < 0) {
    if (errno == EINTR) return 0;
    throw std::system_error(errno, std::system_category(), "epoll_pwait");
  }
  int reported = 0;
  for (int i = 0; i < n; ++i) {
    auto* s = static_cast<io_state*>(events[i].data.ptr);
    // The wake-up descriptor is never read: edge-triggered epoll reports every write to an
    // eventfd as a new event, readable or not, so the counter only has to be reset when it is
    // about to overflow (see wake()). One system call per wake-up instead of two (mio's
    // Waker does the same).
    if (!s) continue;
    std::uint32_t e = events[i].events;
    constexpr std::uint32_t failed = EPOLLERR | EPOLLHUP;
    io_event ev{s, (e & (EPOLLIN | EPOLLRDHUP | failed)) != 0, (e & (EPOLLOUT | failed)) != 0,
                (e & (EPOLLRDHUP | failed)) != 0};
    sink(ctx, ev);
    ++reported;
  }
  return reported;
}

void reactor::wake() noexcept {
  std::uint64_t one = 1;
  if (::write(wake_fd_, &one, sizeof one) == sizeof one) return;
  // EAGAIN: the counter, never read by poll(), would overflow (after 2^64 - 2 wake-ups). Reset
  // it and write again, so that this wake-up is still reported as an edge. read() and write()
  // are async-signal-safe; nothing else can fail here.
  std::uint64_t value;
  [[maybe_unused]] auto r = ::read(wake_fd_, &value, sizeof value);
  [[maybe_unused]] auto w = ::write(wake_fd_, &one, sizeof one);
}

}  // namespace eddy::detail
