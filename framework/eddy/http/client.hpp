// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "eddy/core/result.hpp"
#include "eddy/core/task.hpp"
#include "eddy/http/client_errc.hpp"
#include "eddy/http/client_response.hpp"
#include "eddy/http/connection_pool.hpp"
#include "eddy/http/headers.hpp"
#include "eddy/http/json.hpp"
#include "eddy/http/method.hpp"
#include "eddy/http/url.hpp"
#include "eddy/net/tls_context.hpp"

namespace eddy::http {

/// Per-request time limits. They are not cumulative: each one bounds its own stage, and a
/// zero duration turns it off. The error code says which one fired (see `client_errc`).
struct client_timeouts {
  /// The whole exchange: pool wait, connect, TLS, sending, every redirect, and reading the
  /// body (`text()`, `body().next()`). `client_errc::total_timeout`. Sending the request is
  /// bounded by this limit only.
  std::chrono::milliseconds total{std::chrono::minutes(5)};
  /// Waiting for a pool slot, name resolution and the TCP connect. `connect_timeout`.
  std::chrono::milliseconds connect{std::chrono::seconds(30)};
  /// The TLS handshake (https only). `tls_handshake_timeout`.
  std::chrono::milliseconds tls_handshake{std::chrono::seconds(10)};
  /// From the request sent to the first response byte. `ttfb_timeout`.
  std::chrono::milliseconds ttfb{std::chrono::seconds(60)};
  /// The longest pause between two reads once the response started (head and body).
  /// `read_idle_timeout`.
  std::chrono::milliseconds read_idle{std::chrono::seconds(30)};
};

/// Configuration of an `http::client`.
struct client_options {
  /// Open connections in total, idle ones included.
  std::size_t max_connections = 100;
  /// Open connections per origin (scheme, host, port).
  std::size_t max_per_host = 10;
  /// Idle keep-alive connections older than this are closed instead of reused.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(15)};
  /// Default limits of every request (a request may override them).
  client_timeouts timeouts{};
  /// TLS for https: verification against the system CA store, host name check and SNI by
  /// default; `ca_file` adds a private CA; only `insecure_skip_verify = true` turns checking
  /// off. Its `handshake_timeout` is ignored in favour of `timeouts.tls_handshake`.
  tls_client_options tls{};
  /// Redirects followed by default (0: none).
  int max_redirects = 10;
  /// The cap on bodies read whole (`text()`, `bytes()`, `json()`); streaming is not capped.
  std::uint64_t max_body_bytes = 64 * 1024 * 1024;
  /// Sent as `User-Agent` unless the request sets one; empty: none.
  std::string user_agent = "eddy";
};

/// What to send besides the method and URL. At most one of `body`, `json`, `form` is used
/// (in that order of precedence); each sets a default Content-Type.
///
/// GCC 12 rejects a braced list of strings inside a `co_await` expression ("array used as
/// initializer"), so with `headers`, `form` or `query` lists build the options as a named
/// variable first: `request_options o{.headers = {{"Accept", "text/plain"}}};
/// co_await c.get(u, std::move(o));`.
struct request_options {
  /// Extra header fields (`Host` and `Content-Length` are computed).
  http::headers headers{};
  /// The raw body (Content-Type `application/octet-stream` unless given).
  std::optional<std::string> body{};
  /// A JSON body (`application/json`).
  std::optional<http::json> json{};
  /// A form body (`application/x-www-form-urlencoded`).
  std::optional<query_params> form{};
  /// Parameters appended to the URL's query.
  query_params query{};
  /// Overrides the client's timeouts for this request.
  std::optional<client_timeouts> timeouts{};
  /// Overrides the client's `max_redirects` for this request (0: do not follow).
  std::optional<int> max_redirects{};
};

/// An HTTP/1.1 client with a keep-alive connection pool (aiohttp's ClientSession). Bound to
/// the loop it is used on; use it from that loop's thread only, keep it alive while its
/// responses are read, and destroy it before its loop (create it inside the task that uses it).
///
///     http::client c({.max_connections = 100, .max_per_host = 10});
///     auto r = co_await c.get("https://example.com/cats?page=2");
///     if (!r) { log(r.error().message()); co_return; }
///     auto body = co_await r->text();
///
/// Every call completes on the calling task's loop with a `result<client_response>` whose
/// head has been read. Errors: `client_errc` (bad URL, the timeout that fired, too many
/// redirects), `errc::host_not_found`, OS errors such as `connection_refused`, TLS errors
/// (`is_tls_error(ec)`, message from OpenSSL, e.g. "certificate verify failed"),
/// `client_errc::connection_closed` / `errc::unexpected_eof` when the server closed the
/// connection mid-exchange, and `errc::operation_canceled` when the task is cancelled (the
/// connection is then closed and its slot returned). HTTP statuses are not errors.
///
/// Retries: a request that fails on a reused keep-alive connection because the server had
/// closed it is retried once on a new connection if its method is idempotent or if nothing
/// had been sent; otherwise the error is returned (never a made-up success).
///
/// Redirects (301, 302, 303, 307, 308 with a Location) are followed up to `max_redirects`:
/// 303 turns the method into GET (HEAD stays HEAD) and drops the body; 301/302 do so for
/// POST; 307/308 keep method and body. `Authorization` and `Cookie` are dropped when the
/// origin changes.
class client {
 public:
  /// Throws `std::system_error` when the TLS options cannot be loaded (a missing CA file).
  explicit client(client_options options = {});
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Sends `m` to `url` with `options`; see the class comment. The URL is copied at the call,
  /// so the task may be stored or spawned before it runs.
  task<result<client_response>> request(method m, std::string url, request_options options = {});
  /// `request(method::get, ...)`.
  task<result<client_response>> get(std::string_view url, request_options options = {});
  /// `request(method::head, ...)`: the response has no body whatever its headers say.
  task<result<client_response>> head(std::string_view url, request_options options = {});
  /// `request(method::post, ...)`. Not idempotent: never resent once it may have left.
  task<result<client_response>> post(std::string_view url, request_options options = {});
  /// `request(method::put, ...)`.
  task<result<client_response>> put(std::string_view url, request_options options = {});
  /// `request(method::patch, ...)`. Not idempotent: never resent once it may have left.
  task<result<client_response>> patch(std::string_view url, request_options options = {});
  /// `request(method::del, ...)` (DELETE).
  task<result<client_response>> del(std::string_view url, request_options options = {});

  /// The connection pool (for statistics: open, idle, waiting).
  const connection_pool& pool() const noexcept { return pool_; }
  /// Closes idle connections now.
  void close_idle() noexcept { pool_.close_idle(); }

 private:
  task<result<client_response>> send_once(const url& u, method m, const http::headers& hdrs,
                                          const std::string* body, const client_timeouts& t,
                                          time_point total);
  task<result<connection_pool::lease>> open(const url& u, bool fresh_only,
                                            const client_timeouts& t, time_point total);

  client_options options_;
  tls_context tls_;
  connection_pool pool_;
};

}  // namespace eddy::http
