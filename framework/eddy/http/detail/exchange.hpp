// SPDX-License-Identifier: MIT
#pragma once

#include <exception>
#include <optional>

#include "eddy/core/cancellation.hpp"
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
/// needs. It lives in the frame of the connection's serving coroutine, so that a handler that
/// finishes without waiting is answered without a coroutine frame of its own.
struct exchange {
  explicit exchange(metrics_shard* metrics) noexcept : probe(metrics) {}
  exchange(const exchange&) = delete;
  exchange& operator=(const exchange&) = delete;
  ~exchange() {
    if (current) *current = nullptr;
  }
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
