// SPDX-License-Identifier: MIT
#pragma once

#include <cassert>
#include <cstdint>
#include <new>
#include <utility>

namespace eddy {

// Cancellation has the shape of std::stop_source / std::stop_token / std::stop_callback, but is
// single-threaded and allocation-free: a source lives inside the coroutine frame (or awaitable)
// that owns it, a token is one pointer, and a callback is an intrusive list node that lives in
// the awaiter waiting for it. std::stop_source allocates a shared atomic state per source, which
// would cost one heap block and several atomic operations per spawned task; every eddy task runs
// on one loop thread (DESIGN rule 1), so none of that is needed. Worker threads that want a
// std::stop_token get one from the bridge (`to_thread`).

class cancel_source;
class cancel_token;

namespace detail {

/// Intrusive registration node. Callbacks run on the loop thread, inside `request_cancel()`;
/// they must not resume coroutines, only schedule them.
class cancel_node {
 public:
  cancel_node(const cancel_node&) = delete;
  cancel_node& operator=(const cancel_node&) = delete;

 protected:
  using invoke_fn = void (*)(cancel_node*) noexcept;
  explicit cancel_node(invoke_fn fn) noexcept : invoke_(fn) {}
  ~cancel_node() = default;

  void attach(cancel_source* source) noexcept;
  void detach() noexcept;
  bool attached() const noexcept { return source_ != nullptr; }

  invoke_fn invoke_;

 private:
  friend class eddy::cancel_source;
  cancel_source* source_ = nullptr;
  cancel_node* prev_ = nullptr;
  cancel_node* next_ = nullptr;
};

}  // namespace detail

/// Owner of a cancellation request. Not copyable or movable: tokens point at it, so it must
/// outlive every token and callback made from it (it lives in the frame of the task it cancels).
class cancel_source {
 public:
  cancel_source() noexcept = default;
  cancel_source(const cancel_source&) = delete;
  cancel_source& operator=(const cancel_source&) = delete;
  ~cancel_source() {
    // Callbacks still registered outlive us only during teardown; unhook them so their
    // destructors do not touch freed memory.
    while (detail::cancel_node* n = head()) {
      set_head(n->next_);
      n->source_ = nullptr;
      n->prev_ = n->next_ = nullptr;
    }
  }

  /// A token observing this source.
  cancel_token token() noexcept;

  /// True once `request_cancel()` was called.
  bool cancel_requested() const noexcept { return (state_ & requested_bit) != 0; }

  /// Requests cancellation and runs every registered callback once, the most recently
  /// registered first. Returns false (and does nothing) if cancellation was already requested.
  bool request_cancel() noexcept {
    if (cancel_requested()) return false;
    state_ |= requested_bit;
    // Pop one node at a time: a callback may unregister others or destroy itself.
    while (detail::cancel_node* n = head()) {
      set_head(n->next_);
      if (n->next_) n->next_->prev_ = nullptr;
      n->source_ = nullptr;
      n->prev_ = n->next_ = nullptr;
      n->invoke_(n);
    }
    return true;
  }

 private:
  friend class detail::cancel_node;
  // The list head and the "requested" flag share one word (nodes are pointer-aligned, so the
  // low bit is free): a source costs 8 bytes in every task frame.
  static constexpr std::uintptr_t requested_bit = 1;
  detail::cancel_node* head() const noexcept {
    return reinterpret_cast<detail::cancel_node*>(state_ & ~requested_bit);
  }
  void set_head(detail::cancel_node* n) noexcept {
    state_ = reinterpret_cast<std::uintptr_t>(n) | (state_ & requested_bit);
  }
  std::uintptr_t state_ = 0;
};

/// A non-owning view of a `cancel_source`; an empty token is never cancelled.
class cancel_token {
 public:
  cancel_token() noexcept = default;

  /// True when cancellation has been requested on the source.
  bool cancel_requested() const noexcept { return source_ && source_->cancel_requested(); }
  /// True when the token has a source, i.e. cancellation can ever happen.
  bool cancel_possible() const noexcept { return source_ != nullptr; }

  friend bool operator==(const cancel_token&, const cancel_token&) = default;

