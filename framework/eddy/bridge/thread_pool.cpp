// SPDX-License-Identifier: MIT
#include "eddy/bridge/thread_pool.hpp"

#include <pthread.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "eddy/runtime/detail/wake_flag.hpp"

namespace eddy {

struct thread_pool::impl {
  // One per worker, in its own cache line: the flag is written by submitters.
  struct alignas(64) worker_slot {
    detail::wake_flag wake;
    worker_slot* next_idle = nullptr;  // the idle stack (under the mutex)
    std::thread thread;
  };

  thread_pool_options options;
  mutable std::mutex mutex;
  detail::pool_job* head = nullptr;  // FIFO of queued jobs
  detail::pool_job* tail = nullptr;
  std::size_t queued = 0;
  bool stopping = false;
  // Workers waiting for a job, most recently idle on top (its cache is the warmest). Each is
  // woken exactly once per idle spell, by whoever pops it: no spurious notifications, no
  // thundering herd, and no system call at all while every worker is busy.
  worker_slot* idle = nullptr;
  // Slots outlive the threads (until the pool is destroyed): a submitter may still be setting
  // the flag of a worker that already took the job and exited during shutdown.
  std::vector<std::unique_ptr<worker_slot>> workers;

  void worker(worker_slot& self, std::size_t index) {
    // pthread names are limited to 16 bytes including the terminator.
    std::string name = options.name + "-" + std::to_string(index);
    if (name.size() > 15) name.resize(15);
    pthread_setname_np(pthread_self(), name.c_str());
    for (;;) {
      detail::pool_job* job = nullptr;
      {
        std::lock_guard lock(mutex);
        if (head) {
          job = head;
          head = job->next;
          if (!head) tail = nullptr;
          --queued;
        } else if (stopping) {
          return;  // nothing left to drain
        } else {
          self.wake.reset();
          self.next_idle = idle;
          idle = &self;
        }
      }
      if (job) {
        job->run(job);
        continue;
      }
      // No spinning first: measured on the shared 2-core VM the bridge benchmarks run on, an
      // idle worker that spun (5-50 µs, with `pause`) for the next job made to_thread round
      // trips 2-4x slower, not faster: it takes the core the loop thread needs to wake on.
      self.wake.wait();
    }
  }

  // Under the mutex: takes the top idle worker, if any, to be woken after unlocking.
  worker_slot* pop_idle() noexcept {
    worker_slot* w = idle;
    if (w) idle = std::exchange(w->next_idle, nullptr);
    return w;
  }
};

namespace {

struct function_job : detail::pool_job {
  unique_function<void()> fn;
};

void run_function_job(detail::pool_job* j) noexcept {
  auto* self = static_cast<function_job*>(j);
  try {
    self->fn();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eddy: thread_pool job threw: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "eddy: thread_pool job threw a non-std exception\n");
  }
  delete self;
}

void reject_function_job(detail::pool_job* j, const char*) noexcept { delete static_cast<function_job*>(j); }

}  // namespace

thread_pool::thread_pool(thread_pool_options options) : impl_(std::make_unique<impl>()) {
  if (options.threads == 0) options.threads = std::max(1u, std::thread::hardware_concurrency());
  impl_->options = std::move(options);
  impl_->workers.reserve(impl_->options.threads);
  for (std::size_t i = 0; i < impl_->options.threads; ++i) {
    auto& slot = *impl_->workers.emplace_back(std::make_unique<impl::worker_slot>());
    slot.thread = std::thread([this, &slot, i] { impl_->worker(slot, i); });
  }
}

thread_pool::~thread_pool() { shutdown(shutdown_mode::drain); }

bool thread_pool::submit(unique_function<void()> fn) {
  auto* job = new function_job;
  job->run = &run_function_job;
  job->reject = &reject_function_job;
  job->fn = std::move(fn);
  return submit_job(job);
}

bool thread_pool::submit_job(detail::pool_job* job) noexcept {
  const char* why = nullptr;
  impl::worker_slot* wake = nullptr;
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopping) {
      why = "thread pool is shut down";
    } else if (impl_->options.max_queued != 0 && impl_->queued >= impl_->options.max_queued) {
      why = "thread pool queue is full";
    } else {
      job->next = nullptr;
      if (impl_->tail) impl_->tail->next = job; else impl_->head = job;
      impl_->tail = job;
      ++impl_->queued;
      // Busy workers find the job when they finish theirs; only an idle one needs waking.
      wake = impl_->pop_idle();
    }
  }
  if (why) {
    job->reject(job, why);
    return false;
  }
  if (wake) wake->wake.set();
  return true;
}

void thread_pool::shutdown(shutdown_mode mode) {
  detail::pool_job* rejected = nullptr;
  impl::worker_slot* sleepers = nullptr;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
    if (mode == shutdown_mode::reject_queued) {
      rejected = impl_->head;
      impl_->head = impl_->tail = nullptr;
      impl_->queued = 0;
    }
    sleepers = std::exchange(impl_->idle, nullptr);
  }
  // Idle workers wake up, drain what is queued (if anything) and exit.
  while (sleepers) {
    impl::worker_slot* w = sleepers;
    sleepers = w->next_idle;
    w->wake.set();
  }
  // Rejections run outside the lock: they post to loops and may free memory.
  while (rejected) {
    auto* next = rejected->next;
    rejected->reject(rejected, "thread pool shut down before the job started");
    rejected = next;
  }
  for (auto& w : impl_->workers) {
    if (w->thread.joinable()) w->thread.join();
  }
}

std::size_t thread_pool::size() const noexcept { return impl_->options.threads; }

std::size_t thread_pool::queued() const noexcept {
  std::lock_guard lock(impl_->mutex);
  return impl_->queued;
}

thread_pool& default_thread_pool() {
  static thread_pool pool({.threads = 0, .max_queued = 0, .name = "eddy-default"});
  return pool;
}

}  // namespace eddy
