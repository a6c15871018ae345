// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

namespace eddy::http {

/// Percent-decodes `in` into `out` (cleared first). With `plus_as_space`, '+' decodes to a
/// space (form and query encoding). Returns false for a malformed escape or a decoded NUL
/// byte; `out` is then unspecified.
bool percent_decode(std::string_view in, std::string& out, bool plus_as_space = false);

/// Appends `in` percent-encoded: everything but RFC 3986 unreserved characters (and '/' when
/// `keep_slash`).
void percent_encode(std::string_view in, std::string& out, bool keep_slash = false);

/// Decodes a request path and resolves dot segments (RFC 3986 5.2.4) so that `..` can never
/// climb above `/`; repeated slashes are kept. Returns false for a malformed escape, a NUL,
/// an encoded slash that would change the structure ("%2F" stays an error for paths), or a
/// path not starting with '/'.
bool normalize_path(std::string_view raw, std::string& out);

/// True if `normalize_path` would give `raw` back unchanged: it starts with '/' and has no
/// escape, backslash, NUL or dot segment (most paths). Lets a caller use `raw` in place.
bool is_normal_path(std::string_view raw) noexcept;

/// A request target read once: where its query starts, whether it has a fragment, and
/// whether the path before the query is normal (`is_normal_path`).
struct target_shape {
  std::size_t query_at = 0;  ///< index of the first '?', or the target's size
  bool fragment = false;     ///< a '#' anywhere
  bool normal_path = false;
};
target_shape shape_of_target(std::string_view target) noexcept;

/// Calls `fn(key, value)` for each `key=value` pair of a query string or form body (both
/// still encoded; split on '&'). Stops early if `fn` returns false.
template <class F>
void for_each_pair(std::string_view query, F&& fn) {
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (!fn(key, value)) return;
  }
}

}  // namespace eddy::http