 private:
  friend class cancel_source;
  friend class detail::cancel_node;
  friend class cancel_hook;
  template <class F>
  friend class cancel_callback;
  explicit cancel_token(cancel_source* s) noexcept : source_(s) {}
  cancel_source* source_ = nullptr;
};

inline cancel_token cancel_source::token() noexcept { return cancel_token(this); }

namespace detail {

inline void cancel_node::attach(cancel_source* s) noexcept {
  // Pushed at the front: one pointer per source instead of two (sources live in every task
  // frame). Callbacks therefore run most recently registered first.
  source_ = s;
  prev_ = nullptr;
  next_ = s->head();
  if (next_) next_->prev_ = this;
  s->set_head(this);
}

inline void cancel_node::detach() noexcept {
  if (!source_) return;
  if (prev_) prev_->next_ = next_; else source_->set_head(next_);
  if (next_) next_->prev_ = prev_;
  source_ = nullptr;
  prev_ = next_ = nullptr;
}

}  // namespace detail

/// Runs `F` once when the token's source is cancelled, unless destroyed first. If cancellation
/// was already requested, `F` runs inside the constructor (as std::stop_callback does).
template <class F>
class cancel_callback final : detail::cancel_node {
 public:
  cancel_callback(cancel_token token, F fn) noexcept
      : detail::cancel_node(&invoke), fn_(std::move(fn)) {
    if (!token.cancel_possible()) return;
    if (token.cancel_requested()) {
      fn_();
      return;
    }
    attach(token.source_);
  }
  ~cancel_callback() { detach(); }

 private:
  static void invoke(detail::cancel_node* n) noexcept { static_cast<cancel_callback*>(n)->fn_(); }
  F fn_;
};

template <class F>
cancel_callback(cancel_token, F) -> cancel_callback<F>;

/// A re-armable registration for awaiters, which derive from it and recover themselves in the
/// callback with `static_cast`. Smaller than a `cancel_callback` holding a pointer, and it can
/// be armed after construction (in `await_suspend`) and disarmed when the wait ends.
class cancel_hook : protected detail::cancel_node {
 public:
  using hook_fn = void (*)(cancel_hook*) noexcept;

  cancel_hook() noexcept : detail::cancel_node(nullptr) {}
  ~cancel_hook() { detach(); }

  /// Registers `fn` to run when `token` is cancelled. Returns false, without registering, if
  /// cancellation was already requested (the caller then completes at once as cancelled).
  bool arm(cancel_token token, hook_fn fn) noexcept {
    if (!token.cancel_possible()) return true;
    if (token.cancel_requested()) return false;
    fn_ = fn;
    invoke_ = [](detail::cancel_node* n) noexcept {
      auto* self = static_cast<cancel_hook*>(n);
      self->fn_(self);
    };
    attach(token.source_);
    return true;
  }
  /// Unregisters (no-op if not armed or already fired).
  void disarm() noexcept { detach(); }
  bool armed() const noexcept { return attached(); }

 private:
  hook_fn fn_ = nullptr;
};

/// A source that is also cancelled when a parent token is (a child scope: timeouts,
/// `when_any`, task groups). Cancelling it does not touch the parent.
class linked_cancel_source {
 public:
  linked_cancel_source() noexcept = default;
  explicit linked_cancel_source(cancel_token parent) noexcept { link(parent); }
  linked_cancel_source(const linked_cancel_source&) = delete;
  linked_cancel_source& operator=(const linked_cancel_source&) = delete;

  /// Links to `parent`; call at most once, before handing out tokens.
  void link(cancel_token parent) noexcept { link_.emplace(parent, forward{this}); }
  /// Whether `link` was called.
  bool linked() const noexcept { return link_.engaged; }

  cancel_token token() noexcept { return source_.token(); }
  bool cancel_requested() const noexcept { return source_.cancel_requested(); }
  bool request_cancel() noexcept { return source_.request_cancel(); }

 private:
  struct forward {
    linked_cancel_source* self;
    void operator()() const noexcept { self->source_.request_cancel(); }
  };
  // A tiny optional that avoids <optional>'s requirements on the non-movable callback.
  struct slot {
    alignas(cancel_callback<forward>) unsigned char bytes[sizeof(cancel_callback<forward>)];
    bool engaged = false;
    void emplace(cancel_token t, forward f) noexcept {
      assert(!engaged);
      new (bytes) cancel_callback<forward>(t, f);
      engaged = true;
    }
    ~slot() {
      if (engaged) reinterpret_cast<cancel_callback<forward>*>(bytes)->~cancel_callback();
    }
  };
  // Declared first so it is destroyed last: the link callback may still point at it.
  cancel_source source_;
  slot link_;
};

}  // namespace eddy
