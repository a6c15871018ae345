// SPDX-License-Identifier: MIT
// A test-only model of the kqueue calls eddy's kqueue backend makes, over epoll + eventfd, so
// that kqueue_reactor.cpp can be compiled and exercised on Linux. It models:
//   - EVFILT_READ / EVFILT_WRITE with EV_ADD|EV_CLEAR (edge-triggered; other modes are
//     rejected with EINVAL), EV_DELETE (ENOENT when absent), udata, EV_EOF on hang-up/error;
//   - EVFILT_USER idents 0..15 with EV_ADD|EV_CLEAR, EV_DELETE and NOTE_TRIGGER (the trigger
//     path takes no lock and only calls write(), so it is usable from signal handlers);
//   - EV_RECEIPT, and BSD's rule for change errors (an EV_ERROR entry when the event list has
//     room, else -1/errno), and nevents == 0 meaning "apply changes, do not wait".
// Differences from real kqueue that the tests cannot see through: readiness comes from epoll
// (so `data` is always 0 rather than a byte count), timeouts are rounded up to milliseconds,
// and closing a kqueue descriptor does not free the shim's bookkeeping until the descriptor
// number is reused by another kqueue().
#include "sys/event.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <map>
#include <mutex>

namespace {

constexpr int max_queues = 65536;
constexpr std::uintptr_t max_user_idents = 16;
constexpr std::uint64_t user_tag = std::uint64_t{1} << 63;

struct fd_filters {
  bool read = false;
  bool write = false;
  void* read_udata = nullptr;
  void* write_udata = nullptr;
};

struct queue {
  int epoll_fd = -1;
  std::mutex mutex;                      // guards `fds` and `user_udata`
  std::map<int, fd_filters> fds;
  std::array<std::atomic<int>, max_user_idents> user_fds;  // eventfd per EVFILT_USER ident
  std::array<void*, max_user_idents> user_udata{};

  queue() {
    for (auto& f : user_fds) f.store(-1);
  }
  ~queue() {
    for (auto& f : user_fds) {
      int fd = f.load();
      if (fd >= 0) ::close(fd);
    }
  }
};

std::array<std::atomic<queue*>, max_queues> queues{};

queue* find(int kq) {
  if (kq < 0 || kq >= max_queues) return nullptr;
  return queues[static_cast<std::size_t>(kq)].load(std::memory_order_acquire);
}

std::uint32_t epoll_mask(const fd_filters& f) {
  std::uint32_t m = EPOLLET;
  if (f.read) m |= EPOLLIN | EPOLLRDHUP;
  if (f.write) m |= EPOLLOUT;
  return m;
}

// Brings epoll's registration of `fd` in line with `f`; returns 0 or an errno value.
int sync_epoll(queue& q, int fd, const fd_filters& f, bool was_registered) {
  epoll_event ev{};
  ev.data.u64 = static_cast<std::uint32_t>(fd);
  if (!f.read && !f.write) {
    ::epoll_ctl(q.epoll_fd, EPOLL_CTL_DEL, fd, &ev);
    return 0;
  }
  ev.events = epoll_mask(f);
  int op = was_registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  if (::epoll_ctl(q.epoll_fd, op, fd, &ev) == 0) return 0;
  // A descriptor closed and reopened under the same number: epoll forgot it, we did not.
  if (errno == ENOENT && op == EPOLL_CTL_MOD &&
      ::epoll_ctl(q.epoll_fd, EPOLL_CTL_ADD, fd, &ev) == 0) {
    return 0;
  }
  if (errno == EEXIST && op == EPOLL_CTL_ADD &&
      ::epoll_ctl(q.epoll_fd, EPOLL_CTL_MOD, fd, &ev) == 0) {
    return 0;
  }
  return errno;
}

int apply_fd_change(queue& q, const struct kevent& c) {
  if (c.ident > static_cast<std::uintptr_t>(INT32_MAX)) return EBADF;
  int fd = static_cast<int>(c.ident);
  std::lock_guard lock(q.mutex);
  auto it = q.fds.find(fd);
  bool registered = it != q.fds.end() && (it->second.read || it->second.write);
  fd_filters f = registered ? it->second : fd_filters{};
  bool is_read = c.filter == EVFILT_READ;
  if (c.flags & EV_DELETE) {
    if (is_read ? !f.read : !f.write) return ENOENT;
    (is_read ? f.read : f.write) = false;
  } else if (c.flags & EV_ADD) {
    if (!(c.flags & EV_CLEAR)) return EINVAL;  // only edge-triggered filters are modelled
    if (::fcntl(fd, F_GETFD) < 0) return EBADF;
    (is_read ? f.read : f.write) = true;
    (is_read ? f.read_udata : f.write_udata) = c.udata;
  } else {
    return EINVAL;
  }
  if (int e = sync_epoll(q, fd, f, registered)) return e;
  if (f.read || f.write) q.fds[fd] = f; else q.fds.erase(fd);
  return 0;
}

int apply_user_change(queue& q, const struct kevent& c) {
  if (c.ident >= max_user_idents) return EINVAL;
  auto& slot = q.user_fds[c.ident];
  if (c.flags & EV_ADD) {
    if (!(c.flags & EV_CLEAR)) return EINVAL;
    std::lock_guard lock(q.mutex);
    q.user_udata[c.ident] = c.udata;
    if (slot.load() < 0) {
      int efd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
      if (efd < 0) return errno;
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLET;
      ev.data.u64 = user_tag | c.ident;
      if (::epoll_ctl(q.epoll_fd, EPOLL_CTL_ADD, efd, &ev) != 0) {
        int e = errno;
        ::close(efd);
        return e;
      }
      slot.store(efd, std::memory_order_release);
    }
  } else if (c.flags & EV_DELETE) {
    std::lock_guard lock(q.mutex);
    int efd = slot.exchange(-1);
    if (efd < 0) return ENOENT;
    ::close(efd);
  }
  if (c.fflags & NOTE_TRIGGER) {
    // Lock-free on purpose: wake() may run in a signal handler that interrupted this thread.
    int efd = slot.load(std::memory_order_acquire);
    if (efd < 0) return ENOENT;
    std::uint64_t one = 1;
    if (::write(efd, &one, sizeof one) < 0 && errno != EAGAIN) return errno;
  }
  return 0;
}

}  // namespace

