// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

namespace eddy::detail {

/// An intrusive, thread-safe reference count for the heap blocks the bridge shares between a
/// loop and foreign threads (a job, a promise's state, a callback's state). `Derived` is
/// deleted when the last reference goes.
template <class Derived>
class ref_counted {
 public:
  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept {
    // acq_rel: the thread that deletes must see every write made before other releases.
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete static_cast<Derived*>(this);
  }

 protected:
  ref_counted() noexcept = default;
  ~ref_counted() = default;

 private:
  std::atomic<std::uint32_t> refs_{1};
};

/// Owning pointer to a `ref_counted` block (one pointer wide, so it fits the inline storage
/// of `unique_function`: posting a completion allocates nothing extra).
template <class T>
class ref_ptr {
 public:
  ref_ptr() noexcept = default;
  /// Adopts one reference already held.
  static ref_ptr adopt(T* p) noexcept {
    ref_ptr r;
    r.p_ = p;
    return r;
  }
  ref_ptr(const ref_ptr& o) noexcept : p_(o.p_) {
    if (p_) p_->add_ref();
  }
  ref_ptr(ref_ptr&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  ref_ptr& operator=(ref_ptr o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~ref_ptr() {
    if (p_) p_->release();
  }
  T* get() const noexcept { return p_; }
  T* operator->() const noexcept { return p_; }
  T& operator*() const noexcept { return *p_; }
  explicit operator bool() const noexcept { return p_ != nullptr; }

 private:
  T* p_ = nullptr;
};

}  // namespace eddy::detail
