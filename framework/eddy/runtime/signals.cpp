// SPDX-License-Identifier: MIT
#include "eddy/runtime/signals.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <string>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <system_error>

namespace eddy {
namespace {

constexpr int max_slots = 64;
constexpr int max_signal = 65;

// The registry the signal handler reads. Only atomics are touched from the handler; the
// mutex serialises registration changes made by ordinary code.
struct slot {
  std::atomic<int> write_fd{-1};
  std::atomic<std::uint64_t> mask{0};  // bit (signo - 1)
  std::atomic<bool> fallback{false};   // receives a signal only if no regular slot wants it
};

std::array<slot, max_slots> slots;
std::mutex registry_mutex;
std::array<int, max_signal> installed_count{};
std::array<struct sigaction, max_signal> previous_action{};

std::uint64_t bit(int signo) { return std::uint64_t{1} << (signo - 1); }

extern "C" void eddy_signal_handler(int signo) {
  const int saved_errno = errno;
  const std::uint64_t b = bit(signo);
  bool delivered = false;
  unsigned char byte = static_cast<unsigned char>(signo);
  for (auto& s : slots) {
    int fd = s.write_fd.load(std::memory_order_acquire);
    if (fd >= 0 && !s.fallback.load(std::memory_order_relaxed) &&
        (s.mask.load(std::memory_order_relaxed) & b)) {
      [[maybe_unused]] auto r = ::write(fd, &byte, 1);
      delivered = true;
    }
  }
  if (!delivered) {
    for (auto& s : slots) {
      int fd = s.write_fd.load(std::memory_order_acquire);
      if (fd >= 0 && s.fallback.load(std::memory_order_relaxed) &&
          (s.mask.load(std::memory_order_relaxed) & b)) {
        [[maybe_unused]] auto r = ::write(fd, &byte, 1);
      }
    }
  }
  errno = saved_errno;
}

void make_pipe(int& read_fd, int& write_fd) {
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::system_category(), "pipe2");
  }
  read_fd = fds[0];
  write_fd = fds[1];
}

// Claims a slot and installs the handler for each signal; undone by `release`.
int acquire(std::initializer_list<int> numbers, int write_fd, bool fallback) {
  std::uint64_t mask = 0;
  for (int n : numbers) {
    if (n <= 0 || n >= max_signal || n == SIGKILL || n == SIGSTOP) {
      throw std::invalid_argument("eddy::signals: cannot watch signal " + std::to_string(n));
    }
    mask |= bit(n);
  }
  std::lock_guard lock(registry_mutex);
  int index = -1;
  for (int i = 0; i < max_slots; ++i) {
    if (slots[i].write_fd.load() < 0) {
      index = i;
      break;
    }
  }
  if (index < 0) throw std::invalid_argument("eddy::signals: more than 64 watchers");
  for (int n = 1; n < max_signal; ++n) {
    if (!(mask & bit(n)) || installed_count[n]++ > 0) continue;
    struct sigaction sa {};
    sa.sa_handler = &eddy_signal_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (::sigaction(n, &sa, &previous_action[n]) != 0) {
      --installed_count[n];
      throw std::system_error(errno, std::system_category(), "sigaction");
    }
  }
  slots[index].mask.store(mask);
  slots[index].fallback.store(fallback);
  slots[index].write_fd.store(write_fd, std::memory_order_release);
  return index;
}

void release(int index) {
  std::lock_guard lock(registry_mutex);
  std::uint64_t mask = slots[index].mask.load();
  slots[index].write_fd.store(-1, std::memory_order_release);
  slots[index].mask.store(0);
  for (int n = 1; n < max_signal; ++n) {
    if ((mask & bit(n)) && --installed_count[n] == 0) ::sigaction(n, &previous_action[n], nullptr);
  }
}

}  // namespace

signals::signals(std::initializer_list<int> numbers) : signals(detail::this_loop(), numbers) {}

signals::signals(event_loop& loop, std::initializer_list<int> numbers) : numbers_(numbers) {
  make_pipe(read_fd_, write_fd_);
  if (auto r = reg_.open(loop, read_fd_); !r) {
    ::close(read_fd_);
    ::close(write_fd_);
    throw std::system_error(r.error(), "eddy::signals");
  }
  try {
    slot_ = acquire(numbers, write_fd_, false);
  } catch (...) {
    reg_.reset();
    ::close(read_fd_);
    ::close(write_fd_);
    throw;
  }
}

signals::~signals() {
  release(slot_);
  reg_.reset();
  ::close(read_fd_);
  ::close(write_fd_);
}

task<int> signals::wait() {
  auto r = co_await io_operation(reg_, io_direction::read, [fd = read_fd_]() -> result<int> {
    unsigned char byte;
    ssize_t n = ::read(fd, &byte, 1);
    if (n == 1) return static_cast<int>(byte);
    return last_system_error();
  });
  if (!r) {
    if (r.error() == errc::operation_canceled) throw cancelled_error();
    throw std::system_error(r.error(), "eddy::signals::wait");
  }
  co_return *r;
}

namespace detail {

interrupt_guard::interrupt_guard(event_loop& loop, unique_function<void()> on_interrupt)
    : on_interrupt_(std::move(on_interrupt)) {
  struct sigaction current {};
  ::sigaction(SIGINT, nullptr, &current);
  // A program (or parent) that set its own SIGINT disposition keeps it.
  if (current.sa_handler != SIG_DFL) return;
  make_pipe(read_fd_, write_fd_);
  if (!reg_.open(loop, read_fd_)) {
    ::close(read_fd_);
    ::close(write_fd_);
    read_fd_ = write_fd_ = -1;
    return;
  }
  slot_ = acquire({SIGINT}, write_fd_, true);
  on_ready = &on_signal;
  reg_.state().reader = this;  // a persistent watcher: on_signal never completes
}

interrupt_guard::~interrupt_guard() {
  if (slot_ >= 0) release(slot_);
  reg_.reset();
  if (read_fd_ >= 0) ::close(read_fd_);
  if (write_fd_ >= 0) ::close(write_fd_);
}

bool interrupt_guard::on_signal(io_waiter* w) noexcept {
  auto* self = static_cast<interrupt_guard*>(w);
  unsigned char buf[64];
  bool got = false;
  while (::read(self->read_fd_, buf, sizeof buf) > 0) got = true;
  if (got && !self->fired_) {
    self->fired_ = true;
    // Hand SIGINT back to its default: a second Ctrl-C ends a program that does not stop.
    if (self->slot_ >= 0) release(self->slot_);
    self->slot_ = -1;
    if (self->on_interrupt_) self->on_interrupt_();
  }
  return false;
}

void interrupt_guard::reraise() {
  if (slot_ >= 0) release(slot_);
  slot_ = -1;
  ::signal(SIGINT, SIG_DFL);
  ::raise(SIGINT);
  std::_Exit(130);  // only reached if SIGINT is blocked
}

}  // namespace detail
}  // namespace eddy
