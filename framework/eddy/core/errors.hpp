// SPDX-License-Identifier: MIT
#pragma once

#include <stdexcept>
#include <string>
#include <system_error>

namespace eddy {

/// Error conditions reported by eddy's `result<T>` APIs. Operating-system failures are reported
/// with `std::system_category()` codes instead; these are the ones the library itself decides.
enum class errc {
  /// The operation's task was cancelled (`join_handle::cancel()`, a timeout, a `when_any`
  /// loser). The operation had no further effect; partial data already consumed is reported by
  /// the operation's own documentation. Usually: stop and let the cancellation propagate.
  operation_canceled = 1,
  /// A deadline set by the caller or a configured timeout expired before the operation finished.
  /// Retry only if the operation is idempotent.
  timed_out,
  /// The peer closed the stream before the requested amount of data arrived (`read_exactly`,
  /// a message body shorter than announced). The data read so far is still returned.
  unexpected_eof,
  /// A configured size limit was reached (line length, header block, body cap). No data was
  /// lost: what was buffered stays in the reader.
  limit_exceeded,
  /// The object is closed, or the operation is not valid in its current state.
  not_connected,
  /// The peer sent bytes that do not follow the protocol (malformed HTTP, bad chunk size).
  /// The connection cannot be reused.
  protocol_error,
  /// A TLS failure (handshake, certificate verification, record error). The error message
  /// carries OpenSSL's reason string where one exists.
  tls_error,
  /// Name resolution found no address for the host.
  host_not_found,
  /// A bounded queue refused more work (thread pool queue full, channel full in try mode).
  queue_full,
};

/// The category of `eddy::errc` codes; `name()` is "eddy".
const std::error_category& error_category() noexcept;

/// Makes an `std::error_code` from an `eddy::errc`.
inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

/// Thrown out of `co_await` when the awaiting task has been cancelled. Catch it only to clean
/// up; rethrow it, since cancellation stays requested and the next wait throws again.
class cancelled_error : public std::runtime_error {
 public:
  cancelled_error() : std::runtime_error("operation cancelled") {}
};

/// Thrown by `with_timeout` / `fail_after` when their own deadline cancelled the work.
class timeout_error : public std::runtime_error {
 public:
  timeout_error() : std::runtime_error("operation timed out") {}
};

/// Thrown when an object is used in a state that does not allow the call, such as
/// `join_handle::result()` before the task finished (asyncio's InvalidStateError).
class invalid_state_error : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

}  // namespace eddy

template <>
struct std::is_error_code_enum<eddy::errc> : std::true_type {};
