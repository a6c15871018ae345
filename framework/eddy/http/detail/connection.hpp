// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
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
#include "eddy/runtime/spawn.hpp"
#include "eddy/runtime/timeout.hpp"
#include "eddy/http/app.hpp"
#include "eddy/http/detail/exchange.hpp"
#include "eddy/http/detail/handler_guard.hpp"
#include "eddy/http/detail/read_buffer.hpp"
#include "eddy/http/detail/request_access.hpp"
#include "eddy/http/detail/request_probe.hpp"
#include "eddy/http/detail/spare_parsers.hpp"
#include "eddy/http/detail/spare_strings.hpp"
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
  /// Bytes of request bodies being read whole by this worker's connections.
  std::uint64_t body_memory = 0;
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
///
/// Its state exists only while it serves: an idle keep-alive connection of a socket is parked
/// without it (see `run`). Its parser and strings come from, and go back to, per-thread pools,
/// and the object itself from the thread's frame cache, so that making one costs no malloc.
template <byte_stream S>
class connection final : read_buffer, body_source {
 public:
  /// `remote` (the peer's address) must outlive the connection. `keep_alive_until`: for a
  /// connection made when a parked one wakes, when its keep-alive time ends (else it starts
  /// now).
  connection(S& stream, server_state& server, std::string_view remote, time_point keep_alive_until = {})
      : stream_(stream), server_(server), remote_(remote),
        watchdog_(keep_alive_until != time_point{}
                      ? keep_alive_until
                      : eddy::detail::this_loop().now() + std::chrono::ceil<duration>(server.options.keep_alive_timeout)),
        keep_alive_until_(keep_alive_until) {
    // `req.stream(...)` in a handler: opens the response stream of the request in flight.
    // Set once; it captures one pointer, so it is stored inline.
    stream_factory_ = [this](int status, std::string_view type) -> response_stream& {
      stream_context& ctx = *stream_ctx_;
      // HTTP/1.0 has no chunked coding: the body is delimited by closing the connection.
      ctx.slot->emplace(status, type, ctx.head_only,
                        [this](std::string_view b) { return write_raw(b); },
                        [this, keep = ctx.keep, http10 = ctx.http10](std::string& out, const response_stream& s) {
                          write_stream_head(out, s, keep, server_.options.server_name, http10);
                        },
                        !ctx.http10);
      return **ctx.slot;
    };
  }

  ~connection() {
    release_body();
    spare_strings::stash(out_);
    spare_strings::stash(body_);
    spare_strings::stash(path_);
    spare_parsers::stash(parser_);
  }

  static void* operator new(std::size_t size) { return eddy::detail::allocate_frame(size); }
  static void operator delete(void* p, std::size_t size) noexcept { eddy::detail::deallocate_frame(p, size); }

  /// While the connection waits for the first byte of a request, `*flag` is true (so that a
  /// draining server can close it at once instead of waiting for the keep-alive timeout).
  void set_idle_flag(bool* flag) noexcept { idle_flag_ = flag; }

  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Serves requests until the peer closes, an error, a timeout or shutdown (false), or until
  /// the connection has been idle between requests for `park_after` (true; only for streams
  /// that can wait for readability without reading, i.e. sockets). Never throws for I/O.
  /// Either way the object is spent afterwards: destroy it.
  ///
  /// After true, the caller parks the connection: it destroys this object, waits for the
  /// socket to become readable until `keep_alive_until()` in its own frame, and then serves
  /// with a new object made with that time. While parked, nothing of the connection's state
  /// exists (no coroutine frame of serving, no parser, no buffers), so an idle keep-alive
  /// connection costs little more than its socket. A connection that is busy, or whose
  /// client sends its next request within `park_after`, waits where it is and pays nothing.
  task<bool> run() {
    if (idle_flag_) *idle_flag_ = false;
    try {
      const bool parks = co_await with_deadline(watchdog_, serve());
      if (parks) co_return true;
    } catch (const timeout_error&) {
      // An idle peer, or one that stopped reading: just close (nginx does the same).
    } catch (const cancelled_error&) {
      // Shutdown or the accept loop went away.
    } catch (const std::exception& e) {
      // A bug in the connection logic must not take the worker down.
      std::fprintf(stderr, "eddy: connection error: %s\n", e.what());
    }
    // (In a coroutine of its own: GCC 12 never started the task of a second `with_deadline`
    // awaited here, after the try block above.)
    if (late_request()) co_await answer_late_request();
    co_return false;
  }

