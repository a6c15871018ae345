// SPDX-License-Identifier: MIT
#pragma once

#include <exception>
#include <optional>

#include "eddy/core/cancellation.hpp"
#include "eddy/core/task.hpp"
#include "eddy/http/detail/handler_guard.hpp"
#include "eddy/http/detail/metrics_shard.hpp"
#include "eddy/http/detail/request_probe.hpp"
#include "eddy/http/request.hpp"
#include "eddy/http/response.hpp"
#include "eddy/http/response_stream.hpp"
#include "eddy/http/router.hpp"

namespace eddy::http::detail {

/// What the server's stream factory needs to open the response stream of the request in
/// flight (`request::stream`).
struct stream_context {
  std::optional<response_stream>* slot;
  bool head_only;
  bool keep;
  bool http10;
};

/// One request in flight on a server connection: what its handler sees and what answering it
/// needs; a handler that finishes without waiting is answered with it, without a coroutine
/// frame of its own. Made for each request from the thread's frame cache, which hands out
/// the block freed last: a request answered without waiting (the common case) uses the same
/// block as the one before it, on whichever connection, so its ~900 bytes stay in the CPU's
/// cache instead of each of many connections touching its own cold copy.
struct exchange {
  explicit exchange(metrics_shard* metrics) noexcept : probe(metrics) {}
  exchange(const exchange&) = delete;
  exchange& operator=(const exchange&) = delete;
  ~exchange() {
    if (current) *current = nullptr;
  }
  static void* operator new(std::size_t size) { return eddy::detail::allocate_frame(size); }
  static void operator delete(void* p, std::size_t size) noexcept { eddy::detail::deallocate_frame(p, size); }
  linked_cancel_source handler_cancel;
  request req;
  request_probe probe;
  // The route's parameters live here while the request is in flight.
  route_match match;
  std::optional<response_stream> streamed;
  stream_context stream_ctx{};
  std::optional<guarded_run<response>> run;
  std::exception_ptr failure;
  response* answer = nullptr;
  request** current = nullptr;  // cleared at the end: the connection's pointer to `req`
  bool keep = false;
  bool http10 = false;
  bool head_only = false;
  bool streaming_body = false;
};

}  // namespace eddy::http::detail
