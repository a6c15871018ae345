// SPDX-License-Identifier: MIT
#pragma once

#include <cassert>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <new>
#include <type_traits>
#include <utility>

#include "eddy/core/cancellation.hpp"
#include "eddy/core/errors.hpp"

namespace eddy {

template <class T = void>
class task;

namespace detail {

/// Base of every eddy promise type that carries a cancellation token. Library awaitables read
/// the token of the coroutine that awaits them through `token_of(handle)`.
class cancellable_promise {
 public:
  cancel_token token() const noexcept { return token_; }
  cancel_token token_;
};

/// The token of the coroutine behind `h`, or an empty token for foreign coroutine types.
template <class P>
cancel_token token_of(std::coroutine_handle<P> h) noexcept {
  if constexpr (std::is_base_of_v<cancellable_promise, P>) {
    return h.promise().token_;
  } else {
    return {};
  }
}

/// A waiter on a spawned task's completion (a `co_await` on its join_handle or a done
/// callback). Nodes live in the waiting awaiter, or in a heap block for callbacks.
struct root_waiter {
  root_waiter* next = nullptr;
  void (*notify)(root_waiter*) noexcept = nullptr;
};

/// Book-keeping used only when a task is spawned as a root (see runtime/spawn.hpp). It lives in
/// every task frame because a separate allocation per spawned task would cost more memory
/// than these few words do (1,000,000 sleeping tasks must fit in 256 MiB).
struct root_block {
  cancel_source source;                  // cancels this task and everything it awaits
  root_waiter* waiters = nullptr;        // notified once, at completion
  std::uint32_t live_index = 0;          // position in the loop's list of live roots
  std::uint32_t refs = 0;                // join_handle + loop
  bool done = false;
  bool retrieved = false;                // result or exception observed by somebody
  bool starting = false;                 // being run inline from an awaiter's await_suspend
};

// Symmetric transfer is safe only where GCC turns it into a tail call: -O2 and above without
// sanitizers (ASan and TSan instrument frames and keep them). Builds at -O1 or -Og should
// define EDDY_SYMMETRIC_TRANSFER=0.
#ifndef EDDY_SYMMETRIC_TRANSFER
#if defined(__OPTIMIZE__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define EDDY_SYMMETRIC_TRANSFER 1
#else
#define EDDY_SYMMETRIC_TRANSFER 0
#endif
#endif

#if defined(__SANITIZE_ADDRESS__)
#define EDDY_FRAME_CACHE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EDDY_FRAME_CACHE 0
#endif
#endif
#ifndef EDDY_FRAME_CACHE
#define EDDY_FRAME_CACHE 1
#endif

/// A per-thread cache of freed coroutine frames, by size: 8-byte classes up to 512 bytes and
/// 32-byte classes up to 2 KiB (a server's per-request frames, e.g. the one that runs a
/// handler, are larger than 512 bytes), at most 32 frames per class, so at most about 2.5 MiB
/// per thread. Creating a task then costs a free-list pop instead of a malloc/free pair; a
/// frame freed on another thread joins that thread's cache. Disabled under AddressSanitizer so
/// that frame use-after-free stays visible.
struct frame_cache {
  static constexpr std::size_t granule = 8;
  static constexpr std::size_t small_limit = 512;  // 8-byte classes up to here
  static constexpr std::size_t large_granule = 32;
  static constexpr std::size_t large_limit = 2048;  // 32-byte classes up to here
  static constexpr std::size_t classes =
      small_limit / granule + 1 + (large_limit - small_limit) / large_granule;
  static constexpr std::uint32_t limit = 32;
  struct block {
    block* next;
  };
  /// The class of a frame of `size` bytes (`classes` if it is too large to cache), and the
  /// size of the blocks of that class.
  static constexpr std::size_t class_of(std::size_t size) noexcept {
    if (size <= small_limit) return (size + granule - 1) / granule;
    if (size <= large_limit) return small_limit / granule + (size - small_limit + large_granule - 1) / large_granule;
    return classes;
  }
  static constexpr std::size_t block_size(std::size_t c) noexcept {
    return c <= small_limit / granule ? c * granule : small_limit + (c - small_limit / granule) * large_granule;
  }
  block* free[classes];
  std::uint32_t count[classes];
  bool owned;   // frame_cache_owner will empty this cache at thread exit
  bool closed;  // the thread is exiting: stop caching

