// SPDX-License-Identifier: MIT
#include "eddy/net/resolver.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <condition_variable>
#include <coroutine>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "eddy/core/cancellation.hpp"
#include "eddy/runtime/event_loop.hpp"

namespace eddy {
namespace {

// One lookup, shared by the awaiting coroutine and the worker thread. Only the worker writes
// `addresses`/`error` before posting; only the loop thread reads them afterwards (the post
// queue orders the two).
struct lookup {
  std::string host;
  event_loop* loop = nullptr;
  std::coroutine_handle<> waiter;
  bool abandoned = false;  // loop thread only
  bool done = false;       // loop thread only
  std::vector<address> addresses;
  std::error_code error;
};

void run_getaddrinfo(lookup& l) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(l.host.c_str(), nullptr, &hints, &res);
  if (rc != 0) {
    if (rc == EAI_AGAIN) l.error = std::make_error_code(std::errc::resource_unavailable_try_again);
    else if (rc == EAI_MEMORY) l.error = std::make_error_code(std::errc::not_enough_memory);
    else l.error = make_error_code(errc::host_not_found);
    return;
  }
  for (addrinfo* p = res; p; p = p->ai_next) {
    if (p->ai_family != AF_INET && p->ai_family != AF_INET6) continue;
    auto a = address::from_native(p->ai_addr, static_cast<std::uint32_t>(p->ai_addrlen));
    bool seen = false;
    for (const auto& b : l.addresses) seen = seen || b == a;
    if (!seen) l.addresses.push_back(a);
  }
  ::freeaddrinfo(res);
  if (l.addresses.empty()) l.error = make_error_code(errc::host_not_found);
}

// The private worker pool: threads are started on demand (up to four) and stay parked
// afterwards. They are detached so that process exit never waits for a hung DNS query.
class worker_pool {
 public:
  static worker_pool& instance() {
    static auto* pool = new worker_pool;  // leaked on purpose: detached threads use it
    return *pool;
  }
  void submit(std::shared_ptr<lookup> l) {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(l));
    if (idle_ == 0 && threads_ < 4) {
      ++threads_;
      std::thread([this] { work(); }).detach();
    } else {
      cv_.notify_one();
    }
  }

 private:
  void work() {
    std::unique_lock lock(mutex_);
    for (;;) {
      ++idle_;
      cv_.wait(lock, [this] { return !queue_.empty(); });
      --idle_;
      auto l = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      run_getaddrinfo(*l);
      event_loop* loop = l->loop;
      loop->post([l = std::move(l)] {
        l->done = true;
        if (!l->abandoned) l->loop->schedule(l->waiter);
      });
      lock.lock();
    }
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<lookup>> queue_;
  int threads_ = 0;
  int idle_ = 0;
};

class lookup_awaiter : cancel_hook {
 public:
  explicit lookup_awaiter(std::shared_ptr<lookup> l) noexcept : l_(std::move(l)) {}
  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    if (!arm(detail::token_of(h), &on_cancel)) {
      cancelled_ = true;
      return false;
    }
    l_->loop = &detail::this_loop();
    l_->waiter = h;
    worker_pool::instance().submit(l_);
    return true;
  }
  result<std::vector<address>> await_resume() {
    disarm();
    if (cancelled_) return errc::operation_canceled;
    if (l_->error) return l_->error;
    return std::move(l_->addresses);
  }

 private:
  static void on_cancel(cancel_hook* hook) noexcept {
    auto* self = static_cast<lookup_awaiter*>(hook);
    self->cancelled_ = true;
    self->l_->abandoned = true;
    self->l_->loop->schedule(self->l_->waiter);
  }
  std::shared_ptr<lookup> l_;
  bool cancelled_ = false;
};

struct cache_entry {
  std::vector<address> addresses;  // port 0
  time_point expires;
  std::list<std::string>::iterator age;
};

struct cache {
  std::unordered_map<std::string, cache_entry> entries;
  std::list<std::string> order;  // oldest first
  std::size_t lookups = 0;
};

cache& this_cache() {
  thread_local cache c;
  return c;
}

std::vector<address> with_port(const std::vector<address>& in, std::uint16_t port) {
  std::vector<address> out;
  out.reserve(in.size());
  for (const auto& a : in) out.push_back(a.with_port(port));
  return out;
}

}  // namespace

task<result<std::vector<address>>> resolver::resolve(std::string host, std::uint16_t port) {
  if (auto numeric = address::parse(host, port)) co_return std::vector<address>{*numeric};
  if (host.empty()) co_return errc::host_not_found;
  auto& c = this_cache();
  const time_point now = steady_clock::now();
  if (auto it = c.entries.find(host); it != c.entries.end()) {
    if (it->second.expires > now) co_return with_port(it->second.addresses, port);
    c.order.erase(it->second.age);
    c.entries.erase(it);
  }
  ++c.lookups;
  auto l = std::make_shared<lookup>();
  l->host = host;
  auto answer = co_await lookup_awaiter(l);
  if (!answer) co_return answer;
  auto& cc = this_cache();
  if (!cc.entries.contains(host)) {
    if (cc.entries.size() >= cache_capacity) {
      cc.entries.erase(cc.order.front());
      cc.order.pop_front();
    }
    cc.order.push_back(host);
    cc.entries[host] = cache_entry{*answer, steady_clock::now() + cache_ttl, std::prev(cc.order.end())};
  }
  co_return with_port(*answer, port);
}

void resolver::clear_cache() noexcept {
  auto& c = this_cache();
  c.entries.clear();
  c.order.clear();
}

std::size_t resolver::lookups() noexcept { return this_cache().lookups; }

}  // namespace eddy
