// SPDX-License-Identifier: MIT
#pragma once

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
  /// The connection's buffer moved from `old_base` to `base`: the head's spans follow it,
  /// and so does the query (a view into the target).
  static void rebase(request& r, const char* old_base, const char* base) noexcept {
    r.base_ = base;
    if (!r.query_.empty()) r.query_ = std::string_view(base + (r.query_.data() - old_base), r.query_.size());
  }
  static void set_route(request& r, const route_match* m, std::string_view pattern) {
    r.match_ = m;
    r.route_pattern_ = pattern;
  }
  static void set_origin(request& r, std::string_view remote, std::string_view scheme) {
    r.remote_ = remote;
    r.scheme_ = scheme;
  }
  static void set_stream_factory(request& r, unique_function<response_stream&(int, std::string_view)>* f) {
    r.stream_factory_ = f;
  }
};

}  // namespace eddy::http::detail
