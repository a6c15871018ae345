// SPDX-License-Identifier: MIT
#pragma once

#include <coroutine>
#include <optional>
#include <utility>

#include "eddy/core/cancellation.hpp"
#include "eddy/core/errors.hpp"
#include "eddy/core/result.hpp"
#include "eddy/core/task.hpp"
#include "eddy/runtime/event_loop.hpp"
#include "eddy/runtime/io.hpp"
#include "eddy/runtime/reactor.hpp"

namespace eddy {

/// What a `watch_fd` wait is interested in; combine with `|`.
enum class fd_interest : unsigned { readable = 1, writable = 2 };
constexpr fd_interest operator|(fd_interest a, fd_interest b) noexcept {
  return static_cast<fd_interest>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
constexpr bool has(fd_interest set, fd_interest bit) noexcept {
  return (static_cast<unsigned>(set) & static_cast<unsigned>(bit)) != 0;
}

/// The readiness a `watch_fd` wait reports. An error or hang-up on the descriptor is reported
/// as ready for every direction asked for, so that the library's own call sees the error.
struct fd_ready {
  bool readable = false;
  bool writable = false;
};

namespace detail {

/// Asks the kernel (`poll` with a zero timeout) whether `fd` is ready now for `interest`.
/// Returns a value with both flags false when it is not.
result<fd_ready> poll_fd_now(int fd, fd_interest interest) noexcept;

/// Waits until a descriptor owned by a foreign library is ready. Level-triggered from the
/// caller's point of view even though the reactor is edge-triggered: readiness is checked
/// with `poll` before parking and again when the reactor reports an edge, so readiness the
/// library left behind is never lost and no wake-up is spurious.
class [[nodiscard]] fd_wait_awaiter : cancel_hook {
 public:
  /// Waits on an existing registration.
  fd_wait_awaiter(io_registration& reg, fd_interest interest) noexcept : reg_(&reg), interest_(interest) {}
  /// Registers `fd` with the current loop for the duration of the wait.
  fd_wait_awaiter(int fd, fd_interest interest) noexcept : fd_(fd), interest_(interest) {}
  fd_wait_awaiter(fd_wait_awaiter&& o) noexcept : reg_(o.reg_), fd_(o.fd_), interest_(o.interest_) {}
  fd_wait_awaiter(const fd_wait_awaiter&) = delete;
  ~fd_wait_awaiter() { unpark(); }

  bool await_ready() {
    if (!reg_) {
      own_.emplace();
      if (auto r = own_->open(this_loop(), fd_); !r) {
        result_.emplace(r.error());
        return true;
      }
      reg_ = &*own_;
    }
    return check();
  }

  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    if (!arm(token_of(h), &on_cancel)) {
      result_.emplace(errc::operation_canceled);
      return false;
    }
    auto& st = reg_->state();
    if (has(interest_, fd_interest::readable)) {
      read_node_.handle = h;
      st.reader = &read_node_;
    }
    if (has(interest_, fd_interest::writable)) {
      write_node_.handle = h;
      st.writer = &write_node_;
    }
    return true;
  }

  /// The readiness, an OS error, or `errc::operation_canceled` if the task was cancelled.
  result<fd_ready> await_resume() noexcept { return std::move(*result_); }

 private:
  struct node : io_waiter {
    explicit node(fd_wait_awaiter* s) noexcept : self(s) { on_ready = &ready; }
    fd_wait_awaiter* self;
  };

  bool check() noexcept {
    auto r = poll_fd_now(reg_->fd(), interest_);
    if (r && !r->readable && !r->writable) return false;
    result_.emplace(std::move(r));
    return true;
  }
  void unpark() noexcept {
    if (!reg_) return;
    auto& st = reg_->state();
    if (st.reader == &read_node_) st.reader = nullptr;
    if (st.writer == &write_node_) st.writer = nullptr;
  }
  static bool ready(io_waiter* w) noexcept {
    auto* self = static_cast<node*>(w)->self;
    if (!self->check()) return false;
    // The reactor clears the slot that fired; the other one is ours to clear.
    self->unpark();
    self->disarm();
    return true;
  }
  static void on_cancel(cancel_hook* hook) noexcept {
    auto* self = static_cast<fd_wait_awaiter*>(hook);
    self->unpark();
    self->result_.emplace(errc::operation_canceled);
    self->reg_->loop()->schedule(self->read_node_.handle ? self->read_node_.handle
                                                        : self->write_node_.handle);
  }

  io_registration* reg_ = nullptr;
  int fd_ = -1;
  fd_interest interest_;
  std::optional<io_registration> own_;
  node read_node_{this};
  node write_node_{this};
  std::optional<result<fd_ready>> result_;
};

}  // namespace detail

/// Waits until `reg`'s descriptor is ready for `interest` (e.g. `readable | writable`), for
/// libraries that own their sockets and only need to be told when to call them (c-ares,
/// libcurl multi, librdkafka's queue event fd). Readiness that already exists completes the
/// wait at once. Resumes on the loop; `errc::operation_canceled` on cancellation.
inline detail::fd_wait_awaiter watch_fd(io_registration& reg, fd_interest interest) noexcept {
  return {reg, interest};
}

/// One-shot form: registers `fd` (non-blocking, not registered elsewhere with this loop)
/// for the wait and deregisters it afterwards. Registration errors (EEXIST, EBADF) are
/// returned as the result. Prefer an `io_registration` for a descriptor waited on repeatedly.
inline detail::fd_wait_awaiter watch_fd(int fd, fd_interest interest) noexcept { return {fd, interest}; }

}  // namespace eddy
