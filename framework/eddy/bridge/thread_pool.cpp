// SPDX-License-Identifier: MIT
#include "eddy/bridge/thread_pool.hpp"

#include <pthread.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace eddy {

struct thread_pool::impl {
  thread_pool_options options;
  mutable std::mutex mutex;
  std::condition_variable wake;
  detail::pool_job* head = nullptr;  // FIFO of queued jobs
  detail::pool_job* tail = nullptr;
  std::size_t queued = 0;
  bool stopping = false;
  std::vector<std::thread> workers;

  void worker(std::size_t index) {
    // pthread names are limited to 16 bytes including the terminator.
    std::string name = options.name + "-" + std::to_string(index);
    if (name.size() > 15) name.resize(15);
    pthread_setname_np(pthread_self(), name.c_str());
    for (;;) {
      detail::pool_job* job;
      {
        std::unique_lock lock(mutex);
        wake.wait(lock, [&] { return head != nullptr || stopping; });
        if (!head) return;  // stopping and nothing left to drain
        job = head;
        head = job->next;
        if (!head) tail = nullptr;
        --queued;
      }
      job->run(job);
    }
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
    impl_->workers.emplace_back([this, i] { impl_->worker(i); });
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
    }
  }
  if (why) {
    job->reject(job, why);
    return false;
  }
  impl_->wake.notify_one();
  return true;
}

void thread_pool::shutdown(shutdown_mode mode) {
  detail::pool_job* rejected = nullptr;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
    if (mode == shutdown_mode::reject_queued) {
      rejected = impl_->head;
      impl_->head = impl_->tail = nullptr;
      impl_->queued = 0;
    }
  }
  impl_->wake.notify_all();
  // Rejections run outside the lock: they post to loops and may free memory.
  while (rejected) {
    auto* next = rejected->next;
    rejected->reject(rejected, "thread pool shut down before the job started");
    rejected = next;
  }
  for (auto& t : impl_->workers) {
    if (t.joinable()) t.join();
  }
  impl_->workers.clear();
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
