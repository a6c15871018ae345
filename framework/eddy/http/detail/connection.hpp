// SPDX-License-Identifier: MIT
#pragma once

#include <cstdio>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "eddy/core/errors.hpp"
#include "eddy/core/result.hpp"
#include "eddy/core/task.hpp"
#include "eddy/runtime/io.hpp"
#include "eddy/runtime/sleep.hpp"
#include "eddy/runtime/timeout.hpp"
#include "eddy/http/app.hpp"
#include "eddy/http/detail/request_access.hpp"
#include "eddy/http/detail/request_probe.hpp"
#include "eddy/http/detail/wire.hpp"
#include "eddy/http/headers.hpp"
#include "eddy/http/parser.hpp"
#include "eddy/http/proxy_trust.hpp"
#include "eddy/http/request.hpp"
#include "eddy/http/response.hpp"
#include "eddy/http/response_stream.hpp"
#include "eddy/http/status.hpp"
#include "eddy/http/url_codec.hpp"
#include "eddy/stream/byte_stream.hpp"

namespace eddy::http::detail {

/// Shared state between the server and its connections (one per worker loop).
struct server_state {
  const app* application = nullptr;
  serve_options options;
  std::size_t open_connections = 0;
  bool draining = false;
  /// Whose forwarding headers to believe, and the listener's own scheme.
  proxy_trust proxies;
  std::string_view scheme = "http";
  /// This worker's metrics shard; null when the app exposes no metrics.
  metrics_shard* metrics = nullptr;
};

/// One HTTP/1.1 connection over any byte stream: reads, parses (pipelined requests are handled
/// in order and their responses written together), dispatches, writes; keep-alive, timeouts,
/// 100-continue, HEAD, errors with the right status and `Connection: close`.
template <byte_stream S>
class connection {
 public:
  connection(S& stream, server_state& server, std::string remote)
      : stream_(stream), server_(server), parser_(parser::kind::request, server.options.limits),
        remote_(std::move(remote)) {}

  /// While the connection waits for the first byte of a request, `*flag` is true (so that a
  /// draining server can close it at once instead of waiting for the keep-alive timeout).
  void set_idle_flag(bool* flag) noexcept { idle_flag_ = flag; }

  ~connection() { release_buffer(); }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Serves until the peer closes, an error, a timeout or shutdown. Never throws for I/O.
  task<void> run() {
    deadline watchdog(eddy::detail::this_loop().now() +
                      std::chrono::ceil<duration>(server_.options.keep_alive_timeout));
    watchdog_ = &watchdog;
    try {
      co_await with_deadline(watchdog, serve());
    } catch (const timeout_error&) {
      // Slow or idle peer: just close (nginx does the same).
    } catch (const cancelled_error&) {
      // Shutdown or the accept loop went away.
    } catch (const std::exception& e) {
      // A bug in the connection logic must not take the worker down.
      std::fprintf(stderr, "eddy: connection error: %s\n", e.what());
    }
  }

 private:
  static constexpr std::size_t read_chunk = 16 * 1024;
  static constexpr std::size_t max_batched_output = 64 * 1024;

  template <class Rep, class Period>
  void arm(std::chrono::duration<Rep, Period> d) {
    watchdog_->reschedule(eddy::detail::this_loop().now() + std::chrono::ceil<duration>(d));
  }

  // While a handler runs, no connection timeout applies (the header/body/keep-alive ones are
  // about the peer, not about the application); writes re-arm the write timeout.
  void disarm() { watchdog_->reschedule(time_point::max()); }

  void ensure_room() {
    std::size_t want = len_ + read_chunk;
    if (want <= cap_) return;
    std::size_t cap = cap_ ? cap_ * 2 : 2 * read_chunk;
    while (cap < want) cap *= 2;
    auto next = std::make_unique<char[]>(cap);
    if (len_) std::memcpy(next.get(), buf_.get(), len_);
    buf_ = std::move(next);
    cap_ = cap;
  }

