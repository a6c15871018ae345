// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "eddy/core/async_generator.hpp"
#include "eddy/http/client_trace.hpp"
#include "eddy/http/headers.hpp"
#include "eddy/http/method.hpp"
#include "eddy/http/url.hpp"
#include "eddy/runtime/event_loop.hpp"

namespace eddy::http {
struct client_timeouts;
}

namespace eddy::http::detail {

/// The request body as `http::client` sends it: nothing, bytes, a file (streamed with its
/// size as Content-Length) or a generator (chunked).
struct outgoing_body {
  enum class kind { none, bytes, file, stream };
  kind what = kind::none;
  std::string bytes;
  std::filesystem::path file;
  std::function<async_generator<std::string>()> stream;
  /// Content-Length; nullopt for a stream (sent chunked).
  std::optional<std::uint64_t> size;
};

/// One request on the wire (one redirect hop or one attempt), with what `send_once` needs
/// and what it reports back for tracing.
struct exchange {
  const http::url* target = nullptr;
  http::method method = http::method::get;
  const http::headers* headers = nullptr;
  outgoing_body* body = nullptr;
  const client_timeouts* timeouts = nullptr;
  time_point total = time_point::max();
  /// The proxy this exchange goes through, if any.
  std::optional<http::url> proxy;
  bool expect_continue = false;
  bool decompress = true;
  /// Filled in while the exchange runs (timings, reuse, status, error).
  request_trace trace;
  std::chrono::steady_clock::time_point started{};
};

/// True for the errors a peer's close produces (EOF, reset, broken pipe, aborted).
bool closed_by_peer(const std::error_code& ec) noexcept;

/// Microseconds since `since`.
inline std::chrono::microseconds elapsed_since(std::chrono::steady_clock::time_point since) noexcept {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - since);
}

}  // namespace eddy::http::detail
