// SPDX-License-Identifier: MIT
#pragma once

#include <cassert>
#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace eddy {

template <class Signature>
class unique_function;

/// A move-only type-erased callable (C++23's std::move_only_function, for C++20). Callables up
/// to three pointers in size and nothrow-movable are stored inline: no allocation for the
/// lambdas the loop's `call_soon`/`post` usually receive.
template <class R, class... Args>
class unique_function<R(Args...)> {
 public:
  unique_function() noexcept = default;
  unique_function(std::nullptr_t) noexcept {}

  template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, unique_function> &&
             std::is_invocable_r_v<R, std::remove_cvref_t<F>&, Args...>)
  unique_function(F&& f) {  // NOLINT(google-explicit-constructor): behaves like a function
    using D = std::remove_cvref_t<F>;
    if constexpr (fits_inline<D>) {
      new (&storage_) D(std::forward<F>(f));
      ops_ = &inline_ops<D>;
    } else {
      *reinterpret_cast<D**>(&storage_) = new D(std::forward<F>(f));
      ops_ = &heap_ops<D>;
    }
  }

  unique_function(unique_function&& o) noexcept : ops_(o.ops_) {
    if (ops_) ops_->move(&storage_, &o.storage_);
    o.ops_ = nullptr;
  }
  unique_function& operator=(unique_function&& o) noexcept {
    if (this != &o) {
      reset();
      ops_ = o.ops_;
      if (ops_) ops_->move(&storage_, &o.storage_);
      o.ops_ = nullptr;
    }
    return *this;
  }
  unique_function(const unique_function&) = delete;
  unique_function& operator=(const unique_function&) = delete;
  ~unique_function() { reset(); }

  explicit operator bool() const noexcept { return ops_ != nullptr; }

  /// Precondition: holds a callable.
  R operator()(Args... args) {
    assert(ops_);
    return ops_->call(&storage_, std::forward<Args>(args)...);
  }

  void reset() noexcept {
    if (ops_) ops_->destroy(&storage_);
    ops_ = nullptr;
  }

 private:
  struct ops {
    R (*call)(void*, Args&&...);
    void (*move)(void* dst, void* src) noexcept;
    void (*destroy)(void*) noexcept;
  };
  using storage = std::aligned_storage_t<3 * sizeof(void*), alignof(std::max_align_t)>;

  template <class D>
  static constexpr bool fits_inline = sizeof(D) <= sizeof(storage) &&
                                      alignof(D) <= alignof(storage) &&
                                      std::is_nothrow_move_constructible_v<D>;

  template <class D>
  static constexpr ops inline_ops{
      [](void* s, Args&&... a) -> R { return (*static_cast<D*>(s))(std::forward<Args>(a)...); },
      [](void* d, void* s) noexcept {
        new (d) D(std::move(*static_cast<D*>(s)));
        static_cast<D*>(s)->~D();
      },
      [](void* s) noexcept { static_cast<D*>(s)->~D(); }};

  template <class D>
  static constexpr ops heap_ops{
      [](void* s, Args&&... a) -> R { return (**static_cast<D**>(s))(std::forward<Args>(a)...); },
      [](void* d, void* s) noexcept { *static_cast<D**>(d) = *static_cast<D**>(s); },
      [](void* s) noexcept { delete *static_cast<D**>(s); }};

  const ops* ops_ = nullptr;
  storage storage_;
};

}  // namespace eddy