  /// After `run()` returned true: when the keep-alive time of the idle connection ends.
  time_point keep_alive_until() const noexcept { return keep_alive_until_; }

  /// How long a connection waits for its next request in place before it parks.
  static constexpr std::chrono::milliseconds park_after{500};
  /// With more open connections than this on the worker, idle ones park at once: their
  /// memory, not the few hundred instructions that parking and waking cost, is what matters
  /// then (a process's memory is its peak: 10,000 connections that all wait in place for
  /// half a second would leave it there).
  static constexpr std::size_t park_at_once_above = 256;

 private:
  static constexpr std::size_t max_batched_output = 64 * 1024;
  static constexpr std::chrono::seconds linger_total{5};
  static constexpr std::chrono::seconds linger_idle{2};

  template <class Rep, class Period>
  void arm(std::chrono::duration<Rep, Period> d) {
    reading_request_ = false;
    watchdog_.reschedule(eddy::detail::this_loop().now() + std::chrono::ceil<duration>(d));
  }
  // The header or the body timeout, which is answered with a 408 when it fires.
  template <class Rep, class Period>
  void arm_reading(std::chrono::duration<Rep, Period> d) {
    arm(d);
    reading_request_ = true;
  }

  // While a body is read whole, since `started`: the body timeout between reads, bounded by
  // `body_min_rate` (see serve_options) over the whole body.
  void arm_body(time_point started) {
    const serve_options& o = server_.options;
    const time_point now = eddy::detail::this_loop().now();
    time_point until = now + std::chrono::ceil<duration>(o.body_timeout);
    if (o.body_min_rate > 0) {
      // Capped at a year, far beyond any body limit's worth, so the sum cannot overflow.
      const double seconds = std::min(static_cast<double>(body_.size()) / o.body_min_rate, 365.0 * 24 * 3600);
      const auto earned = std::chrono::ceil<duration>(std::chrono::duration<double>(seconds));
      until = std::min(until, started + std::chrono::ceil<duration>(o.body_timeout) + earned);
    }
    watchdog_.reschedule(until);
    reading_request_ = true;
  }

  // A request began but did not arrive in time (RFC 9110 15.5.9): say so before closing, as
  // Sanic and Apache do. The peer reads slowly at worst, so the few bytes fit its socket
  // buffer at once; the write is bounded by the write timeout all the same.
  bool late_request() const noexcept { return reading_request_ && watchdog_.expired() && !server_.draining; }
  task<void> answer_late_request() {
    out_.clear();
    error_response(408, "request timeout");
    arm(server_.options.write_timeout);
    try {
      const bool sent = co_await with_deadline(watchdog_, flush());
      if (sent) {
        if constexpr (requires { stream_.shutdown_write(); }) (void)stream_.shutdown_write();
      }
    } catch (const std::exception&) {
      // Timed out or cancelled: the connection closes without it.
    }
  }


  // Whether the stream can wait for readability without reading (sockets): only then does
  // an idle connection park.
  static constexpr bool parkable = requires(S& s, std::span<char> b) {
    s.try_read_some(b);
    s.read_would_block();
    s.wait_readable();
    s.wait_readable_until(time_point{});
  };

