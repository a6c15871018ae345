// SPDX-License-Identifier: MIT
#pragma once

#include <cerrno>
#include <coroutine>
#include <optional>
#include <system_error>
#include <utility>

#include "eddy/core/cancellation.hpp"
#include "eddy/core/errors.hpp"
#include "eddy/core/result.hpp"
#include "eddy/core/task.hpp"
#include "eddy/runtime/event_loop.hpp"
#include "eddy/runtime/reactor.hpp"

namespace eddy {

/// Which readiness an I/O wait is for.
enum class io_direction { read, write };

/// A non-blocking file descriptor registered once with a loop's reactor (edge-triggered, both
/// directions). Owns the registration, not the descriptor: `reset()` or destruction
/// deregisters, and must happen before the descriptor is closed. At most one wait per
/// direction at a time. Use on the loop's thread.
class io_registration {
 public:
  io_registration() noexcept = default;
  io_registration(const io_registration&) = delete;
  io_registration& operator=(const io_registration&) = delete;
  ~io_registration() { reset(); }

  /// Registers `fd` with `loop`. Returns the OS error on failure.
  result<void> open(event_loop& loop, int fd) noexcept {
    reset();
    state_.fd = fd;
    if (int e = loop.add_io(state_); e != 0) {
      state_.fd = -1;
      return std::error_code(e, std::system_category());
    }
    loop_ = &loop;
    return {};
  }

  /// Deregisters. Parked waits must have finished (their tasks completed or were destroyed).
  void reset() noexcept {
    if (loop_) loop_->remove_io(state_);
    loop_ = nullptr;
    state_ = {};
  }

  bool is_open() const noexcept { return loop_ != nullptr; }
  int fd() const noexcept { return state_.fd; }
  event_loop* loop() const noexcept { return loop_; }
  detail::io_state& state() noexcept { return state_; }

 private:
  event_loop* loop_ = nullptr;
  detail::io_state state_;
};

namespace detail {

inline bool would_block(int err) noexcept { return err == EAGAIN || err == EWOULDBLOCK; }

template <class R>
bool is_would_block(const result<R>& r) noexcept {
  // By address, as error_category's operator== compares (no member call on the category).
  return !r && &r.error().category() == &std::system_category() && would_block(r.error().value());
}

/// The speculative I/O awaiter: tries the operation in `await_ready`; only if it would block
/// does the coroutine park in the reactor, and the reactor retries the operation when the
/// descriptor is ready, resuming the coroutine only once it completed. One syscall for the
/// common case, no allocation, no epoll_ctl per wait (DESIGN rule 4).
///
/// `Op` is a callable returning `result<R>`; would-block is reported as EAGAIN.
template <class R, class Op>
class [[nodiscard]] io_operation : io_waiter, cancel_hook {
 public:
  io_operation(io_registration& reg, io_direction dir, Op op) noexcept
      : reg_(&reg), dir_(dir), op_(std::move(op)) {}
  io_operation(const io_operation&) = delete;
  ~io_operation() { unpark(); }

  bool await_ready() {
    result_.emplace(op_());
    return !is_would_block(*result_);
  }

  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    if (!arm(token_of(h), &on_cancel)) {
      result_.emplace(errc::operation_canceled);
      return false;
    }
    handle = h;
    on_ready = &retry;
    slot() = this;
    return true;
  }

  result<R> await_resume() noexcept(std::is_nothrow_move_constructible_v<result<R>>) {
    return std::move(*result_);
  }

 private:
  io_waiter*& slot() noexcept {
    return dir_ == io_direction::read ? reg_->state().reader : reg_->state().writer;
  }
  void unpark() noexcept {
    if (slot() == this) slot() = nullptr;
  }
  static bool retry(io_waiter* w) noexcept {
    auto* self = static_cast<io_operation*>(w);
    self->result_.emplace(self->op_());
    if (is_would_block(*self->result_)) return false;
    self->disarm();
    return true;
  }
  static void on_cancel(cancel_hook* hook) noexcept {
    auto* self = static_cast<io_operation*>(hook);
    self->unpark();
    self->result_.emplace(errc::operation_canceled);
    self->reg_->loop()->schedule(self->handle);
  }

  io_registration* reg_;
  io_direction dir_;
  Op op_;
  std::optional<result<R>> result_;
};

}  // namespace detail

/// Performs `op` (a callable returning `result<R>`, reporting EAGAIN when it would block) on a
/// registered descriptor, waiting for readiness as needed. Completes with `op`'s result, or
/// `errc::operation_canceled` if the awaiting task is cancelled while parked.
template <class Op>
auto io_operation(io_registration& reg, io_direction dir, Op op) {
  using R = typename decltype(op())::value_type;
  return detail::io_operation<R, Op>(reg, dir, std::move(op));
}

