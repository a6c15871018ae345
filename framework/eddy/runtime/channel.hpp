// SPDX-License-Identifier: MIT
#pragma once

#include <concepts>
#include <coroutine>
#include <cstddef>
#include <memory>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

#include "eddy/core/errors.hpp"
#include "eddy/runtime/detail/waiter_list.hpp"

namespace eddy {

/// A bounded FIFO queue between tasks (asyncio.Queue with a maxsize, a Go channel):
///
///     channel<int> ch(16);
///     co_await ch.send(1);                          // waits while 16 items are queued
///     while (auto item = co_await ch.receive()) {}  // nullopt once closed and drained
///
/// Senders and receivers are served in the order they started waiting. A send that finds a
/// receiver waiting hands the item over directly; a receive that frees a slot moves the
/// longest-waiting sender's item into the buffer. `close()` stops further sends and wakes
/// everyone; items already buffered stay receivable. Capacity 0 makes a rendezvous channel: a
/// send completes only when a receiver takes its item.
///
/// The buffer is a ring allocated once, at construction; operations allocate nothing.
/// `T` must be nothrow-move-constructible (items move between buffer and awaiters inside
/// `noexcept` hand-offs). Use on one loop thread (DESIGN rule 1). Destroying a channel with
/// waiting tasks wakes them as `close()` does; buffered items are destroyed.
template <class T>
class channel {
  static_assert(std::is_nothrow_move_constructible_v<T> && std::is_nothrow_destructible_v<T>,
                "eddy::channel<T> needs a nothrow-move-constructible, nothrow-destructible T");
  static_assert(std::is_object_v<T> && !std::is_const_v<T>, "eddy::channel<T> needs a non-const object type");

 public:
  /// Awaiter of `send()`: owns the item until it is delivered. Movable until awaited.
  class [[nodiscard]] send_awaiter : detail::sync_waiter {
   public:
    send_awaiter(channel& ch, T value) noexcept : ch_(&ch), value_(std::move(value)) {}
    send_awaiter(send_awaiter&& o) noexcept : ch_(o.ch_), value_(std::move(o.value_)) {}
    send_awaiter& operator=(send_awaiter&&) = delete;

    bool await_ready() noexcept {
      if (ch_->closed_) {
        delivered_ = false;
        return true;
      }
      delivered_ = ch_->offer(value_);
      return delivered_;
    }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
      return park(h, ch_->senders_);
    }
    /// True if the item was delivered (buffered or taken by a receiver); false if the channel
    /// was closed first (the item is then destroyed with the awaiter).
    bool await_resume() const {
      if (status_ == status::cancelled) throw cancelled_error();
      return delivered_;
    }

   private:
    friend class channel;
    channel* ch_;
    T value_;
    bool delivered_ = false;
  };

  /// Awaiter of `receive()`. Movable until awaited.
  class [[nodiscard]] receive_awaiter : detail::sync_waiter {
   public:
    explicit receive_awaiter(channel& ch) noexcept : ch_(&ch) {}
    receive_awaiter(receive_awaiter&& o) noexcept : ch_(o.ch_) {}
    receive_awaiter& operator=(receive_awaiter&&) = delete;

    bool await_ready() noexcept {
      if (ch_->take(item_)) return true;
      return ch_->closed_;
    }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
      return park(h, ch_->receivers_);
    }
    /// The next item, or `std::nullopt` once the channel is closed and drained.
    std::optional<T> await_resume() {
      if (status_ == status::cancelled) throw cancelled_error();
      return std::move(item_);
    }

