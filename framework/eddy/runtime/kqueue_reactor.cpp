// SPDX-License-Identifier: MIT
#include <sys/types.h>
#include <sys/event.h>
#include <sys/time.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

#include "eddy/runtime/reactor.hpp"

namespace eddy::detail {
namespace {
constexpr int max_events = 256;
// The EVFILT_USER identifier used by wake(); io_state registrations use their own fd as ident
// and a non-null udata, so the two never collide.
constexpr std::uintptr_t wake_ident = 0;

[[noreturn]] void fail(int e, const char* what) {
  throw std::system_error(e, std::system_category(), what);
}
}  // namespace

reactor::reactor() {
  fd_ = ::kqueue();
  if (fd_ < 0) fail(errno, "kqueue");
  // Close-on-exec like the epoll backend's EPOLL_CLOEXEC. There is no portable kqueue1()
  // flag for it (FreeBSD has kqueuex, macOS nothing), so fcntl it is.
  ::fcntl(fd_, F_SETFD, FD_CLOEXEC);
  struct kevent change;
  EV_SET(&change, wake_ident, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, nullptr);
  if (::kevent(fd_, &change, 1, nullptr, 0, nullptr) != 0) {
    int e = errno;
    ::close(fd_);
    fail(e, "kevent(EVFILT_USER)");
  }
}

reactor::~reactor() {
  // wake_fd_ stays -1 with kqueue (EVFILT_USER needs no descriptor).
  if (wake_fd_ >= 0) ::close(wake_fd_);
  ::close(fd_);
}

int reactor::add(io_state& s) noexcept {
  // Registered once for both directions, edge-triggered (EV_CLEAR): awaiters try the syscall
  // first and park only on EAGAIN, so no kevent() change is needed per wait. EV_RECEIPT makes
  // kevent report the outcome of each change separately instead of draining events.
  struct kevent changes[2];
  EV_SET(&changes[0], s.fd, EVFILT_READ, EV_ADD | EV_CLEAR | EV_RECEIPT, 0, 0, &s);
  EV_SET(&changes[1], s.fd, EVFILT_WRITE, EV_ADD | EV_CLEAR | EV_RECEIPT, 0, 0, &s);
  struct kevent receipts[2];
  int n = ::kevent(fd_, changes, 2, receipts, 2, nullptr);
  if (n < 0) return errno;
  int read_error = 0;
  int write_error = 0;
  for (int i = 0; i < n; ++i) {
    if (!(receipts[i].flags & EV_ERROR) || receipts[i].data == 0) continue;
    (receipts[i].filter == EVFILT_READ ? read_error : write_error) =
        static_cast<int>(receipts[i].data);
  }
  // Unlike epoll, kqueue can accept one direction and refuse the other (EVFILT_WRITE on a
  // pipe whose reader or writer is gone fails with EPIPE; some systems refuse a direction a
  // descriptor cannot do). An operation in the refused direction fails at once rather than
  // with EAGAIN, so nobody ever parks on it and the registration is still usable. Only a
  // descriptor refused in both directions (EBADF, ...) is an error, and then nothing was added.
  if (read_error != 0 && write_error != 0) return read_error;
  return 0;
}

void reactor::remove(io_state& s) noexcept {
  // Deleting a filter also drops its pending events, so nothing stale points at `s` later.
  // ENOENT (never added, or already gone) is harmless and ignored.
  struct kevent changes[2];
  EV_SET(&changes[0], s.fd, EVFILT_READ, EV_DELETE | EV_RECEIPT, 0, 0, nullptr);
  EV_SET(&changes[1], s.fd, EVFILT_WRITE, EV_DELETE | EV_RECEIPT, 0, 0, nullptr);
  struct kevent receipts[2];
  ::kevent(fd_, changes, 2, receipts, 2, nullptr);
}

int reactor::poll(std::chrono::nanoseconds timeout, void (*sink)(void*, const io_event&),
                  void* ctx) {
  timespec ts{};
  timespec* tsp = nullptr;
  if (timeout.count() >= 0) {
    // kqueue takes nanoseconds: no rounding needed (as with epoll_pwait2; epoll_wait rounds
    // up to whole milliseconds).
    // Waits beyond a day are capped like the epoll backend's; the loop simply polls again.
    constexpr std::int64_t day_ns = 86'400'000'000'000;
    std::int64_t ns = timeout.count() > day_ns ? day_ns : timeout.count();
    ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    tsp = &ts;
  }
  struct kevent events[max_events];
  int n = ::kevent(fd_, nullptr, 0, events, max_events, tsp);
  if (n < 0) {
    if (errno == EINTR) return 0;
    fail(errno, "kevent");
  }
  int reported = 0;
  for (int i = 0; i < n; ++i) {
    const struct kevent& k = events[i];
    // EV_CLEAR on the EVFILT_USER registration resets the trigger once it is reported.
    if (k.filter == EVFILT_USER) continue;
    auto* s = static_cast<io_state*>(k.udata);
    if (!s) continue;
    // kqueue reports each direction as its own event. EOF (peer closed, or a pending socket
    // error in fflags) and EV_ERROR wake the waiter of that direction, whose retried syscall
    // then reports 0 / the error — the epoll backend's mapping of EPOLLRDHUP/HUP/ERR. An
    // EV_ERROR on a descriptor wakes both directions, as EPOLLERR does.
    bool failed = (k.flags & EV_ERROR) != 0;
    io_event ev{s, failed || k.filter == EVFILT_READ, failed || k.filter == EVFILT_WRITE,
                failed || (k.filter == EVFILT_READ && (k.flags & EV_EOF) != 0)};
    sink(ctx, ev);
    ++reported;
  }
  return reported;
}

void reactor::wake() noexcept {
  // kevent() is a plain system call: safe from any thread and from signal handlers. A trigger
  // that is already pending coalesces with this one.
  struct kevent change;
  EV_SET(&change, wake_ident, EVFILT_USER, 0, NOTE_TRIGGER, 0, nullptr);
  ::kevent(fd_, &change, 1, nullptr, 0, nullptr);
}

}  // namespace eddy::detail
