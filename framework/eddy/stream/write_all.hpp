// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "eddy/core/result.hpp"
#include "eddy/core/task.hpp"
#include "eddy/stream/byte_stream.hpp"

namespace eddy {

/// True when `S` offers a gathered `writev_some(std::span<const std::span<const char>>)`
/// (tcp_stream does; the algorithms fall back to one `write_some` per buffer otherwise).
template <class S>
concept gathering_stream = requires(S& s, std::span<const std::span<const char>> bufs) {
  { s.writev_some(bufs) } -> awaitable;
};

/// Writes all of `data` to `s`, looping over `write_some`. Completes when every byte was
/// accepted by the stream. Returns the stream's first error (bytes before it were written),
/// `errc::operation_canceled` if the task is cancelled.
template <byte_stream S>
task<result<void>> write_all(S& s, std::span<const char> data) {
  while (!data.empty()) {
    auto n = co_await s.write_some(data);
    if (!n) co_return n.error();
    data = data.subspan(*n);
  }
  co_return result<void>{};
}

/// Writes every buffer of `bufs`, in order, with as few system calls as the stream allows
/// (one `writev_some` per round on a gathering stream). Same errors as `write_all`.
template <byte_stream S>
task<result<void>> write_all(S& s, std::span<const std::span<const char>> bufs) {
  if constexpr (gathering_stream<S>) {
    std::vector<std::span<const char>> rest(bufs.begin(), bufs.end());
    std::size_t first = 0;
    while (first < rest.size()) {
      if (rest[first].empty()) {
        ++first;
        continue;
      }
      auto n = co_await s.writev_some(std::span<const std::span<const char>>(rest).subspan(first));
      if (!n) co_return n.error();
      for (std::size_t left = *n; left > 0;) {
        const std::size_t take = left < rest[first].size() ? left : rest[first].size();
        rest[first] = rest[first].subspan(take);
        left -= take;
        if (rest[first].empty()) ++first;
      }
    }
  } else {
    for (auto b : bufs) {
      if (auto r = co_await write_all(s, b); !r) co_return r;
    }
  }
  co_return result<void>{};
}

/// `write_all` over `const_buffer`s.
template <byte_stream S>
task<result<void>> write_all(S& s, std::span<const const_buffer> bufs) {
  std::vector<std::span<const char>> spans;
  spans.reserve(bufs.size());
  for (const auto& b : bufs) spans.emplace_back(b.data, b.size);
  co_return co_await write_all(s, std::span<const std::span<const char>>(spans));
}

}  // namespace eddy
