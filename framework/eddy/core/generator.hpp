// SPDX-License-Identifier: MIT
#pragma once

#include <cassert>
#include <coroutine>
#include <exception>
#include <iterator>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "eddy/core/errors.hpp"

namespace eddy {

template <class T, class Send = void>
class generator;

namespace detail {

/// What `co_yield` evaluates to inside a generator: nothing, or the value passed to `send()`.
template <class Send>
using sent_t = std::conditional_t<std::is_void_v<Send>, void, std::optional<Send>>;

/// Storage for the value a consumer passes with `send()`; empty for plain generators.
template <class Send>
struct send_slot {
  std::optional<Send> sent_;
  std::optional<Send> take() noexcept(std::is_nothrow_move_constructible_v<Send>) {
    return std::exchange(sent_, std::nullopt);
  }
};
template <>
struct send_slot<void> {
  void take() noexcept {}
};

/// The yielded value of a generator over `T`, or `std::monostate` for a pure consumer
/// (`generator<void, Send>`, whose body writes `auto v = co_yield {};`).
template <class T>
using yielded_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <class T, class Send>
class generator_promise : public send_slot<Send> {
  using value_type = yielded_t<T>;

 public:
  generator<T, Send> get_return_object() noexcept;
  std::suspend_always initial_suspend() const noexcept { return {}; }
  std::suspend_always final_suspend() const noexcept { return {}; }
  void return_void() const noexcept {}
  void unhandled_exception() noexcept { exception_ = std::current_exception(); }

  /// Suspends at a `co_yield`; resumes with the value sent by the consumer (if any).
  struct yield_awaiter {
    generator_promise* promise;
    std::optional<value_type> copy;  // only for values yielded by const reference
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<>) noexcept {
      // The awaiter now lives in the suspended frame, so its copy has a stable address.
      if (copy) promise->value_ = std::addressof(*copy);
    }
    sent_t<Send> await_resume() { return promise->take(); }
  };

  /// `co_yield std::move(x)` / `co_yield f()`: the consumer sees the object itself; it lives
  /// until the generator resumes.
  yield_awaiter yield_value(value_type&& v) noexcept {
    value_ = std::addressof(v);
    return yield_awaiter{this, std::nullopt};
  }
  /// `co_yield x` for a const lvalue: the consumer sees a copy kept in the suspended frame.
  yield_awaiter yield_value(const value_type& v)
    requires std::is_copy_constructible_v<value_type>
  {
    return yield_awaiter{this, std::optional<value_type>(v)};
  }

  /// A synchronous generator cannot `co_await` (use `async_generator`).
  template <class U>
  void await_transform(U&&) = delete;

  value_type* value_ = nullptr;
  std::exception_ptr exception_;
};

}  // namespace detail

/// A lazy, synchronous, move-only sequence produced by a coroutine with `co_yield`
/// (a Python generator).
///
/// Nothing runs until `begin()` (a range-for), `next()`, `start()` or `send()` resumes the
/// body, and the body runs only up to its next `co_yield`. An exception escaping the body is
/// rethrown to the consumer from the call that resumed it (`begin()`, `++it`, `next()`,
/// `start()`, `send()`); the
/// generator is then finished. Destroying a generator destroys its frame, running the
/// destructors of the body's locals, wherever it is suspended. The body may not `co_await`.
///
/// `T` is the yielded object type (`*it` is a `T&` into the generator's frame, valid until it
/// resumes), or `void` for a pure consumer. With `Send` non-void, `auto v = co_yield x;` gives
/// `std::optional<Send>`: the value passed with `send(v)`, or `std::nullopt` when the
/// generator was resumed by plain iteration (Python's `newvalue = (yield n)`).
/// Single-threaded: use a generator on one thread at a time.
template <class T, class Send>
class [[nodiscard]] generator {
  static_assert(!std::is_reference_v<T>, "generator<T>: T must be an object type or void");
  static_assert(!std::is_reference_v<Send>, "generator<T, Send>: Send must be an object type");

 public:
  using promise_type = detail::generator_promise<T, Send>;
  using handle_type = std::coroutine_handle<promise_type>;
  using value_type = std::remove_cv_t<detail::yielded_t<T>>;
  using reference = detail::yielded_t<T>&;

  /// Input iterator over the yielded values; compares equal to `std::default_sentinel` once
  /// the body has finished.
  class iterator {
   public:
    using iterator_concept = std::input_iterator_tag;
    using value_type = generator::value_type;
    using difference_type = std::ptrdiff_t;

