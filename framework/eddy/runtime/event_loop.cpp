// SPDX-License-Identifier: MIT
#include "eddy/runtime/event_loop.hpp"

#include <cassert>
#include <cstdio>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace eddy {
namespace detail {

struct callback_node : timer_node {
  std::uint32_t refs = 1;  // the handle's; the queue (ready or timer) holds one more
  bool cancelled = false;
  event_loop* loop = nullptr;
  unique_function<void()> fn;
};

struct post_queue {
  std::mutex mutex;
  std::vector<unique_function<void()>> items;
  // Loop thread only: the drained batch's vector, kept with its capacity and handed back to
  // `items` at the next drain, so posting allocates nothing once warm.
  std::vector<unique_function<void()>> spare;
  // Set (under the mutex) when `items` is non-empty, so that the loop thread can skip the
  // mutex on the common path where nothing was posted.
  std::atomic<bool> pending{false};
  // True from the moment the loop decides to block in the reactor until the first post()
  // that clears it (under the mutex) and wakes the reactor. Only a sleeping loop is woken: a
  // post to a running loop costs no system call (asio's scheduler keeps such a flag,
  // task_interrupted_, and tokio's parker a PARKED state). The loop sets it without the mutex,
  // then looks at `pending`; a post sets `pending`, then looks at `sleeping` (all sequentially
  // consistent: one of the two sees the other's store, so a post is never left unseen by a
  // sleeping loop). The loop clears it after its poll; a post that still sees it set then
  // only wakes the reactor once for nothing.
  std::atomic<bool> sleeping{false};
  // Posters that took the wake-up upon themselves (under the mutex) and have not finished
  // writing to the reactor: the loop's destructor waits for them.
  std::atomic<std::uint32_t> waking{0};
};

constinit thread_local event_loop* current_loop = nullptr;

namespace {

// While ready work is queued, the reactor is polled (without blocking) only every this many
// iterations: a zero-timeout poll per iteration would cost one system call per task switch.
// Readiness still surfaces within a bounded number of iterations (tokio's event_interval), and
// at once whenever the ready queue runs dry.
constexpr std::uint32_t busy_poll_interval = 16;

void release(callback_node* n) noexcept {
  if (--n->refs == 0) delete n;
}
}  // namespace

current_loop_guard::current_loop_guard(event_loop& loop) noexcept : previous_(current_loop) {
  current_loop = &loop;
}
current_loop_guard::~current_loop_guard() { current_loop = previous_; }

}  // namespace detail

// ---- callback_handle -------------------------------------------------------------------------

callback_handle& callback_handle::operator=(callback_handle&& o) noexcept {
  if (this != &o) {
    if (node_) detail::release(node_);
    node_ = std::exchange(o.node_, nullptr);
  }
  return *this;
}

callback_handle::~callback_handle() {
  if (node_) detail::release(node_);
}

void callback_handle::cancel() noexcept {
  if (!node_ || node_->cancelled) return;
  node_->cancelled = true;
  if (node_->queued()) {
    // A pending call_later: take it out of the heap now rather than when it is due.
    node_->loop->remove_timer(*node_);
    detail::release(node_);
  }
  node_->fn.reset();  // free captures now; a queued call_soon item is skipped when it surfaces
}

bool callback_handle::cancelled() const noexcept { return node_ && node_->cancelled; }

// ---- event_loop ------------------------------------------------------------------------------

event_loop::event_loop(loop_options options)
    : options_(options),
      now_(options.virtual_time ? time_point{} : steady_clock::now()),
      posted_(std::make_unique<detail::post_queue>()) {}

event_loop::~event_loop() {
  // A post() that woke the reactor for the function which led here may still be returning
  // from that system call (see post()).
  while (posted_->waking.load(std::memory_order_acquire) != 0) std::this_thread::yield();
  // Tasks still alive would otherwise outlive the timers and descriptors they wait on. Give
  // them the chance to unwind through cancellation; any that refuse are destroyed.
  if (!roots_.empty()) {
    detail::current_loop_guard guard(*this);
    cancel_all();
    for (int i = 0; i < 1000 && !roots_.empty() && !ready_.empty(); ++i) run_once();
    while (!roots_.empty()) {
      detail::task_promise_base* p = roots_.back();
      roots_.pop_back();
      detail::frame_of(*p).destroy();
    }
  }
  // Callbacks that never ran release what they captured.
  while (!ready_.empty()) {
    ready_item item = ready_.pop();
    if (item.fn == &run_callback) detail::release(static_cast<detail::callback_node*>(item.arg));
  }
  while (!timers_.empty()) {
    auto* n = timers_.pop();
    // Only call_later nodes can remain: awaiters remove themselves when their frames die.
    detail::release(static_cast<detail::callback_node*>(n));
  }
}

