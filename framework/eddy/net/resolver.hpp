// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "eddy/core/result.hpp"
#include "eddy/core/task.hpp"
#include "eddy/net/address.hpp"

namespace eddy {

/// Asynchronous host name resolution that never blocks the loop.
///
/// `getaddrinfo` is blocking, so (like asyncio and libuv) it runs on a worker thread of the
/// bridge's default thread pool (`to_thread`); the answer comes back to the caller's loop. Numeric hosts ("127.0.0.1", "::1") are
/// parsed directly and never reach a thread. Answers are kept in a per-thread cache for
/// `cache_ttl` (getaddrinfo exposes no record TTL; 30 s is what most stub resolvers assume).
class resolver {
 public:
  /// How long a successful answer is reused.
  static constexpr std::chrono::seconds cache_ttl{30};
  /// At most this many host names are cached per thread (oldest dropped first).
  static constexpr std::size_t cache_capacity = 256;

  /// Resolves `host` to stream-socket addresses with `port`, in getaddrinfo's preference
  /// order (RFC 6724). Completes on the caller's loop. Errors: `errc::host_not_found` (no such
  /// name or no address), the resolver's failure as `std::errc::resource_unavailable_try_again`
  /// for a temporary failure or a saturated thread pool, `errc::operation_canceled` if the task
  /// is cancelled (the lookup finishes in the background and its answer is dropped).
  static task<result<std::vector<address>>> resolve(std::string host, std::uint16_t port);

  /// Drops the calling thread's cache.
  static void clear_cache() noexcept;
  /// Number of lookups that went to a worker thread from this thread (cache misses), for
  /// tests and metrics.
  static std::size_t lookups() noexcept;
};

}  // namespace eddy
