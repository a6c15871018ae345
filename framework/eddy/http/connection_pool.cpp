// SPDX-License-Identifier: MIT
#include "eddy/http/connection_pool.hpp"

#include <algorithm>
#include <utility>

#include "eddy/core/errors.hpp"
#include "eddy/runtime/event.hpp"

namespace eddy::http {

struct connection_pool::waiter {
  std::string key;
  bool fresh_only = false;
  event ready;
  bool granted = false;
  std::unique_ptr<detail::client_connection> conn;  // an idle connection, or null for a slot
};

connection_pool::lease::lease(lease&& o) noexcept
    : pool_(std::exchange(o.pool_, nullptr)),
      key_(std::move(o.key_)),
      conn_(std::move(o.conn_)),
      reused_(o.reused_) {}

connection_pool::lease& connection_pool::lease::operator=(lease&& o) noexcept {
  if (this != &o) {
    give_back(false);
    pool_ = std::exchange(o.pool_, nullptr);
    key_ = std::move(o.key_);
    conn_ = std::move(o.conn_);
    reused_ = o.reused_;
  }
  return *this;
}

connection_pool::lease::~lease() { give_back(false); }

void connection_pool::lease::give_back(bool reusable) noexcept {
  if (auto* p = std::exchange(pool_, nullptr)) p->release(key_, std::move(conn_), reusable);
}

connection_pool::connection_pool(pool_options options) : options_(options) {
  if (options_.max_connections == 0) options_.max_connections = 1;
  if (options_.max_per_host == 0) options_.max_per_host = 1;
}

connection_pool::~connection_pool() {
  sweep_.cancel();
  close_idle();
}

void connection_pool::schedule_sweep() noexcept {
  if (sweep_armed_) return;
  time_point oldest = time_point::max();
  for (const auto& [k, h] : hosts_)
    if (!h.idle.empty()) oldest = std::min(oldest, h.idle.front()->idle_since);
  if (oldest == time_point::max()) return;
  sweep_armed_ = true;
  sweep_ = eddy::detail::this_loop().call_at(oldest + options_.idle_timeout, [this] {
    sweep_armed_ = false;
    purge_expired();
    dispatch();
    schedule_sweep();
  });
}

std::size_t connection_pool::idle() const noexcept {
  std::size_t n = 0;
  for (const auto& [k, h] : hosts_) n += h.idle.size();
  return n;
}

void connection_pool::close_idle() noexcept {
  for (auto& [k, h] : hosts_) {
    for (auto& c : h.idle) c->close();
    open_ -= h.idle.size();
    h.open -= h.idle.size();
    h.idle.clear();
  }
  dispatch();
}

std::unique_ptr<detail::client_connection> connection_pool::take_idle(host_entry& h) noexcept {
  // Most recently used first: it is the least likely to have been closed by the server.
  while (!h.idle.empty()) {
    auto c = std::move(h.idle.back());
    h.idle.pop_back();
    if (c->probe_alive()) return c;
    c->close();
    --h.open;
    --open_;
  }
  return nullptr;
}

bool connection_pool::evict_oldest(host_entry* only) noexcept {
  host_entry* victim = nullptr;
  if (only) {
    if (!only->idle.empty()) victim = only;
  } else {
    for (auto& [k, h] : hosts_)
      if (!h.idle.empty() && (!victim || h.idle.front()->idle_since < victim->idle.front()->idle_since))
        victim = &h;
  }
  if (!victim) return false;
  victim->idle.front()->close();
  victim->idle.pop_front();
  --victim->open;
  --open_;
  return true;
}

bool connection_pool::make_room(host_entry& h) noexcept {
  while (h.open >= options_.max_per_host)
    if (!evict_oldest(&h)) return false;
  while (open_ >= options_.max_connections)
    if (!evict_oldest(nullptr)) return false;
  ++h.open;
  ++open_;
  ++opened_total_;
  return true;
}

void connection_pool::purge_expired() noexcept {
  auto now = eddy::detail::this_loop().now();
  for (auto& [k, h] : hosts_) {
    while (!h.idle.empty() && now - h.idle.front()->idle_since >= options_.idle_timeout) {
      h.idle.front()->close();
      h.idle.pop_front();
      --h.open;
      --open_;
    }
  }
}

task<result<connection_pool::lease>> connection_pool::acquire(std::string origin, bool fresh_only) {
  purge_expired();
  auto& h = hosts_[origin];
  if (waiters_.empty()) {
    if (!fresh_only)
      if (auto c = take_idle(h)) co_return lease(this, std::move(origin), std::move(c), true);
    if (make_room(h)) co_return lease(this, std::move(origin), nullptr, false);
  }
  waiter w;
  w.key = origin;
  w.fresh_only = fresh_only;
  auto it = waiters_.insert(waiters_.end(), &w);
  // Requests ahead in line may be stuck at their origin's limit while this one can go now.
  dispatch();
  bool cancelled = false;
  try {
    co_await w.ready.wait();
  } catch (const cancelled_error&) {
    cancelled = true;
  }
  if (!w.granted) {
    waiters_.erase(it);
    co_return errc::operation_canceled;
  }
  bool reused = w.conn != nullptr;
  lease l(this, std::move(origin), std::move(w.conn), reused);
  if (cancelled) {
    // Handed over just as the cancellation arrived: give it back so that nothing leaks.
    l.give_back(reused);
    co_return errc::operation_canceled;
  }
  co_return l;
}

void connection_pool::release(const std::string& key, std::unique_ptr<detail::client_connection> c,
                              bool reusable) noexcept {
  auto it = hosts_.find(key);
  if (it == hosts_.end()) return;
  auto& h = it->second;
  if (c && reusable && options_.idle_timeout > std::chrono::milliseconds::zero()) {
    c->idle_since = eddy::detail::this_loop().now();
    h.idle.push_back(std::move(c));
    schedule_sweep();
  } else {
    if (c) c->close();
    --h.open;
    --open_;
    if (h.open == 0) hosts_.erase(it);  // keep the map as small as the set of live origins
  }
  dispatch();
}

void connection_pool::dispatch() noexcept {
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    waiter* w = *it;
    auto& h = hosts_[w->key];
    std::unique_ptr<detail::client_connection> c;
    if (!w->fresh_only) c = take_idle(h);
    if (c || make_room(h)) {
      w->conn = std::move(c);
      w->granted = true;
      w->ready.set();
      it = waiters_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace eddy::http
