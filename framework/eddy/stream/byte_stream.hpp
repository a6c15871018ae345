// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <type_traits>

#include "eddy/core/awaitable_traits.hpp"
#include "eddy/core/result.hpp"

namespace eddy {

/// A contiguous piece of a gathered write (`writev`).
struct const_buffer {
  const char* data = nullptr;
  std::size_t size = 0;
  const_buffer() = default;
  const_buffer(const char* d, std::size_t n) noexcept : data(d), size(n) {}
  const_buffer(std::string_view s) noexcept : data(s.data()), size(s.size()) {}  // NOLINT
};

/// What the stream layer needs from a transport (TCP, TLS, Unix socket, the in-memory test
/// stream): two awaitable operations that move at least one byte or fail.
///
/// - `read_some(std::span<char>)` yields `result<std::size_t>`: bytes read, 0 at end of
///   stream, an error otherwise (`errc::operation_canceled` when the task is cancelled).
/// - `write_some(std::span<const char>)` yields `result<std::size_t>`: bytes written (> 0 for
///   a non-empty buffer), or an error.
///
/// Streams may also offer `writev(std::span<const const_buffer>)`, `shutdown_write()` and
/// `close()`; the stream algorithms use them when present.
template <class S>
concept byte_stream = requires(S& s, std::span<char> in, std::span<const char> out) {
  { s.read_some(in) } -> awaitable;
  { s.write_some(out) } -> awaitable;
  requires std::is_same_v<await_result_t<decltype(s.read_some(in))>, result<std::size_t>>;
  requires std::is_same_v<await_result_t<decltype(s.write_some(out))>, result<std::size_t>>;
};

}  // namespace eddy