namespace detail {

/// The awaiter of `wait_ready`: parks at once (there is no operation to try) and completes on
/// the next readiness report, without the result bookkeeping of `io_operation`.
class [[nodiscard]] ready_awaiter : io_waiter, cancel_hook {
 public:
  ready_awaiter(io_registration& reg, io_direction dir) noexcept : reg_(&reg), dir_(dir) {}
  ready_awaiter(const ready_awaiter&) = delete;
  ~ready_awaiter() { unpark(); }

  bool await_ready() const noexcept { return false; }

  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    if (!arm(token_of(h), &on_cancel)) {
      cancelled_ = true;
      return false;
    }
    handle = h;
    on_ready = &ready;
    slot() = this;
    return true;
  }

  result<void> await_resume() const noexcept {
    if (cancelled_) return errc::operation_canceled;
    return {};
  }

 private:
  io_waiter*& slot() noexcept {
    return dir_ == io_direction::read ? reg_->state().reader : reg_->state().writer;
  }
  void unpark() noexcept {
    if (slot() == this) slot() = nullptr;
  }
  static bool ready(io_waiter* w) noexcept {
    static_cast<ready_awaiter*>(w)->disarm();
    return true;  // the loop resumes the waiter
  }
  static void on_cancel(cancel_hook* hook) noexcept {
    auto* self = static_cast<ready_awaiter*>(hook);
    self->unpark();
    self->cancelled_ = true;
    self->reg_->loop()->schedule(self->handle);
  }

  io_registration* reg_;
  io_direction dir_;
  bool cancelled_ = false;
};

}  // namespace detail

/// Waits for the next readiness report for `reg`'s descriptor: for libraries that do their own
/// I/O and only need to know when to try again. Edge-triggered: call it after the library's
/// own read or write hit EAGAIN (readiness that existed before is not reported again).
/// Completes with `errc::operation_canceled` on cancellation.
inline auto wait_ready(io_registration& reg, io_direction dir) noexcept {
  return detail::ready_awaiter(reg, dir);
}

namespace detail {

/// The awaiter of `wait_ready_until`: the reactor's waiter, a timer node and a cancellation
/// hook in one object, so that a connection parked until its next request or its timeout
/// needs no coroutine frame for the wait.
class [[nodiscard]] ready_until_awaiter : io_waiter, cancel_hook, timer_node {
 public:
  ready_until_awaiter(io_registration& reg, io_direction dir, time_point when, bool ready_now) noexcept
      : reg_(&reg), dir_(dir), ready_now_(ready_now) {
    this->when = when;
  }
  ready_until_awaiter(const ready_until_awaiter&) = delete;
  ~ready_until_awaiter() { stop_waiting(); }

  bool await_ready() const noexcept { return ready_now_; }

  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    if (!arm(token_of(h), &on_cancel)) {
      error_ = errc::operation_canceled;
      return false;
    }
    event_loop& loop = *reg_->loop();
    if (when <= loop.now()) {
      disarm();
      error_ = errc::timed_out;
      return false;
    }
    handle = h;
    on_ready = &ready;
    fire = &on_fire;
    slot() = this;
    loop.add_timer(*this);
    return true;
  }

  result<void> await_resume() const noexcept {
    if (error_ != errc{}) return error_;
    return {};
  }

 private:
  io_waiter*& slot() noexcept {
    return dir_ == io_direction::read ? reg_->state().reader : reg_->state().writer;
  }
  void stop_waiting() noexcept {
    if (slot() == static_cast<io_waiter*>(this)) slot() = nullptr;
    if (queued()) reg_->loop()->remove_timer(*this);
  }
  static bool ready(io_waiter* w) noexcept {
    auto* self = static_cast<ready_until_awaiter*>(w);
    if (self->queued()) self->reg_->loop()->remove_timer(*self);
    self->disarm();
    return true;  // the loop resumes the waiter
  }
  static void on_fire(timer_node* n) noexcept {
    auto* self = static_cast<ready_until_awaiter*>(n);
    if (self->slot() == static_cast<io_waiter*>(self)) self->slot() = nullptr;
    self->disarm();
    self->error_ = errc::timed_out;
    self->reg_->loop()->schedule(self->handle);
  }
  static void on_cancel(cancel_hook* hook) noexcept {
    auto* self = static_cast<ready_until_awaiter*>(hook);
    self->stop_waiting();
    self->error_ = errc::operation_canceled;
    self->reg_->loop()->schedule(self->handle);
  }

  io_registration* reg_;
  io_direction dir_;
  bool ready_now_;
  errc error_{};
};

}  // namespace detail

/// Like `wait_ready`, with a time limit: completes when `reg`'s descriptor reports readiness
/// for `dir` (an empty result), at `when` (loop time) with `errc::timed_out`, or on
/// cancellation with `errc::operation_canceled`. With `ready_now` (the caller knows the
/// descriptor may be ready already) it completes at once. Needs no coroutine frame of its own
/// (a server's idle keep-alive connections each park in one).
inline auto wait_ready_until(io_registration& reg, io_direction dir, time_point when, bool ready_now = false) noexcept {
  return detail::ready_until_awaiter(reg, dir, when, ready_now);
}

}  // namespace eddy