event_loop* event_loop::current() noexcept { return detail::current_loop; }

void event_loop::advance(duration d) noexcept {
  assert(options_.virtual_time);
  now_ += d;
}

void event_loop::resume_coroutine(void* address) {
  std::coroutine_handle<>::from_address(address).resume();
}

void event_loop::run_callback(void* p) {
  auto* n = static_cast<detail::callback_node*>(p);
  if (!n->cancelled && n->fn) {
    try {
      n->fn();
    } catch (...) {
      n->loop->report(std::current_exception(), "callback");
    }
    n->fn.reset();
  }
  detail::release(n);
}

callback_handle event_loop::call_soon(unique_function<void()> fn) {
  auto* n = new detail::callback_node;
  n->loop = this;
  n->fn = std::move(fn);
  ++n->refs;
  ready_.push({&run_callback, n});
  return callback_handle(n);
}

callback_handle event_loop::call_later(duration delay, unique_function<void()> fn) {
  return call_at(now_ + delay, std::move(fn));
}

callback_handle event_loop::call_at(time_point when, unique_function<void()> fn) {
  auto* n = new detail::callback_node;
  n->loop = this;
  n->fn = std::move(fn);
  n->when = when;
  n->fire = [](detail::timer_node* t) noexcept {
    auto* cb = static_cast<detail::callback_node*>(t);
    // The heap's reference moves to the ready queue: the callback runs in order with
    // other ready work rather than inside the timer scan.
    cb->loop->ready_.push({&run_callback, cb});
  };
  ++n->refs;
  timers_.push(n);
  return callback_handle(n);
}

void event_loop::post(unique_function<void()> fn) {
  bool wake = false;
  {
    std::lock_guard lock(posted_->mutex);
    posted_->items.push_back(std::move(fn));
    posted_->pending.store(true, std::memory_order_seq_cst);
    // Only a loop blocked (or about to block) in the reactor needs the wake-up, and only once:
    // it drains the whole queue when it wakes.
    if (posted_->sleeping.exchange(false, std::memory_order_seq_cst)) {
      posted_->waking.fetch_add(1, std::memory_order_relaxed);
      wake = true;
    }
  }
  if (!wake) return;
  // Woken after unlocking, so that the loop thread does not wake up only to find the mutex
  // still held and sleep on it once more. The loop may now run this function, and that may
  // destroy the loop: its destructor waits until `waking` is back to zero, the last touch.
  reactor_.wake();
  posted_->waking.fetch_sub(1, std::memory_order_release);
}

bool event_loop::prepare_to_sleep() noexcept {
  // No mutex: once per loop turn that may block, two sequentially consistent operations.
  posted_->sleeping.store(true, std::memory_order_seq_cst);
  if (!posted_->pending.load(std::memory_order_seq_cst)) return true;
  posted_->sleeping.store(false, std::memory_order_relaxed);
  return false;
}

void event_loop::drain_posted() {
  // A post() racing with this check is not lost: before the loop blocks it looks at `pending`
  // again (prepare_to_sleep), so the post either is seen there or wakes the reactor.
  if (!posted_->pending.load(std::memory_order_acquire)) return;
  std::vector<unique_function<void()>> batch = std::move(posted_->spare);
  batch.clear();
  {
    std::lock_guard lock(posted_->mutex);
    posted_->pending.store(false, std::memory_order_relaxed);
    if (posted_->items.empty()) {
      posted_->spare = std::move(batch);
      return;
    }
    batch.swap(posted_->items);
  }
  for (auto& fn : batch) {
    try {
      fn();
    } catch (...) {
      report(std::current_exception(), "posted function");
    }
  }
  batch.clear();  // destroys the functions here, on the loop thread
  if (posted_->spare.capacity() < batch.capacity()) posted_->spare = std::move(batch);
}

void event_loop::on_io(void* self, const detail::io_event& ev) {
  auto* loop = static_cast<event_loop*>(self);
  detail::io_state& s = *ev.state;
  if (ev.hangup) s.hangup = true;
  if (ev.readable) s.read_ready = true;
  if (ev.readable && s.reader) {
    detail::io_waiter* w = s.reader;
    if (w->on_ready(w)) {
      s.reader = nullptr;
      loop->schedule(w->handle);
    }
  }
  if (ev.writable && s.writer) {
    detail::io_waiter* w = s.writer;
    if (w->on_ready(w)) {
      s.writer = nullptr;
      loop->schedule(w->handle);
    }
  }
}