  // Between requests: the keep-alive time starts; a connection that can park wakes up
  // after `park_after` to do so. The deadline only moves later while requests keep coming
  // (a store, not a timer operation), so the hot path pays nothing for this.
  void arm_idle() {
    reading_request_ = false;
    const time_point now = eddy::detail::this_loop().now();
    keep_alive_until_ = now + std::chrono::ceil<duration>(server_.options.keep_alive_timeout);
    if constexpr (parkable) {
      watchdog_.reschedule(std::min(keep_alive_until_, now + std::chrono::ceil<duration>(park_after)));
    } else {
      watchdog_.reschedule(keep_alive_until_);
    }
  }

  // While a handler runs, no connection timeout applies (the header/body/keep-alive ones are
  // about the peer, not about the application); writes re-arm the write timeout.
  void disarm() {
    reading_request_ = false;
    watchdog_.reschedule(time_point::max());
  }

  // Waits for the next request on an idle connection without holding a buffer; false at EOF
  // or on error.
  task<bool> wait_idle() {
    release_buffer();
    // Small on purpose: this array lives in the waiting coroutine's frame, i.e. in every
    // idle connection; the rest of the request is read into the real buffer right after.
    char probe[64];
    bool reported = false;  // the loop just said the socket is readable
    if constexpr (requires { stream_.read_would_block(); }) {
      // The last read drained the socket and nothing arrived since: wait for the report
      // instead of asking the kernel for an EAGAIN.
      if (stream_.read_would_block()) {
        auto ready = co_await stream_.wait_readable();
        if (!ready) co_return false;
        reported = true;
      }
    }
    for (;;) {
      if (reported) {
        const int r = read_reported();
        if (r != 0) co_return r > 0;
      } else {
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
      }
      auto ready = co_await stream_.wait_readable();
      if (!ready) co_return false;
      reported = true;
    }
  }

  // The loop reported the idle socket readable: a request is most likely there, read into a
  // pooled buffer in one system call (through the probe it would take two whenever it is
  // longer than the probe). 1: bytes arrived, 0: a spurious report (the buffer is given back),
  // -1: end of stream or error.
  int read_reported() {
    acquire_buffer();
    ensure_room();
    auto r = stream_.try_read_some(std::span<char>(buf_.get() + len_, cap_ - len_));
    if (r) {
      if (*r == 0) return -1;
      len_ += *r;
      return 1;
    }
    if (!eddy::detail::is_would_block(r)) return -1;
    release_buffer();
    return 0;
  }

  // A connection that is idle among many: reads what is already there (into a pooled buffer,
  // in one system call) unless the loop knows there is nothing; if nothing came, it parks
  // at once. 1: bytes arrived, 0: park, -1: end of stream or error.
  int read_or_park() {
    if (!stream_.read_would_block()) {
      if (const int r = read_reported(); r != 0) return r;  // else the buffer is given back
    } else {
      release_buffer();
    }
    return 0;
  }

  // A request is coming (bytes arrived, or are about to be read): a parser, and an output
  // buffer, from this thread's spares. While the connection waits for its next request it
  // holds neither (`disengage`): they go to the next connection with a request, still in
  // the CPU's cache, instead of each connection touching its own cold ones.
  void engage() {
    parser_ = spare_parsers::take(server_.options.limits);
    // Routes with their own body policy (streaming, own limit) are looked up from the head,
    // before the body is read; apps without any pay nothing.
    if (server_.application->has_body_policies()) parser_->set_body_limit_hook(&body_limit_for, this);
    spare_strings::take(out_);
  }
  // Between requests, with nothing buffered and nothing to write (see `engage`).
  void disengage() noexcept {
    spare_parsers::stash(parser_);
    spare_strings::stash(out_);
  }

