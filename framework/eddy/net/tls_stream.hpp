// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "eddy/core/awaitable_traits.hpp"
#include "eddy/core/errors.hpp"
#include "eddy/core/result.hpp"
#include "eddy/core/task.hpp"
#include "eddy/net/tls_context.hpp"
#include "eddy/runtime/timeout.hpp"

namespace eddy {
namespace detail {

/// What `tls_stream` needs from the stream under it: `eddy::byte_stream` (stream layer),
/// spelled out here because `net` sits below `stream`.
template <class S>
concept tls_transport = requires(S& s, std::span<char> in, std::span<const char> out) {
  { s.read_some(in) } -> awaitable;
  { s.write_some(out) } -> awaitable;
  requires std::is_same_v<await_result_t<decltype(s.read_some(in))>, result<std::size_t>>;
  requires std::is_same_v<await_result_t<decltype(s.write_some(out))>, result<std::size_t>>;
};

/// The outcome of one `tls_engine` step: either OpenSSL needs more bytes from the transport
/// (`want_input`), or the step finished with `value` (a byte count or an error).
struct tls_step {
  bool want_input = false;
  result<std::size_t> value{std::size_t{0}};
};

/// The OpenSSL side of a `tls_stream`, independent of the transport: an `SSL` object between
/// two memory BIOs. It never does I/O; the stream moves bytes between the transport and
/// `input_space()/commit_input()` and `take_output()`. Errors are `tls_category()` codes
/// carrying OpenSSL's reason, `errc::unexpected_eof` when the transport ended without a
/// close_notify, or `errc::not_connected` after a fatal error.
class tls_engine {
 public:
  /// A session for `ctx`'s role. For clients, `server_name` is sent as SNI (host names only)
  /// and checked against the certificate (host name or IP address). Failures (no name while
  /// verification is on, OpenSSL out of memory) surface from the first `handshake()` step.
  tls_engine(const tls_context& ctx, std::string_view server_name);
  tls_engine(tls_engine&&) noexcept;
  tls_engine& operator=(tls_engine&&) noexcept;
  ~tls_engine();

  /// Advances the handshake. `value` is 0 when it completed.
  tls_step handshake();
  /// Decrypts into `out`. `value` is the byte count, 0 after the peer's close_notify.
  tls_step read(std::span<char> out);
  /// Encrypts all of `in` into the output queue. `value` is `in.size()`.
  tls_step write(std::span<const char> in);
  /// Queues a close_notify alert. `value` is 0.
  tls_step shutdown();

  /// True while OpenSSL holds input not yet returned by `read`: ciphertext from the transport
  /// or decrypted bytes. When false, `read` would only ask for input.
  bool input_pending() const noexcept;
  /// Where the next transport read should land.
  std::span<char> input_space() noexcept;
  /// Hands the first `n` bytes of `input_space()` to OpenSSL.
  void commit_input(std::size_t n);
  /// Records that the transport reached end of stream.
  void end_of_input() noexcept;
  /// Moves the next chunk of pending ciphertext out of OpenSSL; empty when none is pending.
  /// The span stays valid until the next call.
  std::span<const char> take_output();

  /// True once the handshake completed.
  bool established() const noexcept;
  /// The protocol chosen by ALPN, or "".
  std::string_view alpn_selected() const noexcept;
  /// The SNI name sent (client) or received (server), or "".
  std::string_view server_name() const noexcept;
  /// The peer certificate's subject (RFC 2253), or "" without a peer certificate.
  std::string peer_certificate_subject() const;
  /// "TLSv1.3", "TLSv1.2", ... once established.
  std::string_view protocol_version() const noexcept;
  /// The `SSL*`.
  void* native_handle() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace detail

/// A TLS connection over any byte stream `S` (a `tcp_stream`, a Unix socket, a test stream),
/// itself a byte stream: `read_some` / `write_some` yielding `result<std::size_t>`.
///
/// OpenSSL works on memory buffers only; every byte goes through `S`'s own awaiters, so TLS
/// inherits their cancellation and never blocks the loop. Call `handshake()` first; the other
/// operations report `errc::not_connected` until it succeeded. One read and one write may run
/// at the same time (from different tasks); `handshake()` must not overlap anything and
/// `shutdown()` must not overlap a write. Every operation completes on the awaiting task's
/// loop (the transport's). Use on that loop's thread.
///
/// Errors: TLS failures are `tls_category()` codes whose `message()` is OpenSSL's reason
/// (`is_tls_error(ec)` tests for them), e.g. "certificate verify failed: certificate has
/// expired"; transport errors pass through unchanged; a transport that ends without the
/// peer's close_notify gives `errc::unexpected_eof` (a possible truncation attack); a
/// cancelled task gets `errc::operation_canceled`. After any error other than
/// `operation_canceled` on a read, close the stream.
template <class S>
  requires detail::tls_transport<S>
class tls_stream {
 public:
  /// Wraps `transport`. For a client context, `server_name` is the host the caller meant to
  /// reach: it is sent as SNI and the certificate must match it (it may be an IP address).
  /// A server context ignores it.
  tls_stream(S transport, const tls_context& ctx, std::string_view server_name = {})
      : transport_(std::move(transport)),
        engine_(ctx, server_name),
        handshake_timeout_(ctx.handshake_timeout()) {}

