// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "eddy/http/response.hpp"
#include "eddy/http/response_stream.hpp"

namespace eddy::http::detail {

/// The current `Date` header value (IMF-fixdate), formatted at most once per second per
/// thread.
std::string_view http_date() noexcept;

/// Appends the status line and header block of `r` with `Content-Length: body_size`,
/// `Date`, `Server` and, unless `keep_alive`, `Connection: close`.
void write_head(std::string& out, const response& r, std::size_t body_size, bool keep_alive,
                std::string_view server_name);

/// The head of a chunked (streamed) response.
void write_stream_head(std::string& out, const response_stream& s, bool keep_alive,
                       std::string_view server_name);

}  // namespace eddy::http::detail
