// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "eddy/http/method.hpp"

namespace eddy::http {

/// Size limits enforced while parsing; each violation has its own status (RFC 9110 15.5).
struct parser_limits {
  /// Request target (URI) bytes. Over it: 414 URI Too Long.
  std::size_t max_target_bytes = 8 * 1024;
  /// The whole head: start line and header fields. Over it: 431 (request) or an error.
  std::size_t max_head_bytes = 16 * 1024;
  /// Number of header fields. Over it: 431.
  std::size_t max_header_count = 100;
  /// Body bytes, declared or received. Over it: 413 Content Too Large, detected from
  /// Content-Length before any body byte is read.
  std::uint64_t max_body_bytes = 16 * 1024 * 1024;
};

/// A range of the caller's buffer, as offsets from the buffer's start, so that it stays valid
/// when the buffer is reallocated or grows.
struct buffer_span {
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
  std::string_view in(const char* base) const noexcept { return {base + offset, length}; }
};

/// One header field as parsed (name and value, optional whitespace trimmed by the parser).
struct header_span {
  buffer_span name;
  buffer_span value;
};

/// The parsed head of a message. Spans point into the buffer passed to `parser::feed`.
struct message_head {
  // Requests.
  http::method method = http::method::get;
  buffer_span method_token;
  buffer_span target;
  // Where the target's query starts (its size if none) and whether the path before it is
  // normal (`is_normal_path`), found with the check for a fragment.
  std::uint32_t query_at = 0;
  bool normal_path = false;
  // Responses.
  int status = 0;
  buffer_span reason;
  // Both.
  int version_major = 1;
  int version_minor = 1;
  std::vector<header_span> headers;  // in arrival order; capacity is kept across messages
  bool keep_alive = true;            // after this message (version, Connection header)
  bool chunked = false;              // Transfer-Encoding: chunked
  std::optional<std::uint64_t> content_length;
  bool expect_continue = false;      // Expect: 100-continue
  bool upgrade = false;              // Connection: upgrade with Upgrade, or CONNECT
  bool has_host = false;
};

/// An incremental HTTP/1.x parser (llhttp in strict mode, wrapped so that no llhttp header
/// leaks out). It never copies: the head's fields and the body pieces are spans of the
/// caller's buffer. The caller keeps the bytes of the current head in place (they may move
/// together with the whole buffer) until it has consumed the head.
///
/// `feed` stops at three points so that the caller can act before reading on: after a
/// complete head when a body follows (`event::head` — decide on 100-continue, streaming,
/// routing; a message without a body goes straight to `message_end`, with `head()` valid), at
/// the end of a message (`event::message_end` — pipelined requests are handled one at a time), and on
/// error. Body bytes are reported as spans, `body_pieces()`, for the bytes consumed by that
/// call.
///
/// Hostile input is rejected, never reinterpreted: both Content-Length and Transfer-Encoding,
/// duplicate or malformed Content-Length, a Transfer-Encoding that does not end in `chunked`,
/// bad chunk sizes, bare CR/LF, and HTTP/1.1 requests without Host all yield errors (with the
/// status to answer: 400, 413, 414, 431, 501, 505).
class parser {
 public:
  enum class kind { request, response };
  enum class event {
    need_more,    ///< consumed everything given; body pieces may be reported
    head,         ///< a head is complete; `head()` is valid
    message_end,  ///< a message (head and body) is complete; the next starts fresh
    error,        ///< malformed or over a limit: `error_status()`, `error_reason()`
  };
  struct step {
    event what;
    std::size_t consumed;  ///< bytes of the fed range that were used
  };

  explicit parser(kind k, parser_limits limits = {});
  ~parser();
  parser(parser&&) noexcept;
  parser& operator=(parser&&) noexcept;

  /// Parses bytes `[from, to)` of the buffer starting at `base`. Offsets in the results are
  /// relative to `base`. Returns at the first event (see the class comment).
  step feed(const char* base, std::size_t from, std::size_t to);

