// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>

#include <eddy/core/result.hpp>
#include <eddy/core/task.hpp>
#include <eddy/net/tcp_stream.hpp>
#include <eddy/net/tls_context.hpp>
#include <eddy/net/tls_stream.hpp>

namespace eddy::tools {

/// The byte pipe of one `eddy load` connection: a connected `tcp_stream`, plain (http://) or
/// with TLS on top (https://, `tls_stream`'s OpenSSL engine over memory buffers).
///
/// The hot path has no coroutine per call, for TLS as for plain sockets: `send` encrypts and
/// tries the socket write at once, `try_read` reads (and decrypts) what is there. Only a full
/// socket buffer (`flush`) or an empty socket (`wait_readable`) makes the caller wait. The
/// buffers are the connection's own (the engine's, the caller's): nothing is allocated per
/// request. Bytes counted by the caller are HTTP bytes; TLS record overhead is not included.
///
/// Not movable (`send` may leave a view of unsent bytes). One sending and one reading task
/// may use it at the same time; `handshake()` must not overlap anything. Loop thread only.
class load_transport {
 public:
  /// Takes over `s`. With `tls` (a client context) the connection speaks TLS: `server_name`
  /// is sent as SNI and checked against the certificate (an IP address is checked as such).
  load_transport(tcp_stream s, const tls_context* tls, std::string_view server_name);
  load_transport(const load_transport&) = delete;
  load_transport& operator=(const load_transport&) = delete;
  ~load_transport();

  /// True for a TLS connection.
  bool is_tls() const noexcept { return tls_.has_value(); }

  /// TLS: runs the handshake (certificate and host name checks unless the context skips
  /// them), bounded by the context's `handshake_timeout`. Errors: a TLS error carrying
  /// OpenSSL's reason ("certificate verify failed: self-signed certificate"),
  /// `errc::timed_out`, `errc::unexpected_eof`, socket errors, `errc::operation_canceled`.
  /// Plain: succeeds at once.
  task<result<void>> handshake();
  /// The negotiated TLS version ("TLSv1.3"), "" for plain connections.
  std::string_view protocol_version() const noexcept;
  /// The protocol agreed by ALPN ("http/1.1"), "" if none (or plain).
  std::string_view alpn_selected() const noexcept;

  /// Hands all of `bytes` to the connection (encrypted, for TLS) and writes what the socket
  /// takes now. Yields true when everything went to the kernel, false when the rest waits for
  /// `flush()`: `bytes` must then stay valid and unchanged until `flush()` completes. Errors:
  /// the socket's (`broken_pipe`, `connection_reset`, ...) or a TLS error.
  result<bool> send(std::span<const char> bytes);
  /// Writes what `send` left, waiting for socket space. Errors as `send`, and
  /// `errc::operation_canceled`.
  task<result<void>> flush();

  /// Reads what is available now into `buf` (decrypted, for TLS): the byte count, 0 at end of
  /// stream (TLS: the server's close_notify, or a close without one, which HTTP framing
  /// judges), or EAGAIN when nothing is there (then `wait_readable`). Errors: the socket's, or
  /// a TLS error.
  result<std::size_t> try_read(std::span<char> buf);
  /// True when the last `try_read` emptied the socket and every TLS buffer: a read now would
  /// only say EAGAIN until the loop reports readability.
  bool drained() const noexcept { return drained_; }
  /// Waits for the socket to become readable again (edge-triggered: call it after a
  /// `try_read` left the transport drained). Completes with `errc::operation_canceled` on
  /// cancellation.
  auto wait_readable() { return tcp().wait_readable(); }

 private:
  tcp_stream& tcp() noexcept { return tls_ ? tls_->next_layer() : plain_; }
  // Writes the engine's pending ciphertext while the socket takes it.
  result<bool> push_ciphertext();

  tcp_stream plain_;
  std::optional<tls_stream<tcp_stream>> tls_;
  // What `send` could not write yet: the caller's bytes (plain) or ciphertext in the engine's
  // output buffer (TLS).
  std::span<const char> pending_;
  // An error met after some bytes were read: reported by the next `try_read`.
  std::error_code deferred_;
  bool ended_ = false;  // TLS: the stream ended; every later read yields 0
  bool drained_ = false;
};

}  // namespace eddy::tools
