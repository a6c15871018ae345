// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "eddy/core/async_generator.hpp"
#include "eddy/core/result.hpp"
#include "eddy/core/task.hpp"
#include "eddy/http/client_auth.hpp"
#include "eddy/http/client_errc.hpp"
#include "eddy/http/client_response.hpp"
#include "eddy/http/client_trace.hpp"
#include "eddy/http/connection_pool.hpp"
#include "eddy/http/cookie_jar.hpp"
#include "eddy/http/headers.hpp"
#include "eddy/http/json.hpp"
#include "eddy/http/method.hpp"
#include "eddy/http/proxy_settings.hpp"
#include "eddy/http/retry_policy.hpp"
#include "eddy/http/url.hpp"
#include "eddy/net/tls_context.hpp"

namespace eddy::http {

namespace detail {
struct outgoing_body;
struct exchange;
}  // namespace detail

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
  /// The cap on bodies read whole (`text()`, `bytes()`, `json()`), counted after decoding (a
  /// small gzip body that inflates past it fails with `body_too_large`: zip bombs); streaming
  /// is not capped.
  std::uint64_t max_body_bytes = 64 * 1024 * 1024;
  /// Sent as `User-Agent` unless the request sets one; empty: none.
  std::string user_agent = "eddy";
  /// Sends `Accept-Encoding: gzip, deflate` (unless the request sets `Accept-Encoding`) and
  /// decodes bodies so encoded, in `text()`/`bytes()`/`json()` and in the streaming body.
  /// Other codings are passed through as received. `headers()` and `content_length()` still
  /// describe the encoded body.
  bool decompress = true;
  /// Keeps a cookie jar (`client::cookies()`, RFC 6265 rules): `Set-Cookie` of every
  /// response, redirect hops included, is stored and sent back where it applies.
  bool cookies = false;
  /// The HTTP proxy (none by default; `proxy_settings::from_environment()` reads
  /// `http_proxy`, `HTTPS_PROXY`, `NO_PROXY`). The constructor throws `std::invalid_argument`
  /// for a proxy URL it cannot use.
  proxy_settings proxy{};
  /// `Authorization` for every request that sets none itself (Basic or Bearer).
  client_auth auth{};
  /// Retries with backoff (off by default; see `retry_policy`).
  retry_policy retry{};
  /// Tracing callbacks: exchange start and end, new and reused connections, timings.
  client_trace trace{};
  /// Request bodies of at least this many bytes, and streamed bodies of unknown size, are
  /// announced with `Expect: 100-continue`: the body is sent only after the server's
  /// `100 Continue`, so that a server that refuses it (401, 413, 417) answers before the
  /// upload. 0: never.
  std::uint64_t expect_continue_min_bytes = 1024 * 1024;
  /// How long to wait for `100 Continue` before sending the body anyway (servers that ignore
  /// `Expect` never send one).
  std::chrono::milliseconds expect_continue_timeout{std::chrono::seconds(1)};
};

/// What to send besides the method and URL. At most one of `body`, `json`, `form`,
/// `body_file`, `body_stream` is used (in that order of precedence); each sets a default
/// Content-Type.
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
  /// A file sent as the body (`application/octet-stream`), streamed in 64 KiB pieces with its
  /// size as Content-Length, never read whole. A file that cannot be opened fails the request
  /// with the OS error (`no_such_file_or_directory`, ...) before anything is sent.
  std::optional<std::filesystem::path> body_file{};
  /// A body produced piece by piece, sent with `Transfer-Encoding: chunked`
  /// (`application/octet-stream`). The function is called for every attempt (a 307/308
  /// redirect or a retry sends the body again); an exception thrown by the generator
  /// propagates out of the request (the connection is closed).
  std::function<async_generator<std::string>()> body_stream{};
  /// Overrides the client's `auth`.
  std::optional<client_auth> auth{};
  /// Overrides the client's `retry` policy.
  std::optional<retry_policy> retry{};
  /// Overrides the client's `decompress`.
  std::optional<bool> decompress{};
  /// Forces `Expect: 100-continue` on (true) or off (false) whatever the body's size.
  std::optional<bool> expect_continue{};
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
///
/// Options add gzip/deflate decoding (on by default), a cookie jar, an HTTP proxy, default
/// credentials, retries with backoff, tracing hooks and `Expect: 100-continue` for large
/// uploads; see `client_options`.
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
  /// The cookie jar (empty and unused unless `client_options::cookies`).
  cookie_jar& cookies() noexcept { return jar_; }
  /// The options the client was built with.
  const client_options& options() const noexcept { return options_; }

 private:
  task<result<client_response>> follow(method m, url u, http::headers hdrs, detail::outgoing_body& body,
                                       const request_options& o, const client_timeouts& t,
                                       time_point total, int attempt);
  task<result<client_response>> send_once(detail::exchange& x);
  task<result<connection_pool::lease>> open(detail::exchange& x, bool fresh_only);

  client_options options_;
  // Built at the first https request (loading the system CA store costs tens of
  // milliseconds, which an http-only client should not pay); built at once when the options
  // name files, so that a missing one is reported by the constructor.
  const tls_context& tls();
  std::optional<tls_context> tls_;
  connection_pool pool_;
  cookie_jar jar_;
};

}  // namespace eddy::http
