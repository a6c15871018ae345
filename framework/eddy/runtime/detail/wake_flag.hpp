// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <cstdint>

namespace eddy::detail {

/// A one-shot flag a plain (non-loop) thread sleeps on until another thread sets it: a futex
/// on Linux, `std::atomic::wait` elsewhere. Only a sleeping owner costs a system call on
/// each side: `set()` before the owner waits is one atomic exchange, and `wait()` on a set flag
/// returns at once. Unlike a condition variable there is no mutex to re-take after waking
/// (glibc marks a mutex re-taken after a condition wait as contended, so its unlock is one
/// more futex call). The thread pool parks its idle workers on these (one each); loop threads
/// sleep in the reactor.
class wake_flag {
 public:
  wake_flag() noexcept = default;
  wake_flag(const wake_flag&) = delete;
  wake_flag& operator=(const wake_flag&) = delete;

  /// Clears the flag. Owner only, while nobody can call `set()` (before it announces itself
  /// as waiting).
  void reset() noexcept { state_.store(clear, std::memory_order_relaxed); }

  /// Sets the flag and wakes the owner if it sleeps. Any thread. Everything written before
  /// `set()` is visible to the owner once its `wait` returns.
  void set() noexcept;

  /// Returns once the flag is set, sleeping until `set()` if it is not yet. Owner only.
  void wait() noexcept;

 private:
  enum : std::uint32_t { clear = 0, signalled = 1, sleeping = 2 };
  std::atomic<std::uint32_t> state_{clear};
};

}  // namespace eddy::detail
