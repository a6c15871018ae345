// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <functional>
#include <system_error>

#include "eddy/http/method.hpp"
#include "eddy/http/url.hpp"

namespace eddy::http {

/// How long the stages of one exchange took. A stage that did not happen (a reused
/// connection needs no DNS, connect or TLS) is zero.
struct request_timings {
  /// Name resolution.
  std::chrono::microseconds dns{};
  /// The TCP connect (after DNS), including a proxy's `CONNECT` tunnel.
  std::chrono::microseconds connect{};
  /// The TLS handshake.
  std::chrono::microseconds tls{};
  /// From the request written to the first byte of the response.
  std::chrono::microseconds ttfb{};
  /// From the start of the exchange (pool wait included) to the response head.
  std::chrono::microseconds total{};
};

/// What a tracing callback learns about one exchange (one request on the wire: each redirect
/// hop and each retry is an exchange of its own).
struct request_trace {
  /// The method sent.
  http::method method = http::method::get;
  /// The URL of this exchange (valid during the callback only).
  const http::url* url = nullptr;
  /// 1 for the first attempt, 2 for the first retry, ...
  int attempt = 1;
  /// The response status; 0 at the start and when the exchange failed.
  int status = 0;
  /// Why the exchange failed (end only), or empty.
  std::error_code error{};
  /// True when a pooled keep-alive connection was reused.
  bool reused_connection = false;
  /// The stages measured so far (complete at the end).
  request_timings timings{};
};

/// Tracing hooks of an `http::client` (aiohttp's TraceConfig). Each is optional and is called
/// on the client's loop thread, synchronously; it must not throw, and should be quick.
struct client_trace {
  /// Before a connection is taken for an exchange.
  std::function<void(const request_trace&)> on_request_start{};
  /// When an exchange got its response head, or failed.
  std::function<void(const request_trace&)> on_request_end{};
  /// When a new connection is ready (DNS, connect, TLS timings filled in).
  std::function<void(const request_trace&)> on_connection_created{};
  /// When a pooled keep-alive connection is taken for an exchange.
  std::function<void(const request_trace&)> on_connection_reused{};
};

}  // namespace eddy::http