  // Before a read: drops the bytes of the messages answered since the last one, moving what
  // follows (a partial message, its spans with it) to the front of the buffer.
  void compact() noexcept {
    if (parser_->idle() && parsed_ == len_) {
      len_ = 0;  // nothing pending at all (say, empty lines between pipelined requests)
      parsed_ = 0;
      msg_start_ = 0;
      return;
    }
    if (msg_start_ == 0) return;
    std::memmove(buf_.get(), buf_.get() + msg_start_, len_ - msg_start_);
    parser_->rebase(msg_start_);
    len_ -= msg_start_;
    parsed_ -= msg_start_;
    if (head_end_ >= msg_start_) head_end_ -= msg_start_;
    msg_start_ = 0;
  }

  // Reads more bytes: `co_await` it, then `took` the result (false at EOF or on error). An
  // awaiter where the stream's read is one (sockets), not a coroutine frame per read.
  auto read_more() {
    acquire_buffer();
    ensure_room();
    return stream_.read_some(std::span<char>(buf_.get() + len_, cap_ - len_));
  }
  bool took(const result<std::size_t>& n) noexcept {
    if (!n || *n == 0) return false;
    len_ += *n;
    return true;
  }

  // The output written without waiting, as it usually is (the socket buffer has room), and
  // without arming the write timeout, which matters only when a write has to wait. True if
  // all of it went out; otherwise what is left is for `flush`.
  bool write_now() {
    if constexpr (requires(std::span<const char> b) { stream_.try_write_some(b); }) {
      auto n = stream_.try_write_some(std::span<const char>(out_.data(), out_.size()));
      if (n && *n == out_.size()) {
        out_.clear();
        return true;
      }
      if (n) out_.erase(0, *n);
    }
    return false;
  }

  // The worker's account of bodies in memory (`serve_options::max_body_memory`).
  bool charge_body(std::size_t n) noexcept {
    body_charge_ += n;
    server_.body_memory += n;
    return server_.options.max_body_memory == 0 || server_.body_memory <= server_.options.max_body_memory;
  }
  void release_body() noexcept {
    server_.body_memory -= body_charge_;
    body_charge_ = 0;
  }

