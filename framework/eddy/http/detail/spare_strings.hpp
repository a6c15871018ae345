// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <new>
#include <string>
#include <utility>
#include <vector>

namespace eddy::http::detail {

/// Spare string buffers of this thread, the one given back last first. A connection waiting
/// for its next request hands in its output buffer, and one that ends or parks its body and
/// path strings too, so that 10,000 idle connections do not each pin them; the next
/// connection with a request takes one back without a malloc, still in the CPU's cache.
/// Response bodies built per request (`response::text`, `json`) come from here as well.
class spare_strings {
 public:
  /// What the pool may hold: at most this many buffers and bytes (a connection's output can
  /// reach one pipelined batch, 64 KiB: such a buffer is kept too, so that the next batch
  /// does not grow a new one from nothing). Beyond that, buffers are freed.
  static constexpr std::size_t max_kept = 1024;
  static constexpr std::size_t max_kept_bytes = 4 * 1024 * 1024;

  /// Leaves `s` empty and without a heap buffer; its buffer is kept for reuse if there is room.
  static void stash(std::string& s) noexcept {
    if (s.capacity() <= inline_capacity()) {
      s.clear();
      return;
    }
    pool& p = this_thread();
    if (p.strings.size() < max_kept && p.bytes + s.capacity() <= max_kept_bytes) {
      try {
        s.clear();
        p.bytes += s.capacity();
        p.strings.push_back(std::move(s));
        // Emptied without a heap buffer whatever the move left (a destroy and a default
        // construction: cheaper than assigning a new string).
        s.~basic_string();
        new (&s) std::string();
        return;
      } catch (...) {
        p.bytes -= s.capacity();
      }
    }
    std::string().swap(s);
  }

  /// Gives `s` (empty, without a heap buffer) a kept buffer if there is one.
  static void take(std::string& s) noexcept {
    if (s.capacity() > inline_capacity()) return;
    pool& p = this_thread();
    if (p.strings.empty()) return;
    s = std::move(p.strings.back());
    p.strings.pop_back();
    p.bytes -= s.capacity();
  }

 private:
  struct pool {
    std::vector<std::string> strings;
    std::size_t bytes = 0;
  };
  static std::size_t inline_capacity() noexcept { return std::string().capacity(); }
  static pool& this_thread() noexcept {
    thread_local pool p;
    return p;
  }
};

}  // namespace eddy::http::detail
