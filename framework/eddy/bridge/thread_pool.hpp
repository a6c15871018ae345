// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>

#include "eddy/core/unique_function.hpp"

namespace eddy {

/// Thrown into the waiting task when its job was refused by a pool that is shutting down or
/// whose bounded queue is full (asyncio raises RuntimeError for a shut-down executor).
class rejected_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {

/// A unit of work for the pool, intrusive so that `to_thread` needs one allocation per call
/// (its shared state is the job). Exactly one of `run` or `reject` is called, once, on a
/// worker thread or on the thread calling `shutdown`/`submit`.
struct pool_job {
  void (*run)(pool_job*) noexcept = nullptr;
  void (*reject)(pool_job*, const char* why) noexcept = nullptr;
  pool_job* next = nullptr;
};

}  // namespace detail

/// Options for a `thread_pool`.
struct thread_pool_options {
  /// Number of worker threads; 0 means `std::thread::hardware_concurrency()` (at least 1).
  std::size_t threads = 0;
  /// Maximum number of queued (not yet running) jobs; 0 means unbounded. A submission beyond
  /// it is rejected at once (`rejected_error` for `to_thread`), never blocks the loop.
  std::size_t max_queued = 0;
  /// Threads are named `<name>-<index>` (visible in top, gdb, /proc). Linux keeps 15 bytes.
  std::string name = "eddy-pool";
};

/// What `shutdown` does with jobs that are queued but not started.
enum class shutdown_mode {
  /// Run every queued job, then stop the workers (`concurrent.futures` `shutdown(wait=True)`).
  drain,
  /// Reject every queued job: its waiter gets `rejected_error`; running jobs finish
  /// (`shutdown(cancel_futures=True)`).
  reject_queued,
};

/// A fixed set of worker threads running blocking jobs in FIFO order (asyncio's default
/// executor). Submitting is thread-safe. Destruction is `shutdown(shutdown_mode::drain)`.
class thread_pool {
 public:
  explicit thread_pool(thread_pool_options options = {});
  ~thread_pool();
  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;

  /// Runs `fn` on a worker. Returns false, without running it, if the pool is shut down or
  /// its queue is full. Exceptions escaping `fn` are written to stderr (use `to_thread`/`run_in`
  /// to receive results and exceptions). Thread-safe.
  bool submit(unique_function<void()> fn);

  /// Stops accepting work, handles queued jobs as `mode` says, and joins the workers. Jobs
  /// submitted afterwards are rejected. Idempotent; call from outside the pool's workers.
  void shutdown(shutdown_mode mode = shutdown_mode::drain);

  /// Number of worker threads.
  std::size_t size() const noexcept;
  /// Number of jobs queued and not started (a snapshot).
  std::size_t queued() const noexcept;

  /// Internal: queues `job` or rejects it (calling `job->reject`) and returns false.
  bool submit_job(detail::pool_job* job) noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The process-wide pool `to_thread` uses, sized to the cores; created on first use and
/// drained at exit.
thread_pool& default_thread_pool();

}  // namespace eddy
