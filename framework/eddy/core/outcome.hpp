// SPDX-License-Identifier: MIT
#pragma once

#include <cassert>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace eddy {

/// Placeholder value for `void` results inside tuples and variants.
using void_value = std::monostate;

namespace detail {
template <class T>
using non_void_t = std::conditional_t<std::is_void_v<T>, void_value, T>;
}  // namespace detail

/// How a task settled: its value or the exception it threw (`when_all_settled`).
template <class T>
class outcome {
 public:
  using value_type = detail::non_void_t<T>;

  outcome() = default;
  explicit outcome(value_type v) : value_(std::move(v)) {}
  explicit outcome(std::exception_ptr e) noexcept : exception_(std::move(e)) {}

  bool has_value() const noexcept { return value_.has_value(); }
  bool has_exception() const noexcept { return exception_ != nullptr; }
  explicit operator bool() const noexcept { return has_value(); }

  /// The value; rethrows the exception if the task failed.
  value_type& value() & {
    if (exception_) std::rethrow_exception(exception_);
    assert(value_);
    return *value_;
  }
  value_type&& value() && { return std::move(value()); }
  const std::exception_ptr& exception() const noexcept { return exception_; }

 private:
  std::optional<value_type> value_;
  std::exception_ptr exception_;
};

}  // namespace eddy
