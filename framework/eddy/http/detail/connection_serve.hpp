// SPDX-License-Identifier: MIT
#pragma once

// `connection`'s request loop: parse what is buffered, read the bodies that are read whole,
// answer (in place, or awaiting the handler), batch pipelined responses into one write, move
// the header, body and keep-alive timeouts, and read more, parking the buffer while idle.
// Included by connection.hpp; not meant to be included on its own.
#include "eddy/http/detail/connection.hpp"

namespace eddy::http::detail {

template <byte_stream S>
task<bool> connection<S>::serve() {
  std::size_t& parsed = parsed_;
  std::size_t& head_end = head_end_;  // while reading a body: where the head ends in buf_
  bool in_body = false;
  bool sent_continue = false;
  // The header timeout runs from the first byte of a head to its end, not per read: a peer
  // trickling one byte at a time must not keep it from firing (slowloris).
  bool head_clock = false;
  time_point body_started{};  // of the body being read whole (`body_min_rate`)
  std::size_t turns = 0;
  serve_token_ = co_await this_task::token();
  // The request being answered (see `exchange`).
  std::unique_ptr<exchange> ongoing;
  for (;;) {
    // While input is always there, every await below completes at once, and where the
    // compiler does not turn symmetric transfer into a tail call (-O0, sanitizers) each
    // one nests a stack frame: a busy pipelining client would overflow the stack. Going
    // back to the loop now and then unwinds it (and lets other connections run).
    if (++turns % 32 == 0) co_await eddy::yield();
    if (!parser_) engage();
    auto step = parser_->feed(buf_.get(), parsed, len_);
    parsed += step.consumed;
    bool keep = false;
    if (!parser_->body_pieces().empty()) {
      std::size_t n = 0;
      for (auto piece : parser_->body_pieces()) {
        body_.append(piece.in(buf_.get()));
        n += piece.length;
      }
      if (!charge_body(n)) {
        // The worker holds `max_body_memory` of bodies already: this one waits for nothing.
        release_body();
        error_response(503, "too many request bodies in memory");
        if (co_await flush()) co_await close_lingering();
        co_return false;
      }
    }
    if (in_body && step.what != parser::event::error) {
      // Body bytes are copied out: reuse their room, keeping the head in place.
      std::memmove(buf_.get() + head_end, buf_.get() + parsed, len_ - parsed);
      len_ = head_end + (len_ - parsed);
      parsed = head_end;
    }
    switch (step.what) {
      case parser::event::error:
        error_response(parser_->error_status(), parser_->error_reason());
        if (co_await flush()) co_await close_lingering();
        co_return false;
      case parser::event::head: {
        // Never to HTTP/1.0 clients, which do not know 1xx responses (RFC 9110 10.1.1).
        const bool expects_continue = parser_->head().expect_continue && parser_->head().version_minor >= 1;
        // A client waiting for 100 Continue to a request no route takes gets its 404 or 405
        // at once, without the invitation (RFC 9110 10.1.1): answered as a streamed body
        // that nobody reads, so the body is never asked for and the connection closes.
        if (expects_continue && !policy_.stream && !sent_continue &&
            !(server_.application->has_body_policies() ? policy_ : route_policy(parser_->head(), buf_.get())).routed) {
          policy_.stream = true;
        }
        if (policy_.stream) {
          // The handler reads the body itself (`pull`), as it arrives.
          head_end = parsed;
          head_clock = false;
          keep = co_await respond_streaming();
          break;
        }
        in_body = true;
        head_clock = false;
        head_end = parsed;
        body_.clear();
        spare_strings::take(body_);  // a parked connection handed its buffer in
        body_started = eddy::detail::this_loop().now();
        arm_body(body_started);
        if (expects_continue && !sent_continue) {
          // The body will be read (it is within limits, and a route takes it): invite the
          // client to send it.
          out_ += "HTTP/1.1 100 Continue\r\n\r\n";
          if (!co_await flush()) co_return false;
          sent_continue = true;
        }
        continue;
      }
      case parser::event::message_end: {
        if (!in_body) body_.clear();
        in_body = false;
        sent_continue = false;
        ongoing.reset(new exchange(server_.metrics));
        exchange& x = *ongoing;
        if (!respond_start(x, false, keep)) keep = co_await respond_finish(x);
        ongoing.reset();
        break;
      }
      case parser::event::need_more:
        break;
    }
    if (step.what == parser::event::message_end || step.what == parser::event::head) {
      policy_ = {};
      release_body();  // answered: its body no longer counts
      // The message is done. Pipelined bytes after it are parsed where they are, and moved
      // to the front only before the next read (`compact`): moving them after every
      // message would copy a batch of N requests N/2 times.
      if (parsed == len_) {
        len_ = 0;
        parsed = 0;
      }
      msg_start_ = parsed;
      if (!keep) {
        const bool flushed = co_await flush();
        if (flushed && !parser_->idle()) {
          co_await close_lingering();  // a body is left unread
        } else if constexpr (requires { stream_.shutdown_write(); }) {
          (void)stream_.shutdown_write();
        }
        co_return false;
      }
      // Pipelined responses are batched into one write, but only up to a bound: a client
      // that pipelines many requests for a large resource and does not read must not make
      // the server buffer all the responses (it stops reading until this batch is out).
      if (out_.size() >= max_batched_output && !co_await flush()) co_return false;
      if (len_ > 0) {  // pipelined bytes: the next head has begun
        arm_reading(server_.options.header_timeout);
        head_clock = true;
        continue;
      }
      // Nothing buffered: write and read below, without a feed of no bytes first (llhttp
      // finishes the message it paused at when it is next given input).
      head_clock = false;
    }
    // Nothing complete is buffered: answer what was pipelined, in one write, then read.
    if (!out_.empty()) {
      if (!write_now() && !co_await flush()) co_return false;
      head_clock = false;  // a flush armed the write timeout: re-arm below
    }
    compact();
    if (server_.draining && parser_->idle() && len_ == 0) co_return false;
    if (in_body) {
      arm_body(body_started);  // between body reads
    } else if (parser_->idle() && len_ == 0) {
      arm_idle();
      head_clock = false;
    } else if (!head_clock) {
      arm_reading(server_.options.header_timeout);
      head_clock = true;
    }
    // (An empty line cut after its CR is not idle: the parser must see the LF.)
    const bool idle = !in_body && parser_->at_rest() && len_ == 0;
    if (idle) disengage();
    if (idle_flag_) *idle_flag_ = idle;
    bool got;
    if constexpr (requires(std::span<char> b) {
                    stream_.try_read_some(b);
                    stream_.wait_readable();
                  }) {
      // An idle keep-alive connection holds no read buffer while it waits (10,000 idle
      // connections must not pin 32 KiB each): the buffer goes back to a per-thread pool,
      // and readiness is awaited with a small probe read first (the reactor is
      // edge-triggered, so data that is already there must be seen before waiting).
      if constexpr (parkable) {
        if (idle && server_.open_connections > park_at_once_above) {
          const int r = read_or_park();
          if (r == 0) co_return true;
          got = r > 0;
        } else if (idle && stream_.read_would_block()) {
          // After a response the last read has drained the socket: wait for the loop's
          // report here, without a buffer and without `wait_idle`'s frame.
          release_buffer();
          auto ready = co_await stream_.wait_readable();
          got = false;
          if (ready) {
            const int r = read_reported();
            if (r > 0) {
              got = true;
            } else if (r == 0) {
              got = co_await wait_idle();
            }
          }
        } else if (idle) {
          got = co_await wait_idle();
        } else {
          got = took(co_await read_more());
        }
      } else {
        if (idle) {
          got = co_await wait_idle();
        } else {
          got = took(co_await read_more());
        }
      }
    } else {
      got = took(co_await read_more());
    }
    if (idle_flag_) *idle_flag_ = false;
    if (!got) {
      if constexpr (parkable) {
        // Idle for `park_after` (the watchdog fired, but the keep-alive time is not over):
        // park, without this coroutine (see `run`).
        if (idle && watchdog_.expired() && eddy::detail::this_loop().now() < keep_alive_until_) {
          co_return true;
        }
      }
      co_return false;  // the peer went away (mid-request: nothing to answer), or a timeout
    }
  }
}

}  // namespace eddy::http::detail
