// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <string>

#include "eddy/core/result.hpp"
#include "eddy/core/task.hpp"
#include "eddy/http/detail/client_connection.hpp"
#include "eddy/runtime/event_loop.hpp"

namespace eddy::http {

/// Limits of a `connection_pool`.
struct pool_options {
  /// Open connections in total (idle ones included). Zero is treated as one.
  std::size_t max_connections = 100;
  /// Open connections per origin (scheme, host, port). Zero is treated as one.
  std::size_t max_per_host = 10;
  /// An idle connection older than this is closed instead of reused. Zero: never reused.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(15)};
};

/// Keep-alive connections of one `http::client`, keyed by origin (`url::origin()`), with a
/// limit in total and per origin. Use on the client's loop only.
///
/// A slot is an open connection or one being opened. A request that finds no idle connection
/// and no free slot queues; queued requests are served in arrival order as connections come
/// back or close (a request whose origin is at its own limit does not hold up requests to
/// other origins). When the total limit is reached, the oldest idle connection of another
/// origin is closed to make room. A queued request that is cancelled leaves the queue; if a
/// connection or slot was handed to it meanwhile, it goes back to the pool: slots never leak.
/// Idle connections are closed once `idle_timeout` passes (by a timer on the pool's loop);
/// one the server closed meanwhile is detected and skipped when it is taken from the pool.
class connection_pool {
 public:
  /// A connection (or a reserved slot to open one) held by one request. Destroying a lease
  /// without `give_back(true)` closes the connection and frees the slot.
  class lease {
   public:
    lease() = default;
    lease(lease&& o) noexcept;
    lease& operator=(lease&& o) noexcept;
    ~lease();
    /// The connection; nullptr for a fresh slot until `attach`.
    detail::client_connection* get() const noexcept { return conn_.get(); }
    /// True if the connection came from the idle list (it may have been closed by the server).
    bool reused() const noexcept { return reused_; }
    /// Fills a fresh slot with the connection just opened.
    void attach(std::unique_ptr<detail::client_connection> c) noexcept { conn_ = std::move(c); }
    /// Returns the connection to the pool: kept for reuse if `reusable`, else closed.
    void give_back(bool reusable) noexcept;
    explicit operator bool() const noexcept { return pool_ != nullptr; }

   private:
    friend class connection_pool;
    lease(connection_pool* p, std::string key, std::unique_ptr<detail::client_connection> c,
          bool reused) noexcept
        : pool_(p), key_(std::move(key)), conn_(std::move(c)), reused_(reused) {}
    connection_pool* pool_ = nullptr;
    std::string key_;
    std::unique_ptr<detail::client_connection> conn_;
    bool reused_ = false;
  };

  explicit connection_pool(pool_options options = {});
  /// Closes the idle connections. Leases must not outlive the pool.
  ~connection_pool();
  connection_pool(const connection_pool&) = delete;
  connection_pool& operator=(const connection_pool&) = delete;

  /// Waits for an idle connection to `origin` (unless `fresh_only`) or a free slot. Completes
  /// at once when one is available, else after a queued wait, on the caller's loop. Errors:
  /// `errc::operation_canceled` when the task is cancelled while queued (nothing is held).
  task<result<lease>> acquire(std::string origin, bool fresh_only = false);

  /// Closes every idle connection.
  void close_idle() noexcept;

  /// Open connections (idle and in use).
  std::size_t open() const noexcept { return open_; }
  /// Idle connections.
  std::size_t idle() const noexcept;
  /// Requests queued for a slot.
  std::size_t waiting() const noexcept { return waiters_.size(); }
  /// Connections opened so far (slots filled by `attach`, counted at reservation).
  std::size_t opened_total() const noexcept { return opened_total_; }

 private:
  struct host_entry {
    std::size_t open = 0;
    std::deque<std::unique_ptr<detail::client_connection>> idle;  // oldest first
  };
  struct waiter;

  void release(const std::string& key, std::unique_ptr<detail::client_connection> c,
               bool reusable) noexcept;
  std::unique_ptr<detail::client_connection> take_idle(host_entry& h) noexcept;
  bool make_room(host_entry& h) noexcept;
  bool evict_oldest(host_entry* only) noexcept;
  void purge_expired() noexcept;
  void dispatch() noexcept;
  void schedule_sweep() noexcept;

  pool_options options_;
  std::map<std::string, host_entry, std::less<>> hosts_;
  std::list<waiter*> waiters_;
  std::size_t open_ = 0;
  std::size_t opened_total_ = 0;
  // Closes expired idle connections even when the pool is not used (a timer on the loop the
  // pool runs on, armed only while idle connections exist).
  callback_handle sweep_;
  bool sweep_armed_ = false;
};

}  // namespace eddy::http
