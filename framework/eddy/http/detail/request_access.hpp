// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "eddy/core/cancellation.hpp"
#include "eddy/core/unique_function.hpp"
#include "eddy/http/parser.hpp"
#include "eddy/http/request.hpp"
#include "eddy/http/router.hpp"

namespace eddy::http::detail {

/// The server's access to a request's private fields.
struct request_access {
  static void bind(request& r, const message_head& h, const char* base, std::string_view path,
                   std::string_view query, std::string_view body, std::string_view remote,
                   cancel_token token) {
    r.head_ = &h;
    r.base_ = base;
    r.path_ = path;
    r.query_ = query;
    r.body_ = body;
    r.body_stream_ = http::body_stream(body);
    r.remote_ = remote;
    r.token_ = token;
    r.match_ = nullptr;
    r.route_pattern_ = {};
    r.stream_factory_ = nullptr;
  }
  /// The body comes from `source` as the handler reads it (a `stream_body` route).
  static void set_body_source(request& r, body_source& source) noexcept {
    r.body_stream_ = http::body_stream(source);
  }
  /// The connection's buffer moved from `old_base` (`old_size` bytes) to `base`: the head's
  /// spans follow it, and so do the views into it (the query, a forwarded client address).
  static void rebase(request& r, const char* old_base, std::size_t old_size, const char* base) noexcept {
    r.base_ = base;
    auto follow = [&](std::string_view& v) {
      // Compared as integers: the views point into the old buffer or elsewhere entirely.
      const auto at = reinterpret_cast<std::uintptr_t>(v.data());
      const auto from = reinterpret_cast<std::uintptr_t>(old_base);
      if (!v.empty() && at >= from && at < from + old_size) v = std::string_view(base + (at - from), v.size());
    };
    follow(r.query_);
    follow(r.remote_);
  }
  static void set_route(request& r, const route_match* m, std::string_view pattern) {
    r.match_ = m;
    r.route_pattern_ = pattern;
  }
  /// The matched route's id; `SIZE_MAX` when no route matched.
  static std::size_t route_id(const request& r) noexcept {
    return r.match_ && r.match_->result == route_match::kind::found ? r.match_->route : SIZE_MAX;
  }
  /// The methods the matched path takes (a `router::bit` set); 0 when no path matched.
  static std::uint32_t allowed_methods(const request& r) noexcept { return r.match_ ? r.match_->allowed : 0; }
  static void set_origin(request& r, std::string_view remote, std::string_view scheme) {
    r.remote_ = remote;
    r.scheme_ = scheme;
  }
  static void set_stream_factory(request& r, unique_function<response_stream&(int, std::string_view)>* f) {
    r.stream_factory_ = f;
  }
};

}  // namespace eddy::http::detail
