// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <memory>

#include "eddy/http/parser.hpp"

namespace eddy::http::detail {

/// Spare request parsers of this thread, the one given back last first. A server connection
/// holds a parser only while it has a request to parse (and none while it waits for the
/// next one), so that a parser given back is taken again at once by the next connection with
/// a request, still in the CPU's cache: with many connections, each touching a parser of its
/// own would miss the cache every time. New connections and woken ones take theirs here too,
/// instead of allocating llhttp's state and the head's vectors.
class spare_parsers {
 public:
  /// At most this many are kept (each a few hundred bytes); beyond that they are freed.
  static constexpr std::size_t max_kept = 64;

  /// A request parser with `limits`, in its start state: a kept one if there is one.
  static std::unique_ptr<parser> take(parser_limits limits) {
    kept& k = this_thread();
    if (k.count == 0) return std::make_unique<parser>(parser::kind::request, limits);
    std::unique_ptr<parser> p(k.slots[--k.count]);
    p->reuse(limits);
    return p;
  }

  /// Keeps `p` (one `take` gave) for reuse if there is room, else frees it; `p` is null after.
  static void stash(std::unique_ptr<parser>& p) noexcept {
    kept& k = this_thread();
    if (p && k.count < max_kept) {
      k.slots[k.count++] = p.release();
    } else {
      p.reset();
    }
  }

 private:
  // A plain array: taking and giving back is a few instructions, on every request.
  struct kept {
    parser* slots[max_kept];
    std::size_t count = 0;
    ~kept() {
      while (count > 0) delete slots[--count];
    }
  };
  static kept& this_thread() noexcept {
    thread_local kept k;
    return k;
  }
};

}  // namespace eddy::http::detail
