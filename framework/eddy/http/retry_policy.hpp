// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <vector>

namespace eddy::http {

/// When `http::client` tries a request again (on top of the single resend on a dead pooled
/// connection, which always happens when it is safe). Off by default (`attempts = 1`).
///
/// A retry happens after a connection error (refused, reset, closed before a response, name
/// resolution failing transiently) or a timeout other than `total`, or after a response whose
/// status is in `statuses` (its body is discarded). Only idempotent methods (GET, HEAD, PUT,
/// DELETE, OPTIONS, TRACE) are retried unless `idempotent_only` is false. Each retry waits
/// `backoff * 2^(n-1)`, at most `max_backoff`, or the server's `Retry-After` seconds when it
/// sent one (also capped); the whole sequence stays within the request's `total` timeout.
/// The body (bytes, file, or the `body_stream` function called again) is sent anew.
struct retry_policy {
  /// Attempts in total, the first one included (1: no retries).
  int attempts = 1;
  /// Response statuses worth another attempt.
  std::vector<int> statuses{429, 502, 503, 504};
  /// Retry POST and PATCH too (only if the server is known to deduplicate them).
  bool idempotent_only = true;
  /// The pause before the first retry; doubled for each further one.
  std::chrono::milliseconds backoff{100};
  /// The longest pause between two attempts.
  std::chrono::milliseconds max_backoff{std::chrono::seconds(5)};
  /// Honour a `Retry-After: <seconds>` header of a retried status (capped by `max_backoff`).
  bool respect_retry_after = true;
};

}  // namespace eddy::http
