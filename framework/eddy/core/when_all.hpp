// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <tuple>
#include <utility>
#include <vector>

#include "eddy/core/outcome.hpp"
#include "eddy/core/task.hpp"

namespace eddy {
namespace detail {

/// Shared machinery of the combinators: starts child tasks with a completion hook instead of a
/// continuation, counts completions and transfers to the parent after the last one. The count
/// starts at children + 1 so that children finishing synchronously while they are being
/// started can never resume the parent from inside its own `await_suspend` (cppcoro's
/// when_all_counter).
class join_counter {
 public:
  void start(std::size_t children) noexcept { remaining_ = children + 1; }
  /// Called after all children were started; true if the parent must suspend.
  bool parent_should_suspend() noexcept { return --remaining_ != 0; }
  std::coroutine_handle<> child_finished() noexcept {
    return --remaining_ == 0 ? parent_ : std::noop_coroutine();
  }
  std::coroutine_handle<> parent_;

 private:
  std::size_t remaining_ = 0;
};

template <class T>
non_void_t<T> take_value(std::coroutine_handle<task_promise<T>> h) {
  if constexpr (std::is_void_v<T>) {
    h.promise().get();
    return void_value{};
  } else if constexpr (std::is_reference_v<T>) {
    return h.promise().get();
  } else {
    return std::move(h.promise()).get();
  }
}

template <class T>
outcome<T> take_outcome(std::coroutine_handle<task_promise<T>> h) {
  if (h.promise().exception()) return outcome<T>(h.promise().exception());
  return outcome<T>(take_value(h));
}

/// Children of `when_all`: all run to completion; the first failure (in completion order) is
/// remembered. `Settled` returns each outcome instead of rethrowing.
template <bool Settled, class... Ts>
class [[nodiscard]] when_all_tuple {
 public:
  explicit when_all_tuple(task<Ts>... ts) noexcept : handles_{ts.release()...} {}
  when_all_tuple(const when_all_tuple&) = delete;
  ~when_all_tuple() {
    std::apply([](auto&... h) { (destroy(h), ...); }, handles_);
  }

  bool await_ready() const noexcept { return sizeof...(Ts) == 0; }

  template <class P>
  bool await_suspend(std::coroutine_handle<P> parent) noexcept {
    counter_.parent_ = parent;
    counter_.start(sizeof...(Ts));
    cancel_token token = token_of(parent);
    std::apply([&](auto&... h) { (start(h, token), ...); }, handles_);
    return counter_.parent_should_suspend();
  }

  auto await_resume() {
    if constexpr (Settled) {
      return std::apply([](auto&... h) { return std::make_tuple(take_outcome(h)...); }, handles_);
    } else {
      if (first_failure_) std::rethrow_exception(first_failure_->exception());
      return std::apply([](auto&... h) { return std::tuple<decltype(take_value(h))...>(take_value(h)...); },
                        handles_);
    }
  }

 private:
  template <class H>
  static void destroy(H& h) noexcept {
    if (h) h.destroy();
  }
  template <class H>
  void start(H& h, cancel_token token) noexcept {
    auto& p = h.promise();
    p.token_ = token;
    p.on_done_ = &on_child_done;
    p.done_ctx_ = this;
    h.resume();
  }
  static std::coroutine_handle<> on_child_done(task_promise_base& p) noexcept {
    auto* self = static_cast<when_all_tuple*>(p.done_ctx_);
    if (p.exception() && !self->first_failure_) self->first_failure_ = &p;
    return self->counter_.child_finished();
  }

  std::tuple<std::coroutine_handle<task_promise<Ts>>...> handles_;
  join_counter counter_;
  task_promise_base* first_failure_ = nullptr;
};

template <bool Settled, class T>
class [[nodiscard]] when_all_range {
 public:
  explicit when_all_range(std::vector<task<T>> ts) {
    handles_.reserve(ts.size());
    for (auto& t : ts) handles_.push_back(t.release());
  }
  when_all_range(const when_all_range&) = delete;
  ~when_all_range() {
    for (auto h : handles_)
      if (h) h.destroy();
  }

  bool await_ready() const noexcept { return handles_.empty(); }

  template <class P>
  bool await_suspend(std::coroutine_handle<P> parent) noexcept {
    counter_.parent_ = parent;
    counter_.start(handles_.size());
    cancel_token token = token_of(parent);
    for (auto h : handles_) {
      auto& p = h.promise();
      p.token_ = token;
      p.on_done_ = &on_child_done;
      p.done_ctx_ = this;
      h.resume();
    }
    return counter_.parent_should_suspend();
  }

  auto await_resume() {
    if constexpr (Settled) {
      std::vector<outcome<T>> out;
      out.reserve(handles_.size());
      for (auto h : handles_) out.push_back(take_outcome(h));
      return out;
    } else {
      if (first_failure_) std::rethrow_exception(first_failure_->exception());
      if constexpr (std::is_void_v<T>) {
        return;
      } else {
        std::vector<T> out;
        out.reserve(handles_.size());
        for (auto h : handles_) out.push_back(take_value(h));
        return out;
      }
    }
  }

 private:
  static std::coroutine_handle<> on_child_done(task_promise_base& p) noexcept {
    auto* self = static_cast<when_all_range*>(p.done_ctx_);
    if (p.exception() && !self->first_failure_) self->first_failure_ = &p;
    return self->counter_.child_finished();
  }

  std::vector<std::coroutine_handle<task_promise<T>>> handles_;
  join_counter counter_;
  task_promise_base* first_failure_ = nullptr;
};

}  // namespace detail

/// Runs the tasks concurrently on the awaiting task's loop and waits for all of them
/// (asyncio.gather). Yields a tuple of their values (`void_value` for `task<void>`). If any
/// task throws, the others still run to completion, then the first exception (in completion
/// order) is rethrown. Cancelling the awaiting task cancels all of them.
template <class... Ts>
auto when_all(task<Ts>... tasks) {
  return detail::when_all_tuple<false, Ts...>(std::move(tasks)...);
}

/// `when_all` over a vector: yields `std::vector<T>` in input order (nothing for `void`).
template <class T>
auto when_all(std::vector<task<T>> tasks) {
  return detail::when_all_range<false, T>(std::move(tasks));
}

/// Like `when_all`, but never throws for the tasks' failures: yields an `outcome<T>` for
/// each task (asyncio.gather(return_exceptions=True)).
template <class... Ts>
auto when_all_settled(task<Ts>... tasks) {
  return detail::when_all_tuple<true, Ts...>(std::move(tasks)...);
}

/// `when_all_settled` over a vector: yields `std::vector<outcome<T>>` in input order.
template <class T>
auto when_all_settled(std::vector<task<T>> tasks) {
  return detail::when_all_range<true, T>(std::move(tasks));
}

}  // namespace eddy