  // Per-thread pool of read buffers, so that idle connections can give theirs back without a
  // malloc/free per request.
  static std::vector<std::unique_ptr<char[]>>& buffer_pool() {
    thread_local std::vector<std::unique_ptr<char[]>> pool;
    return pool;
  }
  void release_buffer() noexcept {
    if (!buf_) return;
    auto& pool = buffer_pool();
    if (cap_ == 2 * read_chunk && pool.size() < 256) {
      try {
        pool.push_back(std::move(buf_));
      } catch (...) {
      }
    }
    buf_.reset();
    cap_ = 0;
  }
  void acquire_buffer() {
    auto& pool = buffer_pool();
    if (cap_ == 0 && !pool.empty()) {
      buf_ = std::move(pool.back());
      pool.pop_back();
      cap_ = 2 * read_chunk;
    }
  }

  // Waits for the next request on an idle connection without holding a buffer; false at EOF
  // or on error.
  task<bool> wait_idle() {
    release_buffer();
    // Small on purpose: this array lives in the waiting coroutine's frame, i.e. in every
    // idle connection; the rest of the request is read into the real buffer right after.
    char probe[64];
    for (;;) {
      auto r = stream_.try_read_some(std::span<char>(probe, sizeof probe));
      if (r) {
        if (*r == 0) co_return false;
        acquire_buffer();
        ensure_room();
        std::memcpy(buf_.get() + len_, probe, *r);
        len_ += *r;
        co_return true;
      }
      if (!eddy::detail::is_would_block(r)) co_return false;
      auto ready = co_await stream_.wait_readable();
      if (!ready) co_return false;
    }
  }

  // Reads more bytes; false at EOF or on error.
  task<bool> fill() {
    acquire_buffer();
    ensure_room();
    auto n = co_await stream_.read_some(std::span<char>(buf_.get() + len_, cap_ - len_));
    if (!n || *n == 0) co_return false;
    len_ += *n;
    co_return true;
  }

  task<bool> flush() {
    std::size_t done = 0;
    if (!out_.empty()) arm(server_.options.write_timeout);
    while (done < out_.size()) {
      auto n = co_await stream_.write_some(std::span<const char>(out_.data() + done, out_.size() - done));
      if (!n) co_return false;
      done += *n;
      arm(server_.options.write_timeout);
    }
    out_.clear();
    co_return true;
  }

  task<result<void>> write_raw(std::string_view bytes) {
    // Streamed responses: pending pipelined output goes first.
    if (!co_await flush()) co_return errc::not_connected;
    std::size_t done = 0;
    while (done < bytes.size()) {
      auto n = co_await stream_.write_some(std::span<const char>(bytes.data() + done, bytes.size() - done));
      if (!n) co_return n.error();
      done += *n;
      arm(server_.options.write_timeout);
    }
    disarm();  // back in the handler
    co_return result<void>{};
  }

  // Serializes an error response and marks the connection for closing.
  void error_response(int status, std::string_view reason) {
    response r = response::text(std::string(reason) + "\n", status);
    write_head(out_, r, r.body().size(), false, server_.options.server_name);
    out_ += r.body();
  }

