// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/core/result.hpp"
#include "eddy/core/task.hpp"
#include "eddy/http/connection_pool.hpp"
#include "eddy/http/headers.hpp"
#include "eddy/http/json.hpp"
#include "eddy/http/url.hpp"

namespace eddy::http {

namespace detail {
class content_decoder;
}  // namespace detail

/// One piece of a streamed response body. True while it carries bytes; false at the end of
/// the body or on error (then `error()` says which).
struct body_chunk {
  /// The bytes; valid until the next `next()` call or the response's destruction.
  std::string_view bytes;
  /// Why the body stopped early, or empty (end of body, or bytes present).
  std::error_code error;
  explicit operator bool() const noexcept { return !bytes.empty(); }
};

/// A response that was redirected away from: where it came from and its status.
struct redirect_hop {
  /// The URL that answered with the redirect.
  http::url url;
  /// 301, 302, 303, 307 or 308.
  int status = 0;
  /// The redirect response's header fields (`Location`, `Set-Cookie`, ...).
  http::headers headers;
};

/// An HTTP response received by `http::client`: the head is read, the body is still on the
/// connection. Read the body once, by `text()`, `bytes()`, `json()` or `body().next()`. When
/// the body is complete the connection goes back to the pool; destroying the response earlier
/// closes the connection (it cannot be reused mid-body). The client must outlive its responses.
///
/// Body reads are bounded by the request's `read_idle` and `total` timeouts. HTTP statuses are
/// not errors; `raise_for_status()` makes 4xx/5xx one.
class client_response {
 public:
  /// The streaming body reader.
  class body_reader {
   public:
    body_reader();
    ~body_reader();
    body_reader(const body_reader&) = delete;
    body_reader& operator=(const body_reader&) = delete;

    /// The next piece of the body (decoded when the client decodes its Content-Encoding,
    /// at most 64 KiB of decoded bytes per piece): completes when bytes arrived, at the end of
    /// the body (a false chunk with no error), or on error: `read_idle_timeout`,
    /// `total_timeout`, `errc::unexpected_eof` (body cut short), `errc::protocol_error`
    /// (malformed chunking), `client_errc::decode_error` (corrupt or truncated gzip/deflate),
    /// `errc::operation_canceled` (the connection is then discarded). After the end or an
    /// error, further calls yield the same false chunk.
    task<body_chunk> next();
    /// Bytes of body received so far, as sent (before decoding).
    std::uint64_t received() const noexcept { return received_; }
    /// True when the body is being decoded (gzip or deflate).
    bool decoding() const noexcept { return decoder_ != nullptr; }
    /// True once the whole body was read.
    bool done() const noexcept { return done_; }

   private:
    friend class client_response;
    friend class client;
    connection_pool::lease lease_;
    std::vector<buffer_span> pieces_;
    std::size_t next_piece_ = 0;
    bool done_ = false;
    bool finished_ = false;  // the parser saw the end; pieces may remain
    std::error_code error_;
    std::uint64_t received_ = 0;
    time_point total_deadline_ = time_point::max();
    std::chrono::milliseconds read_idle_{0};
    bool keep_alive_ = false;
    std::unique_ptr<detail::content_decoder> decoder_;
    std::unique_ptr<char[]> decoded_;
  };

  /// An empty response (status 0, no body); real ones come from `http::client`.
  client_response() = default;
  client_response(client_response&&) noexcept = default;
  client_response& operator=(client_response&&) noexcept = default;

  /// The status code (200, 404, ...).
  int status() const noexcept { return status_; }
  /// The reason phrase as sent ("OK"); may be empty.
  const std::string& reason() const noexcept { return reason_; }
  /// The response's header fields, in arrival order.
  const http::headers& headers() const noexcept { return headers_; }
  /// 0 for HTTP/1.0, 1 for HTTP/1.1.
  int version_minor() const noexcept { return version_minor_; }
  /// The URL this response came from (after redirects).
  const http::url& url() const noexcept { return url_; }
  /// The redirects followed to get here, oldest first.
  const std::vector<redirect_hop>& history() const noexcept { return history_; }
  /// Content-Length when the server sent one.
  std::optional<std::uint64_t> content_length() const noexcept { return content_length_; }
  /// True for a status below 400 (aiohttp's `ok`).
  bool ok() const noexcept { return status_ < 400; }
  /// Fails with `client_errc::client_error_status` (4xx) or `server_error_status` (5xx);
  /// succeeds otherwise. The body stays readable either way.
  result<void> raise_for_status() const noexcept;

  /// The body for streaming: `while (auto c = co_await resp.body().next()) use(c.bytes);`.
  body_reader& body() noexcept { return *body_; }
  /// Reads the whole body (at most the client's `max_body_bytes`, else
  /// `client_errc::body_too_large` and the connection is closed). Errors as `body().next()`.
  task<result<std::string>> text();
  /// `text()` as bytes.
  task<result<std::vector<char>>> bytes();
  /// Reads the body and parses it as JSON; `client_errc::invalid_json` if it is not.
  task<result<http::json>> json();

 private:
  friend class client;
  int status_ = 0;
  std::string reason_;
  http::headers headers_;
  int version_minor_ = 1;
  http::url url_;
  std::vector<redirect_hop> history_;
  std::optional<std::uint64_t> content_length_;
  std::uint64_t max_body_bytes_ = 0;
  std::unique_ptr<body_reader> body_ = std::make_unique<body_reader>();
};

}  // namespace eddy::http
