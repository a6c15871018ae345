// SPDX-License-Identifier: MIT
#include "eddy/runtime/detail/wake_flag.hpp"

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace eddy::detail {
namespace {

#if defined(__linux__)
// The futex word is the atomic's object representation (std::atomic<uint32_t> is lock-free and
// has the size of its value on every Linux target); glibc's own semaphores do the same.
static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));

void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected) noexcept {
  // Returns at once (EAGAIN) if the word no longer holds `expected`; EINTR and spurious
  // returns are handled by the caller's loop.
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected,
            nullptr, nullptr, 0);
}

void futex_wake_one(std::atomic<std::uint32_t>& word) noexcept {
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, 1, nullptr,
            nullptr, 0);
}
#endif

}  // namespace

void wake_flag::set() noexcept {
  // Only an owner that announced it sleeps (state `sleeping`) needs the system call.
  if (state_.exchange(signalled, std::memory_order_acq_rel) != sleeping) return;
#if defined(__linux__)
  futex_wake_one(state_);
#else
  state_.notify_one();
#endif
}

void wake_flag::wait() noexcept {
  std::uint32_t s = clear;
  // Already set: no system call. Otherwise announce the sleep, so that set() wakes us.
  if (!state_.compare_exchange_strong(s, sleeping, std::memory_order_acquire)) return;
  do {
#if defined(__linux__)
    futex_wait(state_, sleeping);
#else
    state_.wait(sleeping, std::memory_order_acquire);
#endif
  } while (state_.load(std::memory_order_acquire) != signalled);
}

}  // namespace eddy::detail
