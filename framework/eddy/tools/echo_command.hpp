// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace eddy::tools {

/// How `eddy echo` handles connections.
enum class echo_mode {
  /// One coroutine per connection over `tcp_stream` (the asyncio streams style).
  streams,
  /// Callbacks through `protocol`/`transport`: no coroutine per connection.
  protocol,
};

/// Settings of `eddy echo` (RFC 862).
struct echo_options {
  std::string host = "127.0.0.1";
  /// 0: the kernel picks a port (printed on the first line of output).
  std::uint16_t port = 7007;
  /// Threads, each with its own loop and SO_REUSEPORT listener; 0: one per core.
  unsigned workers = 0;
  /// Also echo UDP datagrams on the same port.
  bool udp = false;
  echo_mode mode = echo_mode::streams;
  /// Close connections that sent nothing for this long; 0: never.
  std::chrono::seconds idle_timeout{0};
  /// Connections beyond this many (over all workers) are closed at once; 0: no limit.
  std::size_t max_connections = 0;
  /// After SIGINT/SIGTERM, how long open connections may take to finish before they are
  /// closed.
  std::chrono::milliseconds shutdown_grace{std::chrono::seconds(5)};
  /// PEM certificate chain and key: serve TLS instead of plain TCP (streams mode).
  std::string tls_cert;
  std::string tls_key;
};

/// Runs the echo server until SIGINT/SIGTERM (graceful: stop accepting, let connections
/// finish for `shutdown_grace`, then close them; a second signal exits at once). Prints the
/// listening address as the first line on stdout. Returns the process exit status: 0 after a
/// graceful shutdown, 1 for a startup failure (bad address, port in use, bad TLS files),
/// 2 for inconsistent options.
int run_echo(const echo_options& options);

}  // namespace eddy::tools
