// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

#include "eddy/core/result.hpp"
#include "eddy/core/task.hpp"
#include "eddy/core/unique_function.hpp"
#include "eddy/http/headers.hpp"
#include "eddy/http/response.hpp"

namespace eddy::http {

/// A response sent while it is produced (chunked transfer coding on the wire), obtained from
/// `request::stream(status, type)`:
///
///     auto& out = req.stream(200, "text/plain");
///     for (int i = 0; i < 10; ++i) co_await out.write(std::to_string(i) + "\n");
///     co_return out.finish();
///
/// Headers go out with the first write. A write that fails (the client went away) throws
/// `std::system_error`; a cancelled handler gets `cancelled_error`. For HEAD requests the
/// body is suppressed. An HTTP/1.0 client gets the body unframed, ended by closing the
/// connection (it has no chunked coding). `send_event` formats Server-Sent Events (set the type to
/// `text/event-stream`).
class response_stream {
 public:
  /// Low-level sink provided by the connection: writes raw bytes.
  using sink = unique_function<task<result<void>>(std::string_view)>;

  /// Made by the connection; `chunked` is false for HTTP/1.0 peers (the body then ends with
  /// the connection).
  response_stream(int status, std::string_view content_type, bool head_only, sink write_raw,
                  unique_function<void(std::string&, const response_stream&)> serialize_head,
                  bool chunked = true)
      : status_(status),
        content_type_(content_type),
        head_only_(head_only),
        chunked_(chunked),
        write_raw_(std::move(write_raw)),
        serialize_head_(std::move(serialize_head)) {}

  /// Extra header fields; set before the first write.
  http::headers& headers() noexcept { return headers_; }
  const http::headers& headers() const noexcept { return headers_; }
  int status() const noexcept { return status_; }
  std::string_view content_type() const noexcept { return content_type_; }

  /// Sends `chunk` (an empty chunk is skipped: it would end the body).
  task<void> write(std::string_view chunk);
  /// Sends one Server-Sent Event (`event:`/`id:` lines when given; `data` may be multi-line).
  task<void> send_event(std::string_view data, std::string_view event = {}, std::string_view id = {});
  /// Ends the body; returns the marker the handler returns (the connection sends the final
  /// chunk if `finish()` was not awaited through `end()`).
  response finish();
  /// Sends the terminating chunk now.
  task<void> end();

  bool started() const noexcept { return started_; }
  /// Whether the body goes out with chunked framing (false for HTTP/1.0 peers).
  bool chunked() const noexcept { return chunked_; }
  bool ended() const noexcept { return ended_; }

 private:
  task<void> send(std::string_view bytes);

  int status_;
  std::string content_type_;
  bool head_only_;
  bool chunked_ = true;
  sink write_raw_;
  unique_function<void(std::string&, const response_stream&)> serialize_head_;
  http::headers headers_;
  std::string scratch_;
  bool started_ = false;
  bool ended_ = false;
};

}  // namespace eddy::http