  /// Frees every cached frame (at thread exit).
  void release() noexcept {
    closed = true;
    for (std::size_t c = 0; c < classes; ++c) {
      while (block* b = free[c]) {
        free[c] = b->next;
        ::operator delete(b);
      }
      count[c] = 0;
    }
  }
};
// Trivially destructible, so it is usable until the thread's very end without an init guard;
// `frame_cache_owner` empties it when the thread exits.
inline thread_local frame_cache tls_frame_cache{};
struct frame_cache_owner {
  bool armed = false;
  ~frame_cache_owner() { tls_frame_cache.release(); }
};
inline thread_local frame_cache_owner tls_frame_cache_owner;

/// Registers the thread-exit clean-up on the first use of a thread's cache (touching the
/// owner runs its thread_local initialisation, which registers its destructor).
inline void own_frame_cache(frame_cache& cache) noexcept {
  cache.owned = true;
  tls_frame_cache_owner.armed = true;
}

inline void* allocate_frame(std::size_t size) {
#if EDDY_FRAME_CACHE
  std::size_t c = frame_cache::class_of(size);
  if (c < frame_cache::classes) {
    frame_cache& cache = tls_frame_cache;
    if (frame_cache::block* b = cache.free[c]) {
      cache.free[c] = b->next;
      --cache.count[c];
      return b;
    }
    return ::operator new(frame_cache::block_size(c));
  }
#endif
  return ::operator new(size);
}

inline void deallocate_frame(void* p, std::size_t size) noexcept {
#if EDDY_FRAME_CACHE
  std::size_t c = frame_cache::class_of(size);
  if (c < frame_cache::classes) {
    frame_cache& cache = tls_frame_cache;
    if (!cache.closed && cache.count[c] < frame_cache::limit) {
      // The clean-up is registered when the cache first holds a block (a thread may free
      // frames it never created, e.g. a worker destroying a task).
      if (!cache.owned) own_frame_cache(cache);
      auto* b = static_cast<frame_cache::block*>(p);
      b->next = cache.free[c];
      cache.free[c] = b;
      ++cache.count[c];
      return;
    }
  }
#else
  (void)size;
#endif
  ::operator delete(p);
}

class task_promise_base : public cancellable_promise {
 public:
  task_promise_base() noexcept {}
  /// Coroutine frames come from the per-thread `frame_cache`.
  static void* operator new(std::size_t size) { return allocate_frame(size); }
  static void operator delete(void* p, std::size_t size) noexcept { deallocate_frame(p, size); }

  /// Called at final suspend when no coroutine awaits the task directly. Returns the
  /// coroutine to transfer to, or `std::noop_coroutine()`. May destroy the frame.
  using done_hook = std::coroutine_handle<> (*)(task_promise_base&) noexcept;

  std::suspend_always initial_suspend() const noexcept { return {}; }

  struct final_awaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      task_promise_base& p = h.promise();
      if (p.on_done_) return p.on_done_(p);
      if (p.root_.starting) {
        // Finished while the awaiter is still inside its await_suspend: return there (it then
        // continues without suspending) instead of resuming the awaiter from here.
        p.root_.starting = false;
        return std::noop_coroutine();
      }
      if (p.continuation_) return p.continuation_;
      return std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };
  final_awaiter final_suspend() const noexcept { return {}; }

  void unhandled_exception() noexcept { exception_ = std::current_exception(); }

  bool failed() const noexcept { return exception_ != nullptr; }
  const std::exception_ptr& exception() const noexcept { return exception_; }
  /// True if the task ended by letting `cancelled_error` escape.
  bool ended_cancelled() const noexcept;

  done_hook on_done_ = nullptr;
  // A task is either awaited directly (continuation) or finished through a hook with its
  // owner's context (spawn, when_all, timeouts): never both, so they share a word.
  union {
    std::coroutine_handle<> continuation_{};
    void* done_ctx_;                     // owner of `on_done_` (when_all state, ...)
  };
  std::exception_ptr exception_;
  root_block root_;
};

/// The frame of the coroutine whose promise is `p` (every `task_promise<T>` has the alignment
/// of its base, checked in `spawn`, so the frame sits at the same offset for all of them).
inline std::coroutine_handle<> frame_of(task_promise_base& p) noexcept {
  return std::coroutine_handle<task_promise_base>::from_promise(p);
}

template <class T>
class task_promise final : public task_promise_base {
 public:
  task_promise() noexcept {}
  ~task_promise() {
    if (has_value_) value_.~T();
  }
  task<T> get_return_object() noexcept;

  template <class U>
    requires std::is_convertible_v<U&&, T>
  void return_value(U&& v) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
    new (&value_) T(std::forward<U>(v));
    has_value_ = true;
  }

  /// Returns the value or rethrows the stored exception.
  T& get() & {
    if (exception_) std::rethrow_exception(exception_);
    assert(has_value_);
    return value_;
  }
  T&& get() && { return std::move(get()); }

 private:
  union {
    T value_;
  };
  bool has_value_ = false;
};

template <class T>
class task_promise<T&> final : public task_promise_base {
 public:
  task<T&> get_return_object() noexcept;
  void return_value(T& v) noexcept { value_ = &v; }
  T& get() {
    if (exception_) std::rethrow_exception(exception_);
    assert(value_);
    return *value_;
  }

 private:
  T* value_ = nullptr;
};

template <>
class task_promise<void> final : public task_promise_base {
 public:
  task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void get() {
    if (exception_) std::rethrow_exception(exception_);
  }
};

}  // namespace detail

