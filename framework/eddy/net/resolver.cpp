// SPDX-License-Identifier: MIT
#include "eddy/net/resolver.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <list>
#include <optional>
#include <unordered_map>

#include "eddy/bridge/thread_pool.hpp"
#include "eddy/bridge/to_thread.hpp"
#include "eddy/runtime/event_loop.hpp"

namespace eddy {
namespace {

struct answer {
  std::vector<address> addresses;
  std::error_code error;
};

// Runs on a bridge worker thread: getaddrinfo blocks.
answer lookup_blocking(const std::string& host) {
  answer out;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0) {
    if (rc == EAI_AGAIN) out.error = std::make_error_code(std::errc::resource_unavailable_try_again);
    else if (rc == EAI_MEMORY) out.error = std::make_error_code(std::errc::not_enough_memory);
    else out.error = make_error_code(errc::host_not_found);
    return out;
  }
  for (addrinfo* p = res; p; p = p->ai_next) {
    if (p->ai_family != AF_INET && p->ai_family != AF_INET6) continue;
    auto a = address::from_native(p->ai_addr, static_cast<std::uint32_t>(p->ai_addrlen));
    bool seen = false;
    for (const auto& b : out.addresses) seen = seen || b == a;
    if (!seen) out.addresses.push_back(a);
  }
  ::freeaddrinfo(res);
  if (out.addresses.empty()) out.error = make_error_code(errc::host_not_found);
  return out;
}

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
  std::optional<answer> found;
  bool cancelled = false;
  try {
    found = co_await to_thread(lookup_blocking, host);
  } catch (const cancelled_error&) {
    cancelled = true;  // the worker's late answer is discarded by the bridge
  } catch (const rejected_error&) {
    co_return std::make_error_code(std::errc::resource_unavailable_try_again);
  }
  if (cancelled) co_return errc::operation_canceled;
  if (found->error) co_return found->error;
  auto& addresses = found->addresses;
  auto& cc = this_cache();
  if (!cc.entries.contains(host)) {
    if (cc.entries.size() >= cache_capacity) {
      cc.entries.erase(cc.order.front());
      cc.order.pop_front();
    }
    cc.order.push_back(host);
    cc.entries[host] = cache_entry{addresses, steady_clock::now() + cache_ttl, std::prev(cc.order.end())};
  }
  co_return with_port(addresses, port);
}

void resolver::clear_cache() noexcept {
  auto& c = this_cache();
  c.entries.clear();
  c.order.clear();
}

std::size_t resolver::lookups() noexcept { return this_cache().lookups; }

}  // namespace eddy
