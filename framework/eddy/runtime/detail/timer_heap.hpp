// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace eddy::detail {

/// A timer registration. It lives in the awaiter that waits for it (sleep, timeout), or in a
/// heap block for `call_later`; the heap only points at it.
struct timer_node {
  static constexpr std::uint32_t not_queued = static_cast<std::uint32_t>(-1);
  std::chrono::steady_clock::time_point when{};
  std::uint64_t seq = 0;                 // FIFO order among equal deadlines
  void (*fire)(timer_node*) noexcept = nullptr;
  std::uint32_t index = not_queued;      // position in the heap, for O(log n) removal
  std::uint8_t user_flags = 0;           // free for the owner (packs into the padding)

  bool queued() const noexcept { return index != not_queued; }
};

/// A binary min-heap of timer nodes ordered by (deadline, insertion order). Nodes record their
/// own index, so cancelling removes the node at once in O(log n). Lazy cancellation (marking a
/// node dead and skipping it when it surfaces) would leave a dangling pointer behind every
/// awaiter destroyed before its deadline, and lets a server's never-firing timeouts pile up;
/// exact removal keeps the heap as large as the live timers and nothing more.
class timer_heap {
 public:
  bool empty() const noexcept { return heap_.empty(); }
  std::size_t size() const noexcept { return heap_.size(); }
  timer_node* top() const noexcept { return heap_.front(); }

  void push(timer_node* n) {
    n->seq = next_seq_++;
    n->index = static_cast<std::uint32_t>(heap_.size());
    heap_.push_back(n);
    sift_up(n->index);
  }

  /// Removes `n` if it is queued; does nothing otherwise.
  void remove(timer_node* n) noexcept {
    if (!n->queued()) return;
    std::size_t i = n->index;
    n->index = timer_node::not_queued;
    timer_node* last = heap_.back();
    heap_.pop_back();
    if (last == n) return;
    heap_[i] = last;
    last->index = static_cast<std::uint32_t>(i);
    if (i > 0 && less(last, heap_[(i - 1) / 2])) sift_up(i); else sift_down(i);
  }

  timer_node* pop() noexcept {
    timer_node* n = heap_.front();
    remove(n);
    return n;
  }

 private:
  static bool less(const timer_node* a, const timer_node* b) noexcept {
    return a->when < b->when || (a->when == b->when && a->seq < b->seq);
  }
  void sift_up(std::size_t i) noexcept {
    timer_node* n = heap_[i];
    while (i > 0) {
      std::size_t parent = (i - 1) / 2;
      if (!less(n, heap_[parent])) break;
      heap_[i] = heap_[parent];
      heap_[i]->index = static_cast<std::uint32_t>(i);
      i = parent;
    }
    heap_[i] = n;
    n->index = static_cast<std::uint32_t>(i);
  }
  void sift_down(std::size_t i) noexcept {
    timer_node* n = heap_[i];
    const std::size_t size = heap_.size();
    for (;;) {
      std::size_t child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && less(heap_[child + 1], heap_[child])) ++child;
      if (!less(heap_[child], n)) break;
      heap_[i] = heap_[child];
      heap_[i]->index = static_cast<std::uint32_t>(i);
      i = child;
    }
    heap_[i] = n;
    n->index = static_cast<std::uint32_t>(i);
  }

  std::vector<timer_node*> heap_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace eddy::detail
