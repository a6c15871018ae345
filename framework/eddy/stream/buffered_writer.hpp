// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "eddy/core/result.hpp"
#include "eddy/core/task.hpp"
#include "eddy/stream/byte_stream.hpp"
#include "eddy/stream/write_all.hpp"

namespace eddy {

/// Options for `buffered_writer`.
struct writer_options {
  /// `write` returns at once while fewer than this many bytes are buffered; above it, it
  /// flushes until at most `low_water` remain (asyncio's drain with set_write_buffer_limits).
  std::size_t high_water = 64 * 1024;
  /// See `high_water`.
  std::size_t low_water = 16 * 1024;
};

/// asyncio's StreamWriter over any `byte_stream` S: coalesces small writes into one buffer
/// and applies backpressure. Memory stays bounded by `high_water` plus the largest single
/// write: a peer that stops reading makes `write` wait instead of the buffer growing.
/// Borrows the stream. One write at a time; loop thread only. Errors are the stream's own, or
/// `errc::operation_canceled` (data still buffered stays buffered; `flush` may be retried).
template <byte_stream S>
class buffered_writer {
 public:
  explicit buffered_writer(S& stream, writer_options options = {}) noexcept
      : stream_(&stream), options_(options) {}

  /// The underlying stream.
  S& next_layer() noexcept { return *stream_; }

  /// Bytes accepted by `write` and not yet passed to the stream.
  std::size_t buffered_size() const noexcept { return buf_.size() - sent_; }
  /// Changes the water marks. Precondition: `low <= high`.
  void set_write_buffer_limits(std::size_t high, std::size_t low) noexcept {
    options_.high_water = high;
    options_.low_water = low;
  }

  /// Queues `data`. Completes at once while the buffer stays below the high-water mark;
  /// otherwise writes to the stream until the buffer is at or below the low-water mark. A
  /// write larger than the high-water mark goes to the stream directly, without copying.
  task<result<void>> write(std::span<const char> data) {
    if (buffered_size() == 0 && data.size() >= options_.high_water) {
      co_return co_await write_all(*stream_, data);
    }
    buf_.append(data.data(), data.size());
    if (buffered_size() <= options_.high_water) co_return result<void>{};
    co_return co_await drain_to(options_.low_water);
  }
  /// `write` for text.
  task<result<void>> write(std::string_view text) {
    co_return co_await write(std::span<const char>(text.data(), text.size()));
  }
  /// Queues several buffers; with nothing buffered and a large total they go to the stream
  /// in one gathered write.
  task<result<void>> writev(std::span<const std::span<const char>> bufs) {
    std::size_t total = 0;
    for (auto b : bufs) total += b.size();
    if (buffered_size() == 0 && total >= options_.high_water) {
      co_return co_await write_all(*stream_, bufs);
    }
    for (auto b : bufs) buf_.append(b.data(), b.size());
    if (buffered_size() <= options_.high_water) co_return result<void>{};
    co_return co_await drain_to(options_.low_water);
  }

  /// Writes everything buffered. Completes when the stream accepted it all.
  task<result<void>> flush() { co_return co_await drain_to(0); }

  /// Flushes, then closes the stream if it has a `close()` (asyncio's `close` +
  /// `wait_closed`). The stream is closed even if the flush failed; the flush error is
  /// returned.
  task<result<void>> close() {
    auto flushed = co_await flush();
    if constexpr (requires { stream_->close(); }) stream_->close();
    co_return flushed;
  }

  /// Drops the buffered bytes and resets the stream if it has an `abort()` (RST for TCP),
  /// else closes it.
  void abort() noexcept {
    buf_.clear();
    sent_ = 0;
    if constexpr (requires { stream_->abort(); }) {
      stream_->abort();
    } else if constexpr (requires { stream_->close(); }) {
      stream_->close();
    }
  }

  /// Flushes, then half-closes the stream if it supports `shutdown_write()`.
  task<result<void>> shutdown_write() {
    if (auto r = co_await flush(); !r) co_return r;
    if constexpr (requires { stream_->shutdown_write(); }) {
      co_return stream_->shutdown_write();
    } else {
      co_return result<void>{};
    }
  }

 private:
  task<result<void>> drain_to(std::size_t mark) {
    while (buffered_size() > mark) {
      auto n = co_await stream_->write_some(std::span<const char>(buf_.data() + sent_, buffered_size()));
      if (!n) co_return n.error();
      sent_ += *n;
      // Compact rarely: only when the sent prefix dominates, to keep writes amortised O(n).
      if (sent_ == buf_.size()) {
        buf_.clear();
        sent_ = 0;
      } else if (sent_ > buf_.size() / 2) {
        buf_.erase(0, sent_);
        sent_ = 0;
      }
    }
    if (buf_.empty() && buf_.capacity() > 4 * options_.high_water) std::string().swap(buf_);
    co_return result<void>{};
  }

  S* stream_;
  writer_options options_;
  std::string buf_;
  std::size_t sent_ = 0;
};

}  // namespace eddy
