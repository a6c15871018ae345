// SPDX-License-Identifier: MIT
#pragma once

#include <cassert>
#include <coroutine>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "eddy/core/errors.hpp"
#include "eddy/core/task.hpp"

namespace eddy {

template <class T>
class async_generator;

namespace detail {

template <class T>
class async_generator_promise : public cancellable_promise {
 public:
  async_generator<T> get_return_object() noexcept;
  std::suspend_always initial_suspend() const noexcept { return {}; }

  /// Hands control back to the consumer waiting in `next()` (symmetric transfer: the consumer
  /// continues on the same loop iteration, exactly as a finished `task` resumes its awaiter).
  struct to_consumer {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      auto& p = h.promise();
      // Release the consumer's token: between two `next()` calls nobody cancels us.
      p.token_ = {};
      std::coroutine_handle<> consumer = std::exchange(p.consumer_, {});
      return consumer ? consumer : std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };
  to_consumer final_suspend() const noexcept { return {}; }
  void return_void() const noexcept {}
  void unhandled_exception() noexcept { exception_ = std::current_exception(); }

  struct yield_awaiter : to_consumer {
    std::optional<T> copy;  // only for values yielded by const reference
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      if (copy) h.promise().value_ = std::addressof(*copy);
      return to_consumer::await_suspend(h);
    }
  };
  /// `co_yield std::move(x)` / `co_yield f()`: the value is moved out by the consumer's
  /// `next()` before the body resumes.
  yield_awaiter yield_value(T&& v) noexcept {
    value_ = std::addressof(v);
    return yield_awaiter{{}, std::nullopt};
  }
  /// `co_yield x` for an lvalue: a copy is kept in the suspended frame.
  yield_awaiter yield_value(const T& v)
    requires std::is_copy_constructible_v<T>
  {
    return yield_awaiter{{}, std::optional<T>(v)};
  }

  std::coroutine_handle<> consumer_;
  T* value_ = nullptr;
  std::exception_ptr exception_;
};

}  // namespace detail

/// An asynchronous sequence (a Python async generator): a coroutine that may `co_await`
/// (sleeps, I/O, other tasks) and `co_yield`s values, consumed one at a time with
///
///     while (auto v = co_await gen.next()) use(*v);
///
/// Lazy and move-only: the body starts with the first `next()` and runs only until its next
/// `co_yield`. `next()` completes with the yielded value, or `std::nullopt` when the body has
/// finished; an exception escaping the body is rethrown from that `next()` (later calls give
/// nullopt). While a `next()` is pending the body runs with the consumer's cancellation
/// token: cancelling the consuming task ends the body's current wait (a `sleep_for` throws
/// `cancelled_error`), and unless the body handles it the exception comes out of `next()`.
/// Destroying the generator destroys its frame (and, with it, any timer or fd wait of a
/// suspended body). While a `next()` is pending it may only be destroyed together with the
/// awaiting frame (which is then never resumed). Use on one loop thread.
template <class T>
class [[nodiscard]] async_generator {
  static_assert(!std::is_reference_v<T> && !std::is_void_v<T>,
                "async_generator<T>: T must be an object type");

 public:
  using promise_type = detail::async_generator_promise<T>;
  using handle_type = std::coroutine_handle<promise_type>;
  using value_type = T;

  async_generator() noexcept = default;
  explicit async_generator(handle_type h) noexcept : coro_(h) {}
  async_generator(async_generator&& o) noexcept : coro_(std::exchange(o.coro_, {})) {}
  async_generator& operator=(async_generator&& o) noexcept {
    if (this != &o) {
      destroy();
      coro_ = std::exchange(o.coro_, {});
    }
    return *this;
  }
  async_generator(const async_generator&) = delete;
  async_generator& operator=(const async_generator&) = delete;
  /// Destroys the frame; an unfinished body never runs again.
  ~async_generator() { destroy(); }

  /// Awaiter of `next()`.
  class [[nodiscard]] next_awaiter {
   public:
    explicit next_awaiter(handle_type h) noexcept : coro_(h) {}
    bool await_ready() const noexcept { return !coro_ || coro_.done(); }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> consumer) noexcept {
      auto& p = coro_.promise();
      assert(!p.consumer_ && "async_generator::next: another next() is pending");
      p.consumer_ = consumer;
      p.token_ = detail::token_of(consumer);
      p.value_ = nullptr;
      return coro_;
    }
    std::optional<T> await_resume() {
      if (!coro_) return std::nullopt;
      auto& p = coro_.promise();
      if (p.exception_) std::rethrow_exception(std::exchange(p.exception_, nullptr));
      if (coro_.done()) return std::nullopt;
      return std::optional<T>(std::move(*p.value_));
    }

   private:
    handle_type coro_;
  };

  /// Resumes the body until its next `co_yield` (its value) or its end (`std::nullopt`).
  /// Completes on the consumer's loop, in the same iteration the body yields. Rethrows what
  /// the body throws, including `cancelled_error` when the consumer was cancelled during the
  /// body's wait. Precondition: no other `next()` is pending.
  next_awaiter next() noexcept { return next_awaiter(coro_); }

  /// True once the body has finished (or for an empty generator).
  bool done() const noexcept { return !coro_ || coro_.done(); }

 private:
  void destroy() noexcept {
    if (coro_) coro_.destroy();
  }
  handle_type coro_;
};

namespace detail {
template <class T>
async_generator<T> async_generator_promise<T>::get_return_object() noexcept {
  return async_generator<T>(std::coroutine_handle<async_generator_promise>::from_promise(*this));
}
}  // namespace detail

}  // namespace eddy
