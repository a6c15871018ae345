// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace eddy {

/// The category of TLS failures that carry OpenSSL's reason string.
///
/// Every distinct reason ("certificate verify failed: certificate has expired", "wrong version
/// number", ...) is interned once per process and gets its own code value in this category,
/// so `ec.message()` tells what went wrong while `std::error_code` stays a plain value. Every
/// code of this category maps to the `errc::tls_error` condition: test with `is_tls_error(ec)`
/// (or `ec.default_error_condition() == make_error_code(errc::tls_error)`), not with
/// `ec == errc::tls_error`, which compares exact codes.
const std::error_category& tls_category() noexcept;

/// A `tls_category()` code whose message is `reason` (interned; thread-safe). After 4,096
/// distinct reasons, further new ones share one generic "TLS error" code.
std::error_code make_tls_error(std::string_view reason);

/// True for any TLS failure: a `tls_category()` code or the plain `errc::tls_error`.
bool is_tls_error(const std::error_code& ec) noexcept;

/// Configuration of a TLS server (`tls_context::server`).
struct tls_server_options {
  /// PEM file with the server certificate first, then its intermediates.
  std::string certificate_chain_file{};
  /// PEM file with the private key matching the certificate.
  std::string private_key_file{};
  /// Application protocols offered to clients by ALPN, in the server's order of preference
  /// (e.g. {"h2", "http/1.1"}). A client offering none of them is served without ALPN.
  std::vector<std::string> alpn{};
  /// When set, clients must present a certificate issued by a CA in this PEM file (mutual TLS);
  /// handshakes without one fail.
  std::string client_ca_file{};
  /// Limit for `tls_stream::handshake()`; it then fails with `errc::timed_out`. Zero: none.
  std::chrono::milliseconds handshake_timeout{std::chrono::seconds(10)};
};

/// Configuration of a TLS client (`tls_context::client`). Verification is on by default.
struct tls_client_options {
  /// Trust the operating system's CA store (OpenSSL's default verify paths).
  bool use_system_ca = true;
  /// An extra PEM file of trusted CA certificates (a private PKI, a test CA).
  std::string ca_file{};
  /// Application protocols to offer by ALPN, in order of preference.
  std::vector<std::string> alpn{};
  /// Optional client certificate chain and key (PEM), for servers that ask for one.
  std::string certificate_chain_file{};
  std::string private_key_file{};
  /// Turns off certificate and host name verification. Anyone on the path can then read and
  /// alter the traffic; for tests and debugging only.
  bool insecure_skip_verify = false;
  /// Limit for `tls_stream::handshake()`; it then fails with `errc::timed_out`. Zero: none.
  std::chrono::milliseconds handshake_timeout{std::chrono::seconds(10)};
  /// Free OpenSSL's record buffers (~34 KiB) whenever a connection has nothing buffered: right
  /// for many mostly idle connections. A connection that is never idle (a load generator's)
  /// would then allocate and free them for every record; turn it off there.
  bool release_idle_buffers = true;
};

/// Shared TLS configuration (an OpenSSL `SSL_CTX`): certificates, trust, ALPN, protocol
/// versions (TLS 1.2 and 1.3 only) and a modern cipher list (ECDHE with AES-GCM or
/// ChaCha20-Poly1305). Build one per configuration and hand it to many `tls_stream`s.
///
/// Cheap to copy (shared, immutable after construction). Safe to use from several threads.
class tls_context {
 public:
  /// A server context. Throws `std::system_error` (a `tls_category()` code whose message holds
  /// OpenSSL's reason and the file concerned) when a file cannot be loaded, the key does not
  /// match the certificate, or an ALPN name is empty or longer than 255 bytes.
  static tls_context server(const tls_server_options& options);

  /// A client context. Throws `std::system_error` like `server()` for unusable files or ALPN.
  static tls_context client(const tls_client_options& options = {});

  /// True for a server context.
  bool is_server() const noexcept;
  /// True when peers are verified (clients: unless `insecure_skip_verify`; servers: when
  /// `client_ca_file` is set).
  bool verifies_peer() const noexcept;
  /// The handshake limit from the options.
  std::chrono::milliseconds handshake_timeout() const noexcept;

  /// The underlying `SSL_CTX*`, for OpenSSL calls eddy does not wrap.
  void* native_handle() const noexcept;

 private:
  struct impl;
  explicit tls_context(std::shared_ptr<const impl> p) noexcept : impl_(std::move(p)) {}
  std::shared_ptr<const impl> impl_;
};

namespace detail {
/// Empties the calling thread's OpenSSL error queue and returns the reason of its oldest entry
/// (the root cause), or "" when the queue was empty. Used by the `tls_*.cpp` files.
std::string openssl_reason();
}  // namespace detail

}  // namespace eddy
