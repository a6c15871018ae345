// SPDX-License-Identifier: MIT
#pragma once

// `connection`'s streamed request bodies: the route's body limit from the head, the handler
// pulling the body as it arrives (`pull`), and draining what it left unread.
// Included by connection.hpp; not meant to be included on its own.
#include "eddy/http/detail/connection.hpp"

namespace eddy::http::detail {

// The policy of the route that the head selects (the default, unrouted one if none matches
// or the path does not normalize: that request is answered 400 or 404 later).
template <byte_stream S>
app::body_policy connection<S>::route_policy(const message_head& head, const char* base) noexcept {
  const target_parts target = split_target(head, base);
  try {
    std::string_view path = target.raw_path;
    if (!target.normal_path) {
      if (!normalize_path(target.raw_path, path_)) return {};
      path = path_;
    }
    return server_.application->body_policy_for(head.method, path);
  } catch (...) {
    return {};  // out of memory while matching: fall back to the plain path
  }
}

// The parser's body-limit hook: the route's policy decides, from the head alone.
template <byte_stream S>
std::uint64_t connection<S>::body_limit_for(void* ctx, const message_head& head, const char* base) noexcept {
  auto& self = *static_cast<connection*>(ctx);
  self.policy_ = self.route_policy(head, base);
  return self.policy_.max_bytes ? self.policy_.max_bytes : self.server_.options.limits.max_body_bytes;
}

// A `stream_body` route: the handler runs now and pulls the body; afterwards whatever it
// left unread is drained so the connection can be reused. Returns whether it stays open.
template <byte_stream S>
task<bool> connection<S>::respond_streaming() {
  body_done_ = false;
  body_error_ = 0;
  body_reason_ = {};
  drained_ = 0;
  pieces_.clear();
  next_piece_ = 0;
  // 100 Continue only once the handler asks for the body (RFC 9110 10.1.1); never to
  // HTTP/1.0 clients.
  continue_pending_ = parser_->head().expect_continue && parser_->head().version_minor >= 1;
  body_.clear();
  bool keep = co_await respond(true);
  if (body_done_ || body_error_) co_return keep && body_done_;
  // The client still waits for 100 Continue: it may never send the body. Close.
  if (continue_pending_) co_return false;
  if (!keep) co_return false;
  // Answer first, then read and discard the rest of the body (bounded), so the client is
  // not left without its response while it is still sending.
  if (!co_await flush()) co_return false;
  while (!body_done_ && !body_error_ && drained_ < max_drained_body) {
    body_piece p = co_await pull();
    drained_ += p.bytes.size();
  }
  co_return body_done_;
}

// body_source: the next piece of a streamed body.
template <byte_stream S>
task<body_piece> connection<S>::pull() {
  if (continue_pending_) {
    continue_pending_ = false;
    out_ += "HTTP/1.1 100 Continue\r\n\r\n";
    if (!co_await flush()) {
      body_error_ = 400;
      body_reason_ = "connection lost";
    }
    disarm();
  }
  for (;;) {
    if (next_piece_ < pieces_.size()) co_return body_piece{pieces_[next_piece_++].in(buf_.get()), 0, {}};
    if (body_error_) co_return body_piece{{}, body_error_, body_reason_};
    if (body_done_) co_return body_piece{};
    // Every piece was delivered: their bytes can go, the head stays where the request's
    // views point.
    pieces_.clear();
    next_piece_ = 0;
    std::memmove(buf_.get() + head_end_, buf_.get() + parsed_, len_ - parsed_);
    len_ = head_end_ + (len_ - parsed_);
    parsed_ = head_end_;
    if (parsed_ < len_) {
      auto step = parser_->feed(buf_.get(), parsed_, len_);
      parsed_ += step.consumed;
      auto ps = parser_->body_pieces();
      pieces_.assign(ps.begin(), ps.end());
      if (step.what == parser::event::error) {
        body_error_ = parser_->error_status();
        body_reason_ = parser_->error_reason();
        pieces_.clear();  // nothing of a malformed body is handed out
      } else if (step.what == parser::event::message_end) {
        body_done_ = true;
      }
      continue;
    }
    arm(server_.options.body_timeout);
    if (cap_ - len_ < min_body_read) {
      // Only with a head near a raised `max_head_bytes`: the buffer moves, and the
      // request's views with it.
      const char* before = buf_.get();
      const std::size_t before_size = cap_;
      ensure_room();
      if (current_ != nullptr) request_access::rebase(*current_, before, before_size, buf_.get());
    }
    auto n = co_await stream_.read_some(std::span<char>(buf_.get() + len_, cap_ - len_));
    disarm();
    if (!n && n.error() == errc::operation_canceled) throw cancelled_error();
    if (!n || *n == 0) {
      body_error_ = 400;
      body_reason_ = "request body cut short";
      continue;
    }
    len_ += *n;
  }
}

}  // namespace eddy::http::detail
