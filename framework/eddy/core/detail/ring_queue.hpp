// SPDX-License-Identifier: MIT
#pragma once

#include <cassert>
#include <cstddef>
#include <memory>
#include <utility>

namespace eddy::detail {

/// A growable FIFO ring buffer of trivially copyable items (power-of-two capacity). The loop's
/// ready queue: push and pop are a store, a load and a mask, with no allocation once warm.
template <class T>
class ring_queue {
 public:
  bool empty() const noexcept { return head_ == tail_; }
  std::size_t size() const noexcept { return tail_ - head_; }

  void push(const T& v) {
    if (size() == capacity_) grow();
    buf_[tail_++ & (capacity_ - 1)] = v;
  }
  T pop() noexcept {
    assert(!empty());
    return buf_[head_++ & (capacity_ - 1)];
  }

 private:
  void grow() {
    std::size_t cap = capacity_ ? capacity_ * 2 : 256;
    auto next = std::make_unique<T[]>(cap);
    for (std::size_t i = 0, n = size(); i < n; ++i) next[i] = buf_[(head_ + i) & (capacity_ - 1)];
    tail_ = size();
    head_ = 0;
    buf_ = std::move(next);
    capacity_ = cap;
  }

  std::unique_ptr<T[]> buf_;
  std::size_t capacity_ = 0;
  std::size_t head_ = 0;
  std::size_t tail_ = 0;
};

}  // namespace eddy::detail