  /// Runs the TLS handshake (client or server, from the context), including certificate and
  /// host name verification. Completes once both sides agreed on keys. Errors: a TLS error
  /// with OpenSSL's reason, `errc::timed_out` after the context's `handshake_timeout`,
  /// `errc::unexpected_eof` if the peer closed, transport errors, `operation_canceled`.
  task<result<void>> handshake() {
    if (state_ != state::fresh) co_return errc::not_connected;
    state_ = state::failed;  // until it succeeds
    cancel_token caller = co_await this_task::token();
    result<void> r;
    if (handshake_timeout_ > handshake_timeout_.zero()) {
      auto limited = move_on_after(handshake_timeout_, run_handshake());
      auto outcome = co_await limited;
      if (limited.expired() && !caller.cancel_requested() &&
          (!outcome || outcome->error() == errc::operation_canceled)) {
        co_return errc::timed_out;
      }
      if (!outcome) co_return errc::timed_out;
      r = *outcome;
    } else {
      r = co_await run_handshake();
    }
    if (r) state_ = state::open;
    co_return r;
  }

  /// Reads and decrypts at least one byte into `buf`. Yields the byte count, 0 once the peer
  /// sent close_notify (clean end of stream), or an error (see the class comment).
  task<result<std::size_t>> read_some(std::span<char> buf) {
    if (state_ != state::open) co_return errc::not_connected;
    if (buf.empty()) co_return std::size_t{0};
    for (;;) {
      detail::tls_step step = engine_.read(buf);
      if (!step.want_input) co_return step.value;
      if (auto r = co_await fill(); !r) co_return r.error();
    }
  }

  /// Encrypts up to 64 KiB of `buf` and completes once the ciphertext has been handed to the
  /// transport. Yields the number of plaintext bytes consumed (> 0 for a non-empty buffer).
  task<result<std::size_t>> write_some(std::span<const char> buf) {
    if (state_ != state::open) co_return errc::not_connected;
    detail::tls_step step = engine_.write(buf.first(std::min(buf.size(), max_write)));
    if (!step.value) co_return step.value;
    if (auto f = co_await flush(); !f) co_return f.error();
    co_return step.value;
  }

  /// Gathered `write_some`: encrypts up to 64 KiB taken from `bufs` in order, packing small
  /// buffers into shared records (headers and body in one record, one transport write).
  /// Yields the number of plaintext bytes consumed; errors as `write_some`.
  task<result<std::size_t>> writev_some(std::span<const std::span<const char>> bufs) {
    if (state_ != state::open) co_return errc::not_connected;
    std::size_t total = 0;
    staging_.clear();
    for (auto b : bufs) {
      auto part = b.first(std::min(b.size(), max_write - total));
      total += part.size();
      if (part.size() >= record_size) {
        // Big enough for full records on its own: no copy.
        if (auto r = encrypt_staged(); !r) co_return r.error();
        detail::tls_step step = engine_.write(part);
        if (!step.value) co_return step.value;
      } else {
        staging_.insert(staging_.end(), part.begin(), part.end());
        if (staging_.size() >= record_size) {
          if (auto r = encrypt_staged(); !r) co_return r.error();
        }
      }
      if (total == max_write) break;
    }
    if (auto r = encrypt_staged(); !r) co_return r.error();
    if (auto f = co_await flush(); !f) co_return f.error();
    co_return total;
  }