  /// Back to the start state, for a new stream of messages (a new connection) with `limits`:
  /// a message in progress, an error, the body-limit hook and the per-message settings are
  /// dropped; the capacity of the head's vectors is kept. A request parser that was used is
  /// then as good as a new one, without its allocations.
  void reset(parser_limits limits) noexcept;
  /// The same for a parser about to be reused, done cheaply where it can be: one at rest after
  /// keep-alive messages (the state it parses a connection's next request in) only takes the
  /// new limits and drops the hook and the settings; any other gets a full `reset`.
  void reuse(parser_limits limits) noexcept;

  /// Signals end of input (the peer closed). Completes a close-delimited response body
  /// (`message_end`); returns `need_more` if nothing was in progress, `error` if a message was
  /// cut short.
  step finish();

  /// Picks each request's body limit from its head (a server's per-route limits): called once
  /// per request whose head announces a body (Content-Length above 0, or chunked), before the
  /// Content-Length is checked, with the head's spans relative to `base`. Returns the limit
  /// for that message; without a hook it is `limits.max_body_bytes`. `ctx` is passed back.
  using body_limit_hook = std::uint64_t (*)(void* ctx, const message_head& head, const char* base);
  void set_body_limit_hook(body_limit_hook hook, void* ctx) noexcept {
    body_limit_hook_ = hook;
    body_limit_ctx_ = ctx;
  }

  /// For responses: the request was HEAD (or CONNECT), so the response has no body whatever
  /// its headers say. Set before feeding the response.
  void expect_no_body(bool v) noexcept { expect_no_body_ = v; }

  /// For a caller that never reads the header fields (a load generator): they are still
  /// parsed, framing (Content-Length, Transfer-Encoding, chunks) is still checked by llhttp and
  /// `max_head_bytes` still applies, but `head().headers` stays empty and the per-field checks
  /// meant for requests and for values passed on (Host, Expect, obsolete line folding) are
  /// skipped. Set between messages.
  void skip_header_fields(bool v) noexcept { skip_fields_ = v; }

  /// The caller moved the buffer's bytes from offset `delta` on to its start (dropping
  /// consumed ones before a partial message): the spans of the message in progress follow.
  void rebase(std::size_t delta) noexcept;

  const message_head& head() const noexcept { return head_; }
  /// Body bytes consumed by the last `feed` call, in order.
  std::span<const buffer_span> body_pieces() const noexcept { return pieces_; }
  /// Body bytes received so far for the current message.
  std::uint64_t body_received() const noexcept { return body_received_; }
  /// True between messages (no partial message buffered).
  bool idle() const noexcept { return idle_; }
  /// Between messages and not inside an empty line (a CR before its LF): `reset` would lose
  /// nothing of what was fed.
  bool at_rest() const noexcept { return idle_ && !after_cr_; }

  /// The status a server should answer with after `event::error` (400, 413, 414, 431, 501,
  /// 505), and a short description naming the problem.
  int error_status() const noexcept { return error_status_; }
  std::string_view error_reason() const noexcept { return error_reason_; }

  // Implementation hooks, used by parser.cpp's llhttp callbacks.
  struct impl;

 private:
  friend struct impl;
  // An empty head for the next message; the fields' vector keeps its capacity.
  void clear_head() noexcept;
  std::unique_ptr<impl> impl_;
  kind kind_;
  parser_limits limits_;
  message_head head_;
  std::vector<buffer_span> pieces_;
  const char* base_ = nullptr;
  std::size_t head_start_ = 0;
  bool head_started_ = false;
  bool idle_ = true;
  bool expect_no_body_ = false;
  bool skip_fields_ = false;
  bool after_cr_ = false;  // the last framing byte fed was a CR
  std::uint64_t body_received_ = 0;
  std::uint64_t body_limit_ = 0;  // of the current message
  body_limit_hook body_limit_hook_ = nullptr;
  void* body_limit_ctx_ = nullptr;
  int error_status_ = 0;
  std::string_view error_reason_;
};

}  // namespace eddy::http
