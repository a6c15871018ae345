// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <type_traits>
#include <variant>
#include <vector>

#include "eddy/core/when_all.hpp"

namespace eddy {

/// Which task of a `when_any` finished first, and its value.
template <class V>
struct when_any_result {
  std::size_t index;
  V value;
};

namespace detail {

template <class... Ts>
struct any_value {
  using type = std::variant<non_void_t<Ts>...>;
};
template <class T, class... Ts>
  requires(std::is_same_v<T, Ts> && ...)
struct any_value<T, Ts...> {
  using type = non_void_t<T>;
};

/// Common part of both `when_any` forms: a cancellation source linked to the parent's token,
/// the winner, and the join counter. Each child's `done_ctx_` points at its own slot.
class when_any_state {
 public:
  struct slot {
    when_any_state* self;
    std::size_t index;
  };

  template <class P>
  void begin(std::coroutine_handle<P> parent, std::size_t children) noexcept {
    counter_.parent_ = parent;
    counter_.start(children);
    source_.link(token_of(parent));
  }

  /// Starts child `h` (or, once a winner is known, leaves it unstarted: it would only be
  /// cancelled at its first wait).
  template <class H>
  void start(H h, slot& s) noexcept {
    if (winner_ != none) {
      counter_.child_finished();
      return;
    }
    auto& p = h.promise();
    p.token_ = source_.token();
    p.on_done_ = &on_child_done;
    p.done_ctx_ = &s;
    h.resume();
  }
  bool parent_should_suspend() noexcept { return counter_.parent_should_suspend(); }
  std::size_t winner() const noexcept { return winner_; }

  static constexpr std::size_t none = static_cast<std::size_t>(-1);

 private:
  static std::coroutine_handle<> on_child_done(task_promise_base& p) noexcept {
    auto* s = static_cast<slot*>(p.done_ctx_);
    when_any_state* self = s->self;
    if (self->winner_ == none) {
      self->winner_ = s->index;
      // The losers see cancellation at their current wait; we resume after all are done.
      self->source_.request_cancel();
    }
    return self->counter_.child_finished();
  }

  linked_cancel_source source_;
  join_counter counter_;
  std::size_t winner_ = none;
};

template <class... Ts>
class [[nodiscard]] when_any_tuple {
 public:
  using value_type = typename any_value<Ts...>::type;

  explicit when_any_tuple(task<Ts>... ts) noexcept : handles_{ts.release()...} {}
  when_any_tuple(const when_any_tuple&) = delete;
  ~when_any_tuple() {
    std::apply([](auto&... h) { ((h ? h.destroy() : void()), ...); }, handles_);
  }

  bool await_ready() const noexcept { return false; }

  template <class P>
  bool await_suspend(std::coroutine_handle<P> parent) noexcept {
    state_.begin(parent, sizeof...(Ts));
    start_all(std::index_sequence_for<Ts...>{});
    return state_.parent_should_suspend();
  }

  when_any_result<value_type> await_resume() {
    return take(std::index_sequence_for<Ts...>{});
  }

 private:
  template <std::size_t... I>
  void start_all(std::index_sequence<I...>) noexcept {
    ((slots_[I] = {&state_, I}, state_.start(std::get<I>(handles_), slots_[I])), ...);
  }
  template <std::size_t I = 0, std::size_t... Rest>
  when_any_result<value_type> take(std::index_sequence<I, Rest...>) {
    if (state_.winner() == I) {
      auto& h = std::get<I>(handles_);
      if constexpr (std::is_same_v<value_type, std::variant<non_void_t<Ts>...>>) {
        return {I, value_type(std::in_place_index<I>, take_value(h))};
      } else {
        return {I, take_value(h)};
      }
    }
    if constexpr (sizeof...(Rest) > 0) {
      return take(std::index_sequence<Rest...>{});
    } else {
      std::terminate();  // unreachable: a winner always exists once every child finished
    }
  }

  std::tuple<std::coroutine_handle<task_promise<Ts>>...> handles_;
  std::array<when_any_state::slot, sizeof...(Ts)> slots_{};
  when_any_state state_;
};

template <class T>
class [[nodiscard]] when_any_range {
 public:
  explicit when_any_range(std::vector<task<T>> ts) {
    handles_.reserve(ts.size());
    for (auto& t : ts) handles_.push_back(t.release());
    slots_.resize(handles_.size());
  }
  when_any_range(const when_any_range&) = delete;
  ~when_any_range() {
    for (auto h : handles_)
      if (h) h.destroy();
  }

  /// Precondition: at least one task.
  bool await_ready() const noexcept { return false; }

  template <class P>
  bool await_suspend(std::coroutine_handle<P> parent) noexcept {
    state_.begin(parent, handles_.size());
    for (std::size_t i = 0; i < handles_.size(); ++i) {
      slots_[i] = {&state_, i};
      state_.start(handles_[i], slots_[i]);
    }
    return state_.parent_should_suspend();
  }

  when_any_result<non_void_t<T>> await_resume() {
    std::size_t i = state_.winner();
    return {i, take_value(handles_[i])};
  }

 private:
  std::vector<std::coroutine_handle<task_promise<T>>> handles_;
  std::vector<when_any_state::slot> slots_;
  when_any_state state_;
};

}  // namespace detail

/// Runs the tasks concurrently and yields `{index, value}` of the first one to finish; the
/// others are cancelled and awaited before `co_await` returns (nothing is left running). If the
/// first to finish threw, its exception is rethrown; the losers' outcomes are discarded. The
/// value is `T` when every task has the same type, otherwise a `std::variant` whose index
/// equals `index`.
template <class... Ts>
auto when_any(task<Ts>... tasks) {
  static_assert(sizeof...(Ts) > 0, "when_any needs at least one task");
  return detail::when_any_tuple<Ts...>(std::move(tasks)...);
}

/// `when_any` over a non-empty vector.
template <class T>
auto when_any(std::vector<task<T>> tasks) {
  return detail::when_any_range<T>(std::move(tasks));
}

}  // namespace eddy
