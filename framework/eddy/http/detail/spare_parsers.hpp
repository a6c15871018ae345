// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "eddy/http/parser.hpp"

namespace eddy::http::detail {

/// Spare request parsers of this thread. A server connection's state exists only while it
/// serves (an idle keep-alive connection parks without it, see `connection::run`), so a
/// connection that wakes, or a new one, takes a parser from here instead of allocating
/// llhttp's state and the head's vectors again, and gives it back when it ends.
class spare_parsers {
 public:
  /// At most this many are kept (each a few hundred bytes); beyond that they are freed.
  static constexpr std::size_t max_kept = 64;

  /// A request parser with `limits`, in its start state: a kept one if there is one.
  static parser take(parser_limits limits) {
    std::vector<parser>& kept = this_thread();
    if (kept.empty()) return parser(parser::kind::request, limits);
    parser p = std::move(kept.back());
    kept.pop_back();
    p.reset(limits);
    return p;
  }

  /// Keeps `p` (a request parser) for reuse if there is room; `p` is left empty either way.
  static void stash(parser& p) noexcept {
    std::vector<parser>& kept = this_thread();
    if (kept.size() >= max_kept || !p.valid() || p.message_kind() != parser::kind::request) return;
    try {
      if (kept.capacity() == 0) kept.reserve(max_kept);
      kept.push_back(std::move(p));
    } catch (...) {
      // No room for the pool itself: `p` is simply freed with its connection.
    }
  }

 private:
  static std::vector<parser>& this_thread() noexcept {
    thread_local std::vector<parser> kept;
    return kept;
  }
};

}  // namespace eddy::http::detail