  // Ends a connection whose client may still be sending: a body refused (413, 400) or left
  // unread. Closing a socket with unread bytes makes the kernel reset the connection, and a
  // reset can destroy the answer in the client's receive buffer before it reads it (RFC 9112
  // 9.6). So, as nginx's lingering close does, the write side is shut (the client sees the
  // end of the answer) and what still comes is read and dropped until the client closes,
  // for at most `linger_total`, and `linger_idle` between reads.
  task<void> close_lingering() {
    if constexpr (requires { stream_.shutdown_write(); }) {
      reading_request_ = false;
      if (!stream_.shutdown_write() || server_.draining) co_return;
      const time_point until = eddy::detail::this_loop().now() + std::chrono::ceil<duration>(linger_total);
      acquire_buffer();
      for (;;) {
        const time_point now = eddy::detail::this_loop().now();
        if (now >= until) co_return;
        watchdog_.reschedule(std::min(until, now + std::chrono::ceil<duration>(linger_idle)));
        auto n = co_await stream_.read_some(std::span<char>(buf_.get(), cap_));
        if (!n || *n == 0) co_return;
      }
    }
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

  // Serves until the connection closes (false) or is idle and can park (true).
  task<bool> serve();  // connection_serve.hpp

  // ---- streamed request bodies: connection_body.hpp ----
  // The parser's body-limit hook: the route's policy decides, from the head alone.
  app::body_policy route_policy(const message_head& head, const char* base) noexcept;
  static std::uint64_t body_limit_for(void* ctx, const message_head& head, const char* base) noexcept;
  // A `stream_body` route: the handler runs now and pulls the body; afterwards whatever it
  // left unread is drained so the connection can be reused. Returns whether it stays open.
  task<bool> respond_streaming();
  // body_source: the next piece of a streamed body.
  task<body_piece> pull() override;

  // ---- answering a request: connection_respond.hpp ----
  // The request in flight lives in an `exchange` (exchange.hpp), held by `serve` (or by
  // `respond`).
  // Runs the handler for the parsed request and serializes its response into out_. True when
  // that is done (`keep`: whether the connection stays open), false when the rest is to be
  // awaited with `respond_finish(x)`.
  bool respond_start(exchange& x, bool streaming_body, bool& keep);
  task<bool> respond_finish(exchange& x);
  // The response serialized: 1 or 0 (keep the connection or not); -1 for a stream or a file.
  int respond_tail(exchange& x);
  // Both, in a frame of their own (streamed request bodies).
  task<bool> respond(bool streaming_body);
  // Sends a file body: sendfile(2) where the stream is a plain socket, else read and written
  // in pieces. False if the peer went away or the file ended early (the response is then
  // cut short, and the connection must close).
  task<bool> send_file(const file_body& file);
  // guarded_run's hooks, when a handler first waits: its cancellation is linked to the
  // connection's, and the connection is watched for the client leaving (not on streamed-body
  // routes, whose handler reads the connection itself).
  static void handler_waits_unwatched(void* ctx) noexcept;
  static void handler_waits(void* ctx) noexcept;
  // Reads while a handler waits: pipelined bytes go into the buffer after the request (which
  // does not move), end of stream or a reset cancels the handler (Go's server does the
  // same). Stops when the buffer is full (the bytes wait in the kernel) or when cancelled.
  task<void> watch_peer();
  void log(const request& req, int status, std::size_t bytes);

  // What every request touches comes first, so that it shares few cache lines (with many
  // connections, each request finds its connection's lines cold); the streamed-body state and
  // the rest that most requests never touch follow.
  S& stream_;
  server_state& server_;
  // Held only while there is a request to parse, see `engage` (null while idle).
  std::unique_ptr<parser> parser_;
  std::string_view remote_;
  // The keep-alive, header, body and write timeouts: one timer, moved at each phase.
  deadline watchdog_;
  std::string out_;
  std::string body_;
  // Bytes of the buffer parsed so far, and (while a body is read) where the head ends.
  std::size_t parsed_ = 0;
  std::size_t head_end_ = 0;
  // Where the message being parsed starts in buf_ (after pipelined ones answered in place).
  std::size_t msg_start_ = 0;
  // The route's body policy, found from the head by `body_limit_for`.
  app::body_policy policy_{};
  std::uint64_t body_charge_ = 0;  // of server_.body_memory, for the body being read
  request* current_ = nullptr;
  // While a handler waits: its cancel source (and `watcher_`, the task watching the client).
  linked_cancel_source* handler_cancel_ = nullptr;
  bool peer_gone_ = false;
  bool reading_request_ = false;  // the watchdog is the header or the body timeout (a 408)
  bool* idle_flag_ = nullptr;
  // When the keep-alive time of an idle connection ends.
  time_point keep_alive_until_{};
  // What opening a response stream needs, in the exchange of the request in flight.
  stream_context* stream_ctx_ = nullptr;
  // `serve`'s cancellation (shutdown, timeouts), which every handler's own token follows.
  cancel_token serve_token_;
  std::string path_;
  std::optional<join_handle<void>> watcher_;
  // Streamed bodies (`pull`): pieces of the last parse not yet handed out, and the state.
  static constexpr std::uint64_t max_drained_body = 4 * 1024 * 1024;
  static constexpr std::size_t min_body_read = 4096;
  std::vector<buffer_span> pieces_;
  std::size_t next_piece_ = 0;
  bool body_done_ = false;
  bool continue_pending_ = false;
  int body_error_ = 0;
  std::string_view body_reason_;
  std::uint64_t drained_ = 0;
  unique_function<response_stream&(int, std::string_view)> stream_factory_;
};

}  // namespace eddy::http::detail

// The member functions defined out of the class, one job per file.
#include "eddy/http/detail/connection_body.hpp"
#include "eddy/http/detail/connection_respond.hpp"
#include "eddy/http/detail/connection_serve.hpp"
