// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "eddy/core/result.hpp"
#include "eddy/core/task.hpp"
#include "eddy/http/client_errc.hpp"
#include "eddy/http/parser.hpp"
#include "eddy/net/tcp_stream.hpp"
#include "eddy/net/tls_stream.hpp"
#include "eddy/runtime/event_loop.hpp"
#include "eddy/runtime/timeout.hpp"

namespace eddy::http::detail {

/// One client connection (plain TCP or TLS over TCP) with its read buffer and response
/// parser. Owned by the pool while idle and by a request (through a lease) while in use.
class client_connection {
 public:
  explicit client_connection(tcp_stream s) : tcp_(std::move(s)) {}
  explicit client_connection(tls_stream<tcp_stream> s) : tls_(std::move(s)) {}

  /// Reads at least one byte (0 at end of stream).
  task<result<std::size_t>> read_some(std::span<char> buf);
  /// Writes all of `data`; `sent` counts the bytes handed to the transport.
  task<result<void>> write_all(std::string_view data, std::size_t& sent);
  /// For an idle plain connection: false if the peer closed it or sent unsolicited bytes.
  /// TLS connections cannot be probed without reading records; they report true.
  bool probe_alive();
  void close() noexcept;

  parser response_parser{parser::kind::response,
                         parser_limits{.max_body_bytes = ~std::uint64_t{0}}};
  std::vector<char> buf = std::vector<char>(16 * 1024);
  std::size_t start = 0, end = 0;  // unparsed bytes
  bool eof = false;
  time_point idle_since{};
  std::size_t requests = 0;

 private:
  std::optional<tcp_stream> tcp_;
  std::optional<tls_stream<tcp_stream>> tls_;
};

/// Runs `work` until `phase` (failing with `phase_error`) or `total` (failing with
/// `client_errc::total_timeout`), whichever is first; `time_point::max()` means no limit. The
/// caller's own cancellation stays `operation_canceled`.
template <class T>
task<result<T>> bounded(task<result<T>> work, time_point phase, client_errc phase_error,
                        time_point total) {
  time_point dl = std::min(phase, total);
  if (dl == time_point::max()) co_return co_await std::move(work);
  cancel_token caller = co_await this_task::token();
  auto limited = move_on_at(dl, std::move(work));
  auto out = co_await limited;
  if (limited.expired() && !caller.cancel_requested() &&
      (!out || out->error() == errc::operation_canceled)) {
    co_return make_error_code(phase <= total ? phase_error : client_errc::total_timeout);
  }
  if (!out) co_return make_error_code(errc::operation_canceled);
  co_return std::move(*out);
}

/// `now + d`, or `time_point::max()` for a zero (disabled) limit.
time_point deadline_after(std::chrono::milliseconds d);

/// Reads more bytes into `c.buf` after `c.end` (growing the buffer while a head is incomplete,
/// up to 1 MiB: `errc::limit_exceeded`), bounded like `bounded`; sets `c.eof` at end of stream.
task<result<void>> read_more(client_connection& c, time_point phase, client_errc err, time_point total);

}  // namespace eddy::http::detail