  task<void> serve() {
    std::size_t parsed = 0;
    std::size_t head_end = 0;  // while reading a body: where the head ends in buf_
    bool in_body = false;
    bool sent_continue = false;
    // The header timeout runs from the first byte of a head to its end, not per read: a peer
    // trickling one byte at a time must not keep it from firing (slowloris).
    bool head_clock = false;
    std::size_t turns = 0;
    for (;;) {
      // While input is always there, every await below completes at once, and where the
      // compiler does not turn symmetric transfer into a tail call (-O0, sanitizers) each
      // one nests a stack frame: a busy pipelining client would overflow the stack. Going
      // back to the loop now and then unwinds it (and lets other connections run).
      if (++turns % 32 == 0) co_await eddy::yield();
      auto step = parser_.feed(buf_.get(), parsed, len_);
      parsed += step.consumed;
      for (auto piece : parser_.body_pieces()) body_.append(piece.in(buf_.get()));
      if (in_body && step.what != parser::event::error) {
        // Body bytes are copied out: reuse their room, keeping the head in place.
        std::memmove(buf_.get() + head_end, buf_.get() + parsed, len_ - parsed);
        len_ = head_end + (len_ - parsed);
        parsed = head_end;
      }
      switch (step.what) {
        case parser::event::error:
          error_response(parser_.error_status(), parser_.error_reason());
          co_await flush();
          if constexpr (requires { stream_.shutdown_write(); }) (void)stream_.shutdown_write();
          co_return;
        case parser::event::head:
          in_body = true;
          head_clock = false;
          head_end = parsed;
          body_.clear();
          arm(server_.options.body_timeout);
          // Never to HTTP/1.0 clients, which do not know 1xx responses (RFC 9110 10.1.1).
          if (parser_.head().expect_continue && parser_.head().version_minor >= 1 && !sent_continue) {
            // The body will be read (it is within limits): invite the client to send it.
            out_ += "HTTP/1.1 100 Continue\r\n\r\n";
            if (!co_await flush()) co_return;
            sent_continue = true;
          }
          continue;
        case parser::event::message_end: {
          if (!in_body) body_.clear();
          in_body = false;
          sent_continue = false;
          bool keep = co_await respond();
          // The message is done: drop its bytes; pipelined bytes after it move to the front.
          std::memmove(buf_.get(), buf_.get() + parsed, len_ - parsed);
          len_ -= parsed;
          parsed = 0;
          if (!keep) {
            co_await flush();
            if constexpr (requires { stream_.shutdown_write(); }) (void)stream_.shutdown_write();
            co_return;
          }
          // Pipelined responses are batched into one write, but only up to a bound: a client
          // that pipelines many requests for a large resource and does not read must not make
          // the server buffer all the responses (it stops reading until this batch is out).
          if (out_.size() >= max_batched_output && !co_await flush()) co_return;
          arm(len_ > 0 ? server_.options.header_timeout : server_.options.keep_alive_timeout);
          head_clock = len_ > 0;
          continue;
        }
        case parser::event::need_more:
          break;
      }
      // Nothing complete is buffered: answer what was pipelined, in one write, then read.
      if (!out_.empty()) {
        if (!co_await flush()) co_return;
        head_clock = false;  // the flush armed the write timeout: re-arm below
      }
      if (server_.draining && parser_.idle() && len_ == 0) co_return;
      if (in_body) {
        arm(server_.options.body_timeout);  // between body reads
      } else if (parser_.idle() && len_ == 0) {
        arm(server_.options.keep_alive_timeout);
        head_clock = false;
      } else if (!head_clock) {
        arm(server_.options.header_timeout);
        head_clock = true;
      }
      const bool idle = !in_body && parser_.idle() && len_ == 0;
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
        got = idle ? co_await wait_idle() : co_await fill();
      } else {
        got = co_await fill();
      }
      if (idle_flag_) *idle_flag_ = false;
      if (!got) {
        if (!parser_.idle() || in_body) {
          // The peer went away mid-request: nothing to answer.
        }
        co_return;
      }
    }
  }

