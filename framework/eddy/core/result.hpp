// SPDX-License-Identifier: MIT
#pragma once

#include <cassert>
#include <cerrno>
#include <new>
#include <system_error>
#include <type_traits>
#include <utility>

#include "eddy/core/errors.hpp"

namespace eddy {

/// Wraps an error code so that `result<T>` can be built from it unambiguously
/// (`return unexpected(errc::timed_out);`), like `std::unexpected`.
class unexpected {
 public:
  explicit unexpected(std::error_code ec) noexcept : ec_(ec) {}
  template <class E>
    requires std::is_error_code_enum_v<E>
  explicit unexpected(E e) noexcept : ec_(make_error_code(e)) {}
  std::error_code error() const noexcept { return ec_; }

 private:
  std::error_code ec_;
};

/// A value or an `std::error_code`, spelled like C++23 `std::expected<T, std::error_code>`.
/// I/O-facing calls return it; they never throw for I/O failures.
template <class T>
class [[nodiscard]] result {
 public:
  using value_type = T;

  result() requires std::is_default_constructible_v<T> : has_(true) { new (&value_) T(); }
  result(const T& v) : has_(true) { new (&value_) T(v); }
  result(T&& v) : has_(true) { new (&value_) T(std::move(v)); }
  result(unexpected u) noexcept : has_(false), ec_(u.error()) { assert(ec_); }
  result(std::error_code ec) noexcept : has_(false), ec_(ec) { assert(ec_); }
  result(errc e) noexcept : has_(false), ec_(make_error_code(e)) {}

  result(const result& o) : has_(o.has_) {
    if (has_) new (&value_) T(o.value_); else ec_ = o.ec_;
  }
  result(result&& o) noexcept(std::is_nothrow_move_constructible_v<T>) : has_(o.has_) {
    if (has_) new (&value_) T(std::move(o.value_)); else ec_ = o.ec_;
  }
  result& operator=(result o) noexcept(std::is_nothrow_move_constructible_v<T>) {
    destroy();
    has_ = o.has_;
    if (has_) new (&value_) T(std::move(o.value_)); else ec_ = o.ec_;
    return *this;
  }
  ~result() { destroy(); }

  bool has_value() const noexcept { return has_; }
  explicit operator bool() const noexcept { return has_; }

  /// Precondition: `has_value()`.
  T& value() & noexcept { assert(has_); return value_; }
  const T& value() const& noexcept { assert(has_); return value_; }
  T&& value() && noexcept { assert(has_); return std::move(value_); }
  T& operator*() & noexcept { return value(); }
  const T& operator*() const& noexcept { return value(); }
  T&& operator*() && noexcept { return std::move(*this).value(); }
  T* operator->() noexcept { return &value(); }
  const T* operator->() const noexcept { return &value(); }

  /// The error; an empty code when the result holds a value.
  std::error_code error() const noexcept { return has_ ? std::error_code{} : ec_; }

  template <class U>
  T value_or(U&& fallback) const& { return has_ ? value_ : static_cast<T>(std::forward<U>(fallback)); }

 private:
  void destroy() noexcept {
    if (has_) value_.~T();
  }

  bool has_;
  union {
    T value_;
    std::error_code ec_;
  };
};

/// `result<void>`: success or an error code.
template <>
class [[nodiscard]] result<void> {
 public:
  using value_type = void;

  result() noexcept = default;
  result(unexpected u) noexcept : ec_(u.error()) {}
  result(std::error_code ec) noexcept : ec_(ec) {}
  result(errc e) noexcept : ec_(make_error_code(e)) {}

  bool has_value() const noexcept { return !ec_; }
  explicit operator bool() const noexcept { return !ec_; }
  void value() const noexcept { assert(!ec_); }
  std::error_code error() const noexcept { return ec_; }

 private:
  std::error_code ec_;
};

/// Builds the `std::error_code` for the calling thread's `errno`.
inline std::error_code last_system_error() noexcept { return {errno, std::system_category()}; }

}  // namespace eddy