    iterator() noexcept = default;
    explicit iterator(handle_type h) noexcept : coro_(h) {}
    iterator(iterator&&) noexcept = default;
    iterator& operator=(iterator&&) noexcept = default;

    /// The current value (a reference into the suspended body).
    reference operator*() const noexcept {
      assert(coro_ && !coro_.done());
      return *coro_.promise().value_;
    }
    auto* operator->() const noexcept { return std::addressof(**this); }
    /// Resumes the body until its next `co_yield` or its end; rethrows what the body throws.
    iterator& operator++() {
      generator::advance(coro_);
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept {
      return !it.coro_ || it.coro_.done();
    }

   private:
    handle_type coro_;
  };

  generator() noexcept = default;
  explicit generator(handle_type h) noexcept : coro_(h) {}
  generator(generator&& o) noexcept : coro_(std::exchange(o.coro_, {})), started_(o.started_) {}
  generator& operator=(generator&& o) noexcept {
    if (this != &o) {
      destroy();
      coro_ = std::exchange(o.coro_, {});
      started_ = o.started_;
    }
    return *this;
  }
  generator(const generator&) = delete;
  generator& operator=(const generator&) = delete;
  /// Destroys the frame; an unfinished body never runs again.
  ~generator() { destroy(); }

  /// Starts the body if it has not started (running it to its first `co_yield`) and returns
  /// an iterator at the current value. Rethrows what the body throws.
  iterator begin()
    requires(!std::is_void_v<T>)
  {
    if (coro_ && !started_) {
      started_ = true;
      advance(coro_);
    }
    return iterator(coro_);
  }
  std::default_sentinel_t end() const noexcept { return {}; }

  /// Python's `next(gen)`: resumes the body (starting it if needed) up to its next
  /// `co_yield` and returns that value, moved out of the body; nullopt once it has finished.
  /// A pending `auto v = co_yield x;` gets nullopt. Do not mix with a range-for over the same
  /// generator (the iterator would see the moved-from value). Rethrows what the body throws.
  std::optional<value_type> next()
    requires(!std::is_void_v<T>)
  {
    if (done()) return std::nullopt;
    started_ = true;
    advance(coro_);
    return current();
  }

  /// Python's priming `next(gen)`: runs the body to its first `co_yield`. Returns the first
  /// value (moved out of the body), or nullopt if the body ended without yielding; for
  /// `generator<void, Send>`, true if the body is waiting for `send()`. Throws
  /// `invalid_state_error` if the generator already started, or what the body throws.
  auto start() {
    if (!coro_ || started_) throw invalid_state_error("generator::start: already started");
    started_ = true;
    advance(coro_);
    return current();
  }

  /// Python's `gen.send(v)`: resumes the body at its pending `co_yield`, which evaluates to
  /// `v`, and runs it to the next one. Returns that next value (moved out of the body), or
  /// nullopt once the body has finished; for `generator<void, Send>`, true while the body is
  /// still waiting for values. A finished generator ignores `v`. Throws `invalid_state_error`
  /// before `start()`/`begin()` (there is no `co_yield` to receive `v` yet), or what the body
  /// throws.
  template <class U = Send>
    requires(!std::is_void_v<Send> && std::is_convertible_v<U &&, Send>)
  auto send(U&& v) {
    if (coro_ && !started_) {
      throw invalid_state_error("generator::send: the generator has not started; call start()");
    }
    if (!done()) {
      coro_.promise().sent_.emplace(std::forward<U>(v));
      advance(coro_);
    }
    return current();
  }

  /// True once the body has finished (or for an empty generator).
  bool done() const noexcept { return !coro_ || coro_.done(); }

 private:
  static void advance(handle_type h) {
    assert(h && !h.done());
    h.resume();
    if (h.done() && h.promise().exception_) {
      std::rethrow_exception(std::exchange(h.promise().exception_, nullptr));
    }
  }
  auto current() {
    if constexpr (std::is_void_v<T>) {
      return !done();
    } else {
      return done() ? std::optional<value_type>() : std::optional<value_type>(std::move(*coro_.promise().value_));
    }
  }
  void destroy() noexcept {
    if (coro_) coro_.destroy();
  }

  handle_type coro_;
  bool started_ = false;
};

namespace detail {
template <class T, class Send>
generator<T, Send> generator_promise<T, Send>::get_return_object() noexcept {
  return generator<T, Send>(std::coroutine_handle<generator_promise>::from_promise(*this));
}
}  // namespace detail

}  // namespace eddy