   private:
    friend class channel;
    channel* ch_;
    std::optional<T> item_;
  };

  /// A channel buffering up to `capacity` items (0: rendezvous). Allocates the buffer once;
  /// throws `std::bad_alloc` if that fails.
  explicit channel(std::size_t capacity)
      : buffer_(capacity ? std::make_unique<slot[]>(capacity) : nullptr), capacity_(capacity) {}
  channel(const channel&) = delete;
  channel& operator=(const channel&) = delete;
  ~channel() {
    close();
    while (size_ > 0) pop();
  }

  /// `co_await ch.send(item)` queues `item`: at once, without suspending, if a receiver is
  /// waiting or the buffer has room; otherwise the task waits (FIFO among senders) until a
  /// receive makes room. Resumes on its own loop. Returns true once delivered, false if the
  /// channel is (or gets) closed before that; the item is then dropped. Throws
  /// `cancelled_error` if the task is cancelled while waiting: the item was not delivered and
  /// the channel is unchanged. If the item was delivered before the cancellation arrived, the
  /// send returns true and the cancellation is seen at the task's next suspending wait.
  send_awaiter send(T item) noexcept { return send_awaiter(*this, std::move(item)); }

  /// Queues an item built from `value` if that is possible without waiting (a receiver waits,
  /// or the buffer has room) and the channel is open. Returns false otherwise, leaving `value`
  /// untouched (nothing is moved from it).
  template <class U>
    requires std::constructible_from<T, U&&>
  bool try_send(U&& value) {
    if (closed_ || (receivers_.empty() && size_ == capacity_)) return false;
    T item(std::forward<U>(value));
    return offer(item);
  }

  /// `co_await ch.receive()` takes the oldest item: at once, without suspending, if one is
  /// buffered (or, at capacity 0, a sender waits); otherwise the task waits (FIFO among
  /// receivers) for a send. Resumes on its own loop. Returns `std::nullopt` once the channel is
  /// closed and drained. Throws `cancelled_error` if the task is cancelled while waiting: no
  /// item is consumed. If an item was handed over before the cancellation arrived, it is
  /// returned (never lost) and the cancellation is seen at the task's next suspending wait.
  receive_awaiter receive() noexcept { return receive_awaiter(*this); }

  /// Takes the oldest item if one is available now (buffered, or from a waiting sender at
  /// capacity 0). Never suspends; `std::nullopt` if there is none (check `closed()` to tell
  /// "empty for now" from "finished").
  std::optional<T> try_receive() noexcept {
    std::optional<T> out;
    take(out);
    return out;
  }

  /// Closes the channel: every later send returns false; waiting senders are woken with false
  /// (their items are dropped) and waiting receivers with `std::nullopt`. Buffered items stay
  /// receivable. Idempotent.
  void close() noexcept {
    closed_ = true;
    while (!senders_.empty()) {
      auto& s = static_cast<send_awaiter&>(senders_.front());
      s.delivered_ = false;
      s.wake(detail::sync_waiter::status::granted);
    }
    receivers_.wake_all(detail::sync_waiter::status::granted);
  }

  /// Items buffered now.
  std::size_t size() const noexcept { return size_; }
  /// The buffer's capacity (0 for a rendezvous channel).
  std::size_t capacity() const noexcept { return capacity_; }
  /// True after `close()`.
  bool closed() const noexcept { return closed_; }
  /// Tasks waiting to send / to receive.
  std::size_t waiting_senders() const noexcept { return senders_.size(); }
  std::size_t waiting_receivers() const noexcept { return receivers_.size(); }

 private:
  struct slot {
    alignas(T) std::byte bytes[sizeof(T)];
    T* get() noexcept { return std::launder(reinterpret_cast<T*>(bytes)); }
  };

  // Delivers `item` without waiting if possible: to the oldest waiting receiver (then the
  // buffer is empty), or into the buffer. Precondition: the channel is open.
  bool offer(T& item) noexcept {
    if (!receivers_.empty()) {
      auto& r = static_cast<receive_awaiter&>(receivers_.front());
      r.item_.emplace(std::move(item));
      r.wake(detail::sync_waiter::status::granted);
      return true;
    }
    if (size_ == capacity_) return false;
    push(std::move(item));
    return true;
  }

  // Takes the oldest item into `out` if there is one, and lets the oldest waiting sender move
  // into the slot this frees (or, at capacity 0, takes that sender's item directly).
  bool take(std::optional<T>& out) noexcept {
    if (size_ > 0) {
      out.emplace(pop());
      if (!senders_.empty()) refill_from_sender();
      return true;
    }
    if (!senders_.empty()) {
      // Capacity 0 only: a waiting sender means an empty, full buffer.
      auto& s = static_cast<send_awaiter&>(senders_.front());
      out.emplace(std::move(s.value_));
      s.delivered_ = true;
      s.wake(detail::sync_waiter::status::granted);
      return true;
    }
    return false;
  }

  // Moves the oldest waiting sender's item into the buffer (which just got a free slot).
  void refill_from_sender() noexcept {
    auto& s = static_cast<send_awaiter&>(senders_.front());
    push(std::move(s.value_));
    s.delivered_ = true;
    s.wake(detail::sync_waiter::status::granted);
  }

  void push(T&& item) noexcept {
    std::size_t tail = head_ + size_;
    if (tail >= capacity_) tail -= capacity_;
    new (buffer_[tail].bytes) T(std::move(item));
    ++size_;
  }
  T pop() noexcept {
    T* p = buffer_[head_].get();
    T item(std::move(*p));
    p->~T();
    if (++head_ == capacity_) head_ = 0;
    --size_;
    return item;
  }

  std::unique_ptr<slot[]> buffer_;
  std::size_t capacity_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  bool closed_ = false;
  detail::waiter_list senders_;
  detail::waiter_list receivers_;
};

}  // namespace eddy
