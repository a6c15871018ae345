// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "eddy/http/parser.hpp"
#include "eddy/http/response.hpp"
#include "eddy/http/response_stream.hpp"

namespace eddy::http::detail {

/// The current `Date` header value (IMF-fixdate), formatted at most once per second per
/// thread.
std::string_view http_date() noexcept;

/// Appends the status line and header block of `r` with `Content-Length: body_size`,
/// `Date`, `Server` and, unless `keep_alive`, `Connection: close` (for an HTTP/1.0 peer, `http10`,
/// a kept connection is announced with `Connection: keep-alive`).
void write_head(std::string& out, const response& r, std::size_t body_size, bool keep_alive,
                std::string_view server_name, bool http10 = false);

/// `write_head` with `r.body().size()`, then the body unless `with_body` is false (HEAD) or
/// the status has none. Responses of the common shape (a literal content type and no other
/// fields) take a per-thread cache of their head.
void write_response(std::string& out, const response& r, bool with_body, bool keep_alive,
                    std::string_view server_name, bool http10 = false);

/// True if every header field of `r`, and its content type unless the library set it from a
/// literal, is free of CR, LF and NUL: a field taken from user input must not be able to split
/// the response (header injection). `response::header()` checks as fields are added;
/// `headers().add()` and `redirect()` do not.
bool fields_are_safe(const response& r) noexcept;

/// The path-and-query part of a request target. Servers must accept the absolute form ("GET
/// http://host/p HTTP/1.1", RFC 9112 3.2.2): the path is what follows the authority ("/" if
/// none).
std::string_view origin_form(std::string_view target) noexcept;

/// A parsed request's target in parts: the raw path and query of its origin form, and
/// whether the path is normal (`is_normal_path`). The parser measured an origin-form target
/// already (`message_head::query_at`, `normal_path`); another form is measured here.
struct target_parts {
  std::string_view raw_path;
  std::string_view query;
  bool normal_path = false;
};
target_parts split_target(const message_head& head, const char* base) noexcept;

/// The head of a streamed response (chunked unless `s.chunked()` is false).
void write_stream_head(std::string& out, const response_stream& s, bool keep_alive,
                       std::string_view server_name, bool http10 = false);

}  // namespace eddy::http::detail
