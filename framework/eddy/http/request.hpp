// SPDX-License-Identifier: MIT
#pragma once

#include <charconv>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "eddy/core/cancellation.hpp"
#include "eddy/core/unique_function.hpp"
#include "eddy/http/body_stream.hpp"
#include "eddy/http/error.hpp"
#include "eddy/http/json.hpp"
#include "eddy/http/method.hpp"
#include "eddy/http/multipart.hpp"
#include "eddy/http/parser.hpp"
#include "eddy/http/router.hpp"

namespace eddy::http {

class response_stream;

namespace detail {
struct request_access;
}

/// A request as a handler sees it. Views into the connection's buffer: valid until the
/// handler's task finishes; copy what must outlive it.
class request {
 public:
  http::method method() const noexcept { return head_->method; }
  std::string_view method_name() const noexcept { return head_->method_token.in(base_); }
  /// The request target as sent (`/users/7?x=1`).
  std::string_view target() const noexcept { return head_->target.in(base_); }
  /// The percent-decoded path with dot segments resolved (never above `/`).
  std::string_view path() const noexcept { return path_; }
  /// The raw query string, without '?'.
  std::string_view query_string() const noexcept { return query_; }
  /// 0 for HTTP/1.0, 1 for HTTP/1.1.
  int version_minor() const noexcept { return head_->version_minor; }

  /// The first value of header `name` (case-insensitive).
  std::optional<std::string_view> header(std::string_view name) const noexcept;
  /// Every value of header `name`, in order.
  std::vector<std::string_view> header_all(std::string_view name) const;
  std::size_t header_count() const noexcept { return head_->headers.size(); }
  std::pair<std::string_view, std::string_view> header_at(std::size_t i) const noexcept {
    return {head_->headers[i].name.in(base_), head_->headers[i].value.in(base_)};
  }

  /// The body, whole: requests are read completely before the handler runs, unless the route
  /// streams its body (`route_options::stream_body`), where this is empty and the body comes
  /// from `body_stream()`.
  std::string_view body() const noexcept { return body_; }
  /// The body as a stream of pieces (see `http::body_stream`): the way to read it on a route
  /// with `stream_body`; elsewhere it yields `body()` in one piece.
  http::body_stream& body_stream() noexcept { return body_stream_; }
  /// The body parsed as JSON. Throws `http::error(400)` with the parse error for invalid JSON.
  http::json json() const;

  /// The first query argument `name`, decoded ('+' is a space).
  std::optional<std::string> query(std::string_view name) const;
  /// Every query argument `name`, decoded, in order.
  std::vector<std::string> query_all(std::string_view name) const;
  /// A field of an `application/x-www-form-urlencoded` body, decoded.
  std::optional<std::string> form(std::string_view name) const;
  /// The parts of a `multipart/form-data` body (fields and file uploads), in order; `data`
  /// views point into the body. Throws `http::error(400)` for a malformed body and
  /// `http::error(415)` if the body is not multipart/form-data.
  std::vector<form_part> multipart() const;
  /// A cookie sent by the client (`Cookie` header).
  std::optional<std::string_view> cookie(std::string_view name) const noexcept;

  /// A path parameter converted to `T` (integers, floating point, `std::string`,
  /// `std::string_view`). Throws `http::error(400)` if it does not convert and
  /// `std::out_of_range` if the route has no such parameter (a programming error: 500).
  template <class T>
  T param(std::string_view name) const;
  /// The route's pattern (`/users/<id:int>`); empty when no route matched.
  std::string_view route_pattern() const noexcept { return route_pattern_; }

  /// The client's address: the peer's ("127.0.0.1:50312"), or, when the peer is a trusted
  /// proxy (`serve_options::trusted_proxies`), the one its `Forwarded` / `X-Forwarded-For`
  /// header names ("203.0.113.7").
  std::string_view remote_address() const noexcept { return remote_; }
  /// "http" or "https": how the client reached the server (from a trusted proxy's
  /// `Forwarded` / `X-Forwarded-Proto` header when there is one).
  std::string_view scheme() const noexcept { return scheme_; }
  /// Whether the connection stays open after this request.
  bool keep_alive() const noexcept { return head_->keep_alive; }
  /// Cancelled when the client disconnects or the server shuts down.
  cancel_token token() const noexcept { return token_; }

  /// Starts a streaming response (chunked on the wire; see `response_stream`). The handler then
  /// returns the `response` from `response_stream::finish()`.
  response_stream& stream(int status, std::string_view content_type = "text/plain; charset=utf-8");

 private:
  friend struct detail::request_access;
  const message_head* head_ = nullptr;
  const char* base_ = nullptr;
  std::string_view path_;
  std::string_view query_;
  std::string_view body_;
  http::body_stream body_stream_;
  std::string_view remote_;
  std::string_view scheme_ = "http";
  std::string_view route_pattern_;
  const route_match* match_ = nullptr;
  cancel_token token_;
  unique_function<response_stream&(int, std::string_view)>* stream_factory_ = nullptr;
};

template <class T>
T request::param(std::string_view name) const {
  std::optional<std::string_view> v = match_ ? match_->param(name) : std::nullopt;
  if (!v) throw std::out_of_range("route '" + std::string(route_pattern_) + "' has no parameter '" + std::string(name) + "'");
  if constexpr (std::is_same_v<T, std::string_view>) {
    return *v;
  } else if constexpr (std::is_same_v<T, std::string>) {
    return std::string(*v);
  } else {
    static_assert(std::is_arithmetic_v<T>, "param<T>: T must be arithmetic or a string type");
    T out{};
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
    if (ec != std::errc() || ptr != v->data() + v->size()) {
      throw error(400, "parameter '" + std::string(name) + "' is out of range");
    }
    return out;
  }
}

}  // namespace eddy::http