void event_loop::fire_due_timers() {
  while (!timers_.empty() && timers_.top()->when <= now_) {
    detail::timer_node* n = timers_.pop();
    n->fire(n);
  }
}

void event_loop::run_once() {
  detail::current_loop_guard guard(*this);
  drain_posted();

  // 1. The reactor: block only when nothing is ready, and at most until the next timer. While
  //    ready work is queued, poll only every busy_poll_interval iterations (see above).
  int events = 0;
  bool poll_now = ready_.empty() || stopping_ || ++busy_iterations_ >= detail::busy_poll_interval;
  if (poll_now) {
    busy_iterations_ = 0;
    std::chrono::nanoseconds timeout{-1};
    if (!ready_.empty() || stopping_ || options_.virtual_time) {
      timeout = std::chrono::nanoseconds{0};
    } else if (!timers_.empty()) {
      auto wait = timers_.top()->when - steady_clock::now();
      timeout = wait.count() > 0 ? std::chrono::duration_cast<std::chrono::nanoseconds>(wait)
                                 : std::chrono::nanoseconds{0};
    }
    // Blocking: from here on a post() must wake the reactor; a post that came first makes
    // this poll not block at all.
    const bool blocks = timeout.count() != 0;
    if (blocks && !prepare_to_sleep()) timeout = std::chrono::nanoseconds{0};
    events = reactor_.poll(timeout, &on_io, this);
    if (blocks) posted_->sleeping.store(false, std::memory_order_relaxed);
    drain_posted();
  }

  // 2. Timers, against the time read once for this iteration.
  if (options_.virtual_time) {
    // Nothing else can happen: jump to the next deadline (trio's autojump clock).
    if (events == 0 && ready_.empty() && !timers_.empty() && timers_.top()->when > now_) {
      now_ = timers_.top()->when;
    }
  } else {
    now_ = steady_clock::now();
  }
  fire_due_timers();

  // 3. Everything that is ready now; work scheduled meanwhile waits for the next iteration so
  //    that I/O and timers are never starved (asyncio's _run_once, libuv's uv_run). Seen from
  //    the coroutines the cycle is ready -> poll -> timers -> ready; an iteration ends after
  //    running the ready work so that run_once() never blocks with work pending.
  for (std::size_t n = ready_.size(); n > 0; --n) {
    ready_item item = ready_.pop();
    item.fn(item.arg);
  }
}

void event_loop::run_forever() {
  stopping_ = false;
  while (!stopping_) run_once();
  stopping_ = false;
}

void event_loop::set_exception_handler(
    unique_function<void(std::exception_ptr, std::string_view)> h) {
  exception_handler_ = std::move(h);
}

void event_loop::report(std::exception_ptr e, std::string_view context) noexcept {
  if (exception_handler_) {
    try {
      exception_handler_(e, context);
      return;
    } catch (...) {
      // A failing handler falls back to the default below.
    }
  }
  const char* what = "unknown exception";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "eddy: unhandled exception in %.*s: %s\n",
                 static_cast<int>(context.size()), context.data(), ex.what());
    return;
  } catch (...) {
  }
  std::fprintf(stderr, "eddy: unhandled exception in %.*s: %s\n",
               static_cast<int>(context.size()), context.data(), what);
}

void event_loop::adopt_root(detail::task_promise_base& p) {
  p.root_.live_index = static_cast<std::uint32_t>(roots_.size());
  roots_.push_back(&p);
}

void event_loop::release_root(detail::task_promise_base& p) noexcept {
  // Swap-remove: the last live task takes the slot.
  std::uint32_t i = p.root_.live_index;
  detail::task_promise_base* last = roots_.back();
  roots_[i] = last;
  last->root_.live_index = i;
  roots_.pop_back();
  // While draining, the last task to finish must not leave run_once() blocked in the reactor.
  if (roots_.empty() && draining_) stopping_ = true;
}

void event_loop::cancel_all() noexcept {
  // Cancellation callbacks only schedule; the list cannot change under us.
  // Cancellation callbacks only schedule; the list cannot change under us. Index loop: a
  // callback could still spawn (push_back) without invalidating it.
  for (std::size_t i = 0; i < roots_.size(); ++i) roots_[i]->root_.source.request_cancel();
}

void event_loop::drain() {
  draining_ = true;
  cancel_all();
  while (!roots_.empty()) {
    run_once();
    // Tasks spawned while draining are cancelled too.
    cancel_all();
  }
  draining_ = false;
  stopping_ = false;
}

}  // namespace eddy
