// SPDX-License-Identifier: MIT
#pragma once

// `connection` answering a request: the handler run with the client watched, the response
// serialized (or streamed, or a file sent), the access log.
// Included by connection.hpp; not meant to be included on its own.
#include "eddy/http/detail/connection.hpp"

namespace eddy::http::detail {

// Runs the handler for the parsed request and serializes its response into out_, in the
// caller's `x`. Returns true when that is all done (`keep` then says whether the connection
// stays open): the request was refused, or the handler finished without waiting and answered
// with a body in memory, which is the common case, answered without a coroutine frame. False
// when the rest must be awaited with `respond_finish(x)`.
template <byte_stream S>
bool connection<S>::respond_start(exchange& x, bool streaming_body, bool& keep) {
  const message_head& head = parser_->head();
  const auto [raw_path, query, normal] = split_target(head, buf_.get());
  x.keep = head.keep_alive && !server_.draining;
  x.http10 = head.version_minor == 0;
  x.streaming_body = streaming_body;
  // Most paths need no decoding and are used where they are in the buffer, which does not
  // move while a buffered body's handler runs (a streamed body's reads may move it: its
  // path is copied, as the others are).
  std::string_view path = raw_path;
  if (streaming_body || !normal) {
    if (raw_path.size() > path_.capacity()) spare_strings::take(path_);  // handed in when parked
    if (!normalize_path(raw_path, path_)) {
      // Absolute-form and asterisk-form targets, bad escapes, encoded NULs or slashes.
      if (raw_path == "*" && head.method == method::options) {
        response r(204);
        r.headers().add("Allow", allow_header(server_.application->allowed_methods()));
        write_head(out_, r, 0, x.keep, server_.options.server_name, x.http10);
        keep = x.keep;
        return true;
      }
      error_response(400, "malformed request target");
      keep = false;
      return true;
    }
    path = path_;
  }
  // The handler's own cancellation: the connection's (shutdown, timeouts) and the client
  // going away while the handler waits (`watch_peer`). Linked to the connection's when the
  // handler first waits (`handler_waits`): nothing can cancel it while it runs inline.
  if (serve_token_.cancel_requested()) x.handler_cancel.link(serve_token_);
  handler_cancel_ = &x.handler_cancel;
  peer_gone_ = false;
  request& req = x.req;
  request_access::bind(req, head, buf_.get(), path, query, body_, remote_, x.handler_cancel.token());
  if (server_.proxies.empty()) {
    request_access::set_origin(req, remote_, server_.scheme);
  } else {
    const request_origin origin = server_.proxies.resolve(req, remote_, server_.scheme);
    request_access::set_origin(req, origin.remote, origin.scheme);
  }
  if (streaming_body) request_access::set_body_source(req, *this);
  current_ = &req;
  x.current = &current_;
  x.head_only = head.method == method::head;
  // What opening a stream needs; the factory (set once, see the constructor) finds it here.
  x.stream_ctx = {&x.streamed, x.head_only, x.keep && (!x.http10 || x.head_only), x.http10};
  stream_ctx_ = &x.stream_ctx;
  request_access::set_stream_factory(req, &stream_factory_);
  disarm();
  // The handler's task stays alive until the response is written: its result is used in
  // place, never moved (a response is a few strings and a vector).
  try {
    x.run.emplace(server_.application->dispatch(req, x.match), x.handler_cancel.token(),
                  streaming_body ? &handler_waits_unwatched : &handler_waits, this);
    if (!x.run->start()) return false;  // it waits: `respond_finish` goes on
    x.answer = &x.run->result();
  } catch (...) {
    x.failure = std::current_exception();
    return false;
  }
  handler_cancel_ = nullptr;  // no watcher: the handler never waited
  const int answered = respond_tail(x);
  if (answered < 0) return false;
  keep = answered == 1;
  return true;
}

// The rest of `respond_start`: waits for the handler, runs the exception handlers if it
// failed, and answers (a streamed response ended, a file sent). Returns whether the
// connection stays open.
template <byte_stream S>
task<bool> connection<S>::respond_finish(exchange& x) {
  const auto on_suspend = x.streaming_body ? &handler_waits_unwatched : &handler_waits;
  if (!x.answer && !x.failure) {
    try {
      x.answer = &co_await x.run->join();
    } catch (...) {
      x.failure = std::current_exception();
    }
  }
  if (x.failure) {
    // The app's exception handlers (or its default answer for the exception), under the
    // same watch; cancellation still escapes.
    try {
      x.run.reset();
      x.run.emplace(server_.application->recover(x.req, std::move(x.failure), x.match.allowed),
                    x.handler_cancel.token(), on_suspend, this);
      x.failure = nullptr;
      x.answer = &co_await x.run->wait();
    } catch (...) {
      x.failure = std::current_exception();
    }
  }
  if (watcher_) {
    // The handler is done: stop watching before its cancel source goes away.
    watcher_->cancel();
    auto w = std::move(*watcher_);
    watcher_.reset();
    co_await shield(std::move(w));
  }
  handler_cancel_ = nullptr;
  if (x.failure) std::rethrow_exception(x.failure);
  if (const int answered = respond_tail(x); answered >= 0) co_return answered == 1;
  const request& req = x.req;
  response& res = *x.answer;
  if (res.status() == -1 || x.streamed) {
    // The handler streamed its response; make sure the body is terminated.
    if (x.streamed && !x.streamed->ended()) {
      try {
        co_await x.streamed->end();
      } catch (...) {
        co_return false;
      }
    }
    const int status = x.streamed ? x.streamed->status() : 200;
    if (server_.options.access_log) log(req, status, 0);
    x.probe.finished(req, status);
    co_return x.keep && (!x.http10 || x.head_only);
  }
  const file_body& file = *res.file();
  const auto size = static_cast<std::size_t>(file.length);
  write_head(out_, res, size, x.keep, server_.options.server_name, x.http10);
  if (server_.options.access_log) log(req, res.status(), size);
  x.probe.finished(req, res.status());
  if (x.head_only || status_has_no_body(res.status())) co_return x.keep;
  // The head (and any pipelined responses before it) first, then the file.
  if (!co_await flush()) co_return false;
  co_return co_await send_file(file) && x.keep;
}

// The handler's response, once it has one: 1 or 0 (the connection stays open or not) when
// it is serialized into out_ here, -1 when it is a stream or a file (`respond_finish`).
template <byte_stream S>
int connection<S>::respond_tail(exchange& x) {
  response& res = *x.answer;
  // The client left while the handler waited (and it answered anyway): nobody to tell.
  if (peer_gone_) return 0;
  if (!fields_are_safe(res)) {
    // A CR or LF from user input in a field (a redirect to a query value, say) would
    // split the response: answer 500 instead, and say why in the log.
    std::fprintf(stderr, "eddy: %.*s %.*s: response header with CR, LF or NUL refused\n",
                 static_cast<int>(x.req.method_name().size()), x.req.method_name().data(),
                 static_cast<int>(x.req.target().size()), x.req.target().data());
    res = response::text("Internal Server Error\n", 500);
  }
  // A streamed body that failed, or that the client may never send (it waits for 100
  // Continue, which only a read sends): the connection cannot be reused; say so.
  if (x.streaming_body && (continue_pending_ || body_error_)) x.keep = false;
  if (x.streamed && res.status() != -1) {
    // The handler (or a middleware) answered with a response after opening a stream: it
    // failed, or changed its mind. If nothing was sent, that response goes out as usual;
    // otherwise the body must not look complete, so the connection closes without the
    // final chunk.
    if (x.streamed->started()) return 0;
    x.streamed.reset();
  }
  if (res.status() == -1 || x.streamed || res.file()) return -1;
  write_response(out_, res, !x.head_only, x.keep, server_.options.server_name, x.http10);
  if (server_.options.access_log) log(x.req, res.status(), res.body().size());
  x.probe.finished(x.req, res.status());
  // The body is copied out: its buffer goes to this thread's spares (`response::json`
  // takes one), so that a body built per request does not cost a malloc and a free.
  spare_strings::stash(res.body());
  return x.keep ? 1 : 0;
}

// `respond_start` and `respond_finish` in a frame of their own (streamed request bodies).
template <byte_stream S>
task<bool> connection<S>::respond(bool streaming_body) {
  const std::unique_ptr<exchange> x(new exchange(server_.metrics));
  bool keep = false;
  if (respond_start(*x, streaming_body, keep)) co_return keep;
  co_return co_await respond_finish(*x);
}

// Sends a file body: sendfile(2) where the stream is a plain socket, else read and written
// in pieces. False if the peer went away or the file ended early (the response is then
// cut short, and the connection must close).
template <byte_stream S>
task<bool> connection<S>::send_file(const file_body& file) {
  std::uint64_t offset = file.offset;
  std::uint64_t left = file.length;
  arm(server_.options.write_timeout);
  if constexpr (requires { stream_.send_file(0, std::uint64_t{0}, std::size_t{0}); }) {
    while (left > 0) {
      auto n = co_await stream_.send_file(file.fd.get(), offset, static_cast<std::size_t>(left));
      if (!n || *n == 0) co_return false;
      offset += *n;
      left -= *n;
      arm(server_.options.write_timeout);
    }
  } else {
    std::string& chunk = out_;  // empty after the flush: its capacity is reused
    while (left > 0) {
      chunk.resize(static_cast<std::size_t>(std::min<std::uint64_t>(left, 64 * 1024)));
      auto got = read_file_at(file.fd.get(), std::span<char>(chunk.data(), chunk.size()), offset);
      if (!got || *got == 0) co_return false;
      chunk.resize(*got);
      if (!co_await flush()) co_return false;
      offset += *got;
      left -= *got;
    }
  }
  co_return true;
}

template <byte_stream S>
void connection<S>::handler_waits_unwatched(void* ctx) noexcept {
  auto& self = *static_cast<connection*>(ctx);
  // The handler may now be cancelled with the connection (shutdown, a timeout).
  if (self.handler_cancel_ && !self.handler_cancel_->linked()) self.handler_cancel_->link(self.serve_token_);
}

template <byte_stream S>
void connection<S>::handler_waits(void* ctx) noexcept {
  handler_waits_unwatched(ctx);
  auto& self = *static_cast<connection*>(ctx);
  if (self.watcher_) return;  // the handler waited, and now an exception handler does
  if constexpr (requires(std::span<char> b) {
                  self.stream_.try_read_some(b);
                  self.stream_.wait_readable();
                }) {
    try {
      self.watcher_.emplace(spawn(self.watch_peer()));
    } catch (...) {
      // Out of memory: the handler runs unwatched.
    }
  }
}

// Reads while a handler waits: pipelined bytes go into the buffer after the request (which
// does not move), end of stream or a reset cancels the handler (Go's server does the
// same). Stops when the buffer is full (the bytes wait in the kernel) or when cancelled.
template <byte_stream S>
task<void> connection<S>::watch_peer() {
  for (;;) {
    if (len_ == cap_) co_return;
    auto r = stream_.try_read_some(std::span<char>(buf_.get() + len_, cap_ - len_));
    if (r && *r > 0) {
      len_ += *r;
      continue;
    }
    if (!r && eddy::detail::is_would_block(r)) {
      auto ready = co_await stream_.wait_readable();
      if (!ready) co_return;  // cancelled: the handler finished
      continue;
    }
    peer_gone_ = true;
    if (handler_cancel_) handler_cancel_->request_cancel();
    co_return;
  }
}

template <byte_stream S>
void connection<S>::log(const request& req, int status, std::size_t bytes) {
  const std::string_view client = req.remote_address();
  std::printf("%.*s \"%.*s %.*s\" %d %zu\n", static_cast<int>(client.size()), client.data(),
              static_cast<int>(req.method_name().size()), req.method_name().data(),
              static_cast<int>(req.target().size()), req.target().data(), status, bytes);
}

}  // namespace eddy::http::detail