/// A lazily started coroutine producing a `T` (or `void`, or `T&`).
///
/// Nothing runs until the task is awaited (`co_await std::move(t)` or `co_await f()`), or
/// handed to `spawn()` / `run()`. Awaiting consumes the task. When the body finishes, control
/// transfers symmetrically to the awaiting coroutine; exceptions thrown by the body are
/// rethrown from `co_await`. The awaiting coroutine's cancellation token is passed down, so
/// cancelling the awaiter cancels whatever the task is waiting on.
template <class T>
class [[nodiscard]] task {
 public:
  using promise_type = detail::task_promise<T>;
  using value_type = T;
  using handle_type = std::coroutine_handle<promise_type>;

  task() noexcept = default;
  explicit task(handle_type h) noexcept : coro_(h) {}
  task(task&& o) noexcept : coro_(std::exchange(o.coro_, {})) {}
  task& operator=(task&& o) noexcept {
    if (this != &o) {
      destroy();
      coro_ = std::exchange(o.coro_, {});
    }
    return *this;
  }
  task(const task&) = delete;
  task& operator=(const task&) = delete;
  /// Destroying a task that never started destroys its frame; its body never runs.
  ~task() { destroy(); }

  /// True if the task holds a coroutine (it was not moved from or consumed).
  bool valid() const noexcept { return static_cast<bool>(coro_); }

  class awaiter {
   public:
    explicit awaiter(handle_type h) noexcept : coro_(h) {}
    awaiter(awaiter&& o) noexcept : coro_(std::exchange(o.coro_, {})) {}
    awaiter(const awaiter&) = delete;
    ~awaiter() {
      if (coro_) coro_.destroy();
    }

    bool await_ready() const noexcept { return false; }
#if EDDY_SYMMETRIC_TRANSFER
    // Symmetric transfer: the task runs in place of the awaiter and, when it finishes, hands
    // control straight back (a tail call: constant stack for any chain or loop of awaits).
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> caller) noexcept {
      auto& p = coro_.promise();
      p.continuation_ = caller;
      p.token_ = detail::token_of(caller);
      return coro_;
    }
#else
    // Without guaranteed tail calls (GCC at -O0/-O1 or with sanitizers) symmetric transfer
    // nests a stack frame per transfer, and a loop awaiting tasks that finish at once (a server
    // answering pipelined requests) would grow the stack without bound. So the task runs inline
    // from here; if it completes without suspending, the awaiter goes on without suspending,
    // and only a task that did suspend resumes its awaiter at the end.
    template <class P>
    bool await_suspend(std::coroutine_handle<P> caller) noexcept {
      auto& p = coro_.promise();
      p.continuation_ = caller;
      p.token_ = detail::token_of(caller);
      p.root_.starting = true;
      coro_.resume();
      if (!p.root_.starting) return false;  // completed inline
      p.root_.starting = false;
      return true;
    }
#endif
    T await_resume() {
      if constexpr (std::is_void_v<T> || std::is_reference_v<T>) {
        return coro_.promise().get();
      } else {
        return std::move(coro_.promise()).get();
      }
    }

   private:
    handle_type coro_;
  };

  /// Starts the task and waits for it. Precondition: `valid()`.
  awaiter operator co_await() && noexcept {
    assert(coro_);
    return awaiter(std::exchange(coro_, {}));
  }

  /// Gives up ownership of the frame (for spawn and combinators).
  handle_type release() noexcept { return std::exchange(coro_, {}); }

 private:
  void destroy() noexcept {
    if (coro_) coro_.destroy();
  }
  handle_type coro_;
};

namespace detail {
template <class T>
task<T> task_promise<T>::get_return_object() noexcept {
  return task<T>(std::coroutine_handle<task_promise>::from_promise(*this));
}
template <class T>
task<T&> task_promise<T&>::get_return_object() noexcept {
  return task<T&>(std::coroutine_handle<task_promise>::from_promise(*this));
}
inline task<void> task_promise<void>::get_return_object() noexcept {
  return task<void>(std::coroutine_handle<task_promise>::from_promise(*this));
}

/// True if `e` holds a `cancelled_error`.
inline bool is_cancellation(const std::exception_ptr& e) noexcept {
  if (!e) return false;
  try {
    std::rethrow_exception(e);
  } catch (const cancelled_error&) {
    return true;
  } catch (...) {
    return false;
  }
}

inline bool task_promise_base::ended_cancelled() const noexcept { return is_cancellation(exception_); }
}  // namespace detail

/// True for `task<T>` types.
template <class X>
inline constexpr bool is_task_v = false;
template <class T>
inline constexpr bool is_task_v<task<T>> = true;

namespace this_task {

/// `co_await this_task::token()` yields the calling task's cancellation token without
/// suspending. Useful to pass cancellation into callbacks or worker threads.
struct token_awaiter {
  cancel_token token_;
  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    token_ = detail::token_of(h);
    return false;
  }
  cancel_token await_resume() const noexcept { return token_; }
};
inline token_awaiter token() noexcept { return {}; }

}  // namespace this_task

}  // namespace eddy
