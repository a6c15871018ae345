// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/http/method.hpp"

namespace eddy::http {

/// A path parameter captured by a match: the name from the pattern and the (still
/// percent-encoded) text from the path.
struct path_param {
  std::string_view name;
  std::string_view value;
};

/// The outcome of `router::match`.
struct route_match {
  enum class kind { found, not_found, method_not_allowed };
  kind result = kind::not_found;
  std::size_t route = 0;          ///< id returned by `add`, when found
  /// Captured parameters, in pattern order (views into the path and the router); the
  /// first `param_count` are set. Left uninitialised: a match is made per request, and
  /// zeroing 256 bytes for routes without parameters was a tenth of the routing cost.
  struct param_array {
    param_array() noexcept {}
    path_param& operator[](std::size_t i) noexcept { return slots[i]; }
    const path_param& operator[](std::size_t i) const noexcept { return slots[i]; }
    static constexpr std::size_t size() noexcept { return 8; }
    union {
      path_param slots[8];
    };
  };
  param_array params;
  std::size_t param_count = 0;
  /// Methods the path accepts (for 405's `Allow` header), as a bit set over `http::method`.
  std::uint32_t allowed = 0;

  std::optional<std::string_view> param(std::string_view name) const noexcept {
    for (std::size_t i = 0; i < param_count; ++i)
      if (params[i].name == name) return params[i].value;
    return std::nullopt;
  }
};

/// Sanic-style router: patterns like `/users/<id:int>/posts/<slug:slug>`, matched segment by
/// segment in a tree (O(path length), no linear scan over routes, no regexes).
///
/// Parameter types: `str` (default; one segment), `int` (optional sign, digits), `float`,
/// `alpha` (letters), `slug` (lowercase letters, digits, hyphens), `uuid`
/// (8-4-4-4-12 hex), `path` (the rest of the path, slashes included; last segment only) and
/// custom converters registered with `add_type`. At one position, static segments win over
/// parameters, and parameters are tried from the most to the least specific (int, float,
/// uuid, custom, alpha, slug, str, path), backtracking if the rest of the path fails.
///
/// Trailing slashes: by default `/a` and `/a/` reach the same route; with `strict_slashes`
/// they are different paths. Registration errors (malformed pattern, unknown type, a pattern
/// that conflicts with an existing one for the same method, registration after `freeze()`)
/// throw `std::invalid_argument` naming the pattern.
class router {
 public:
  explicit router(bool strict_slashes = false);
  ~router();
  router(router&&) noexcept;
  router& operator=(router&&) noexcept;

  /// Registers `pattern` for `methods` (a bit set: `bit(method::get) | ...`); returns the
  /// route id (dense, from 0). `name` (optional, unique) is used by `url_for`.
  std::size_t add(std::uint32_t methods, std::string_view pattern, std::string_view name = {});

  /// Registers a parameter type: `accept(segment)` says whether a segment belongs to it.
  void add_type(std::string name, std::function<bool(std::string_view)> accept);

  /// Stops accepting registrations (the app freezes its routes when it starts), and indexes
  /// the paths made of static segments only, so that they are matched with one hash lookup.
  void freeze() noexcept;

  /// Matches a decoded path (no query string) and a method. HEAD falls back to GET routes.
  route_match match(method m, std::string_view path) const;
  /// The same, into `out` (the server keeps one per request in flight, in place).
  void match(method m, std::string_view path, route_match& out) const;

  /// Builds the path of the route named `name` with `params` substituted (values are
  /// percent-encoded as needed). Throws `std::invalid_argument` for an unknown name, a
  /// missing parameter, or a value its type rejects.
  std::string url_for(std::string_view name,
                      const std::vector<std::pair<std::string, std::string>>& params = {}) const;

  /// The pattern registered for `route`.
  const std::string& pattern(std::size_t route) const;
  /// Every method some route takes, HEAD included where GET is (a `bit` set; for
  /// `OPTIONS *`).
  std::uint32_t methods() const noexcept;
  /// How many routes are registered (ids are 0 to `route_count() - 1`).
  std::size_t route_count() const noexcept { return routes_.size(); }

  /// Bit for `m` in a method set.
  static constexpr std::uint32_t bit(method m) noexcept { return 1u << static_cast<unsigned>(m); }
  /// Every method.
  static constexpr std::uint32_t any_method = (1u << 10) - 1;

  struct node;

 private:
  struct route_info {
    std::string pattern;
    std::string name;
    std::uint32_t methods;
  };
  std::unique_ptr<node> root_;
  std::vector<route_info> routes_;
  std::map<std::string, std::size_t, std::less<>> names_;
  std::vector<std::pair<std::string, std::function<bool(std::string_view)>>> custom_types_;
  // After freeze: the nodes reached from the root through static segments only, by their
  // path without the leading '/' (open addressing, a power of two of slots; empty: none).
  struct static_slot {
    std::string path;
    const node* leaf = nullptr;
  };
  std::vector<static_slot> static_paths_;
  std::uint32_t methods_ = 0;  // union of the routes' methods
  bool strict_slashes_;
  bool frozen_ = false;
};

/// Writes the methods in `allowed` as an `Allow` header value ("GET, HEAD, POST").
std::string allow_header(std::uint32_t allowed);

}  // namespace eddy::http