extern "C" int kqueue(void) {
  int epfd = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) return -1;
  if (epfd >= max_queues) {
    ::close(epfd);
    errno = EMFILE;
    return -1;
  }
  auto* q = new queue;
  q->epoll_fd = epfd;
  // A previous kqueue with this number was closed (its descriptor number is free again).
  delete queues[static_cast<std::size_t>(epfd)].exchange(q, std::memory_order_acq_rel);
  return epfd;
}

extern "C" int kevent(int kq, const struct kevent* changelist, int nchanges,
                      struct kevent* eventlist, int nevents, const struct timespec* timeout) {
  queue* q = find(kq);
  if (!q || nchanges < 0 || nevents < 0) {
    errno = q ? EINVAL : EBADF;
    return -1;
  }
  int out = 0;
  for (int i = 0; i < nchanges; ++i) {
    const struct kevent& c = changelist[i];
    int e;
    if (c.filter == EVFILT_READ || c.filter == EVFILT_WRITE) {
      e = apply_fd_change(*q, c);
    } else if (c.filter == EVFILT_USER) {
      e = apply_user_change(*q, c);
    } else {
      e = EINVAL;
    }
    if (e == 0 && !(c.flags & EV_RECEIPT)) continue;
    if (out < nevents) {
      eventlist[out] = c;
      eventlist[out].flags = static_cast<unsigned short>(c.flags | EV_ERROR);
      eventlist[out].data = e;
      ++out;
    } else if (e != 0) {
      errno = e;
      return -1;
    }
  }
  // Receipts and errors are returned at once; so is a call that asks for no events.
  if (out > 0 || nevents == 0) return out;

  int timeout_ms = -1;
  if (timeout) {
    long long ns = static_cast<long long>(timeout->tv_sec) * 1'000'000'000 + timeout->tv_nsec;
    long long ms = (ns + 999'999) / 1'000'000;
    timeout_ms = ms > 86'400'000 ? 86'400'000 : static_cast<int>(ms);
  }
  // One epoll event may become two kevents (read and write): never fetch more than fit.
  int max_epoll = nevents / 2 > 0 ? nevents / 2 : 1;
  epoll_event events[128];
  if (max_epoll > 128) max_epoll = 128;
  int n = ::epoll_wait(q->epoll_fd, events, max_epoll, timeout_ms);
  if (n < 0) return -1;

  std::lock_guard lock(q->mutex);
  for (int i = 0; i < n; ++i) {
    std::uint64_t tag = events[i].data.u64;
    std::uint32_t e = events[i].events;
    if (tag & user_tag) {
      std::uintptr_t ident = static_cast<std::uintptr_t>(tag & ~user_tag);
      int efd = q->user_fds[ident].load();
      std::uint64_t value;
      // EV_CLEAR: reporting the trigger resets it.
      while (efd >= 0 && ::read(efd, &value, sizeof value) > 0) {
      }
      EV_SET(&eventlist[out], ident, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, q->user_udata[ident]);
      ++out;
      continue;
    }
    int fd = static_cast<int>(tag);
    auto it = q->fds.find(fd);
    if (it == q->fds.end()) continue;  // deleted after epoll_wait returned
    const fd_filters& f = it->second;
    bool hup = (e & (EPOLLHUP | EPOLLRDHUP)) != 0;
    bool err = (e & EPOLLERR) != 0;
    if (f.read && (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
      unsigned short flags = EV_ADD | EV_CLEAR;
      if (hup || err) flags |= EV_EOF;
      EV_SET(&eventlist[out], fd, EVFILT_READ, flags, 0, 0, f.read_udata);
      ++out;
    }
    if (f.write && (e & (EPOLLOUT | EPOLLHUP | EPOLLERR))) {
      unsigned short flags = EV_ADD | EV_CLEAR;
      if ((e & EPOLLHUP) || err) flags |= EV_EOF;
      EV_SET(&eventlist[out], fd, EVFILT_WRITE, flags, 0, 0, f.write_udata);
      ++out;
    }
  }
  return out;
}