  // Runs the handler for the parsed request and serializes its response into out_. Returns
  // whether the connection stays open.
  task<bool> respond() {
    const message_head& head = parser_.head();
    std::string_view target = head.target.in(buf_.get());
    // Absolute form ("GET http://host/p HTTP/1.1"): servers must accept it (RFC 9112 3.2.2);
    // the path is what follows the authority.
    for (std::string_view scheme : {std::string_view("http://"), std::string_view("https://")}) {
      if (target.size() > scheme.size() && iequals(target.substr(0, scheme.size()), scheme)) {
        auto slash = target.find_first_of("/?", scheme.size());
        target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
        if (!target.empty() && target.front() == '?') target = {};  // "http://h?q": no path
        break;
      }
    }
    std::string_view raw_path = target.substr(0, target.find('?'));
    std::string_view query = raw_path.size() < target.size() ? target.substr(raw_path.size() + 1) : std::string_view{};
    bool keep = head.keep_alive && !server_.draining;
    const bool http10 = head.version_minor == 0;
    if (!normalize_path(raw_path, path_)) {
      // Absolute-form and asterisk-form targets, bad escapes, encoded NULs or slashes.
      if (raw_path == "*" && head.method == method::options) {
        response r(204);
        r.headers().add("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
        write_head(out_, r, 0, keep, server_.options.server_name, http10);
        co_return keep;
      }
      error_response(400, "malformed request target");
      co_return false;
    }
    request req;
    request_access::bind(req, head, buf_.get(), path_, query, body_, remote_, cancel_token{});
    const request_origin origin = server_.proxies.resolve(req, remote_, server_.scheme);
    request_access::set_origin(req, origin.remote, origin.scheme);
    request_probe probe(server_.metrics);
    const bool head_only = head.method == method::head;
    std::optional<response_stream> streamed;
    stream_factory_ = [&](int status, std::string_view type) -> response_stream& {
      // HTTP/1.0 has no chunked coding: the body is delimited by closing the connection.
      streamed.emplace(status, type, head_only,
                       [this](std::string_view b) { return write_raw(b); },
                       [this, keep = keep && (!http10 || head_only), http10](std::string& out, const response_stream& s) {
                         write_stream_head(out, s, keep, server_.options.server_name, http10);
                       },
                       !http10);
      return *streamed;
    };
    request_access::set_stream_factory(req, &stream_factory_);
    disarm();
    response res = co_await server_.application->handle(req);
    if (streamed && res.status() != -1) {
      // The handler (or a middleware) answered with a response after opening a stream: it
      // failed, or changed its mind. If nothing was sent, that response goes out as usual;
      // otherwise the body must not look complete, so the connection closes without the
      // final chunk.
      if (streamed->started()) co_return false;
      streamed.reset();
    }
    if (res.status() == -1 || streamed) {
      // The handler streamed its response; make sure the body is terminated.
      if (streamed && !streamed->ended()) {
        try {
          co_await streamed->end();
        } catch (...) {
          co_return false;
        }
      }
      if (server_.options.access_log) log(req, streamed ? streamed->status() : 200, 0);
      probe.finished(req, streamed ? streamed->status() : 200);
      co_return keep && (!http10 || head_only);
    }
    std::size_t body_size = res.body().size();
    write_head(out_, res, body_size, keep, server_.options.server_name, http10);
    if (!head_only && !status_has_no_body(res.status())) out_ += res.body();
    if (server_.options.access_log) log(req, res.status(), body_size);
    probe.finished(req, res.status());
    co_return keep;
  }

  void log(const request& req, int status, std::size_t bytes) {
    const std::string_view client = req.remote_address();
    std::printf("%.*s \"%.*s %.*s\" %d %zu\n", static_cast<int>(client.size()), client.data(),
                static_cast<int>(req.method_name().size()), req.method_name().data(),
                static_cast<int>(req.target().size()), req.target().data(), status, bytes);
  }

  S& stream_;
  server_state& server_;
  parser parser_;
  std::string remote_;
  std::unique_ptr<char[]> buf_;
  std::size_t cap_ = 0;
  std::size_t len_ = 0;
  std::string body_;
  std::string path_;
  std::string out_;
  deadline* watchdog_ = nullptr;
  bool* idle_flag_ = nullptr;
  unique_function<response_stream&(int, std::string_view)> stream_factory_;
};

}  // namespace eddy::http::detail