  /// Sends close_notify and completes once it was handed to the transport; the transport
  /// itself stays open (closing it is the owner's business). It does not wait for the peer's
  /// close_notify: keep calling `read_some` until it yields 0 for that. Afterwards
  /// `write_some` fails. Errors: a TLS error, transport errors, `errc::not_connected` before
  /// the handshake or after a fatal error.
  task<result<void>> shutdown() {
    if (state_ != state::open) co_return errc::not_connected;
    detail::tls_step step = engine_.shutdown();
    auto f = co_await flush();
    if (!step.value) co_return step.value.error();
    co_return f;
  }

  /// The application protocol both sides agreed on by ALPN, or "" (none offered or agreed).
  std::string_view alpn_selected() const noexcept { return engine_.alpn_selected(); }
  /// The subject of the peer's certificate in RFC 2253 form ("CN=localhost,O=eddy"), or "".
  std::string peer_certificate_subject() const { return engine_.peer_certificate_subject(); }
  /// The negotiated protocol version, such as "TLSv1.3".
  std::string_view protocol_version() const noexcept { return engine_.protocol_version(); }
  /// True once `handshake()` succeeded.
  bool established() const noexcept { return state_ == state::open; }

  /// The SNI name: for a client, the host name given to the constructor (none is sent for an
  /// IP address); for a server, the one the client sent (after the handshake); or "".
  std::string_view server_name() const noexcept { return engine_.server_name(); }

  /// The transport underneath.
  S& next_layer() noexcept { return transport_; }
  const S& next_layer() const noexcept { return transport_; }
  /// The `SSL*`, for OpenSSL calls eddy does not wrap.
  void* native_handle() const noexcept { return engine_.native_handle(); }
  /// The OpenSSL engine under the stream, for callers that move bytes between it and
  /// `next_layer()` themselves once `handshake()` succeeded: a hot path that tries each socket
  /// read and write without a coroutine per call (`eddy load`). Such a caller then does all
  /// I/O through the engine; it must not mix in `read_some`/`write_some`.
  detail::tls_engine& engine() noexcept { return engine_; }

 private:
  enum class state { fresh, open, failed };

  // One call encrypts at most four full records, so a huge buffer does not sit twice in memory
  // (plaintext and ciphertext) before the first byte goes out.
  static constexpr std::size_t max_write = 64 * 1024;
  static constexpr std::size_t record_size = 16 * 1024;

  result<void> encrypt_staged() {
    if (staging_.empty()) return {};
    detail::tls_step step = engine_.write(staging_);
    staging_.clear();
    if (!step.value) return step.value.error();
    return {};
  }

  task<result<void>> run_handshake() {
    for (;;) {
      detail::tls_step step = engine_.handshake();
      // Send what the step produced before anything else: the peer waits for our flight, and
      // after a failure it should learn why from our alert.
      auto sent = co_await flush();
      if (!step.value) co_return step.value.error();
      if (!sent) co_return sent.error();
      if (!step.want_input) co_return result<void>{};
      if (auto r = co_await fill(); !r) co_return r.error();
    }
  }

  // Moves one transport read into OpenSSL.
  task<result<void>> fill() {
    auto space = engine_.input_space();
    result<std::size_t> n = co_await transport_.read_some(space);
    if (!n) co_return n.error();
    if (*n == 0) {
      engine_.end_of_input();
    } else {
      engine_.commit_input(*n);
    }
    co_return result<void>{};
  }

  // Writes all pending ciphertext to the transport.
  task<result<void>> flush() {
    for (auto out = engine_.take_output(); !out.empty(); out = engine_.take_output()) {
      while (!out.empty()) {
        result<std::size_t> n = co_await transport_.write_some(out);
        if (!n) co_return n.error();
        if (*n == 0) co_return errc::not_connected;
        out = out.subspan(*n);
      }
    }
    co_return result<void>{};
  }

  S transport_;
  detail::tls_engine engine_;
  std::chrono::milliseconds handshake_timeout_;
  state state_ = state::fresh;
  std::vector<char> staging_;  // writev_some's small buffers, packed into shared records
};

}  // namespace eddy
