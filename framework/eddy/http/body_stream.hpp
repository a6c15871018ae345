// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "eddy/core/task.hpp"

namespace eddy::http {

namespace detail {

/// One step of a request body as the server's connection delivers it: bytes, the end (empty
/// bytes, no error), or an error with the status to answer.
struct body_piece {
  std::string_view bytes;
  int error_status = 0;
  std::string_view error_reason;
};

/// Where a streamed request body comes from: the connection that is reading it.
class body_source {
 public:
  /// The next piece; see `body_piece`. Completes on the connection's loop thread.
  virtual task<body_piece> pull() = 0;

 protected:
  ~body_source() = default;
};

}  // namespace detail

/// A request body read as it arrives (aiohttp's `request.content`, Sanic's `request.stream`).
/// On a route registered with `{.stream_body = true}` the handler runs as soon as the head is
/// in, and the body is read only when the handler asks for it, one network read at a time, so
/// a 1 GiB upload never sits in memory. On other routes the body was read whole first, and the
/// stream yields it in one piece.
///
///     while (auto piece = co_await req.body_stream().next()) file.write(*piece);
///
/// `Expect: 100-continue` is answered when the handler first calls `next()`. A body the
/// handler leaves unread is read and discarded after the response (up to 4 MiB; beyond that,
/// or if the client still waits for 100 Continue, the connection is closed instead).
class body_stream {
 public:
  body_stream() noexcept = default;
  /// A stream over a body already in memory (yields it once).
  explicit body_stream(std::string_view whole) noexcept : whole_(whole), done_(whole.empty()) {}
  /// A stream pulling from the connection.
  explicit body_stream(detail::body_source& source) noexcept : source_(&source), done_(false) {}

  /// The next piece of the body, or `std::nullopt` at its end. The view stays valid until the
  /// next call or the end of the handler. Completes on the handler's loop thread. Throws
  /// `http::error(400)` for malformed chunked framing or a body the client cut short,
  /// `http::error(413)` past the route's body limit, and `cancelled_error` if the task is
  /// cancelled; after any of these the connection is closed once the response is sent.
  task<std::optional<std::string_view>> next();

  /// Reads the rest of the body into one string. Throws as `next()`, and `http::error(413)`
  /// if more than `max_bytes` arrive.
  task<std::string> read_all(std::size_t max_bytes = 16 * 1024 * 1024);

  /// Body bytes delivered so far.
  std::uint64_t received() const noexcept { return received_; }
  /// True once the end of the body was delivered.
  bool done() const noexcept { return done_; }

 private:
  detail::body_source* source_ = nullptr;
  std::string_view whole_;
  std::uint64_t received_ = 0;
  bool done_ = true;
};

}  // namespace eddy::http
