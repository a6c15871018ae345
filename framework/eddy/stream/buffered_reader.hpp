// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "eddy/core/errors.hpp"
#include "eddy/core/result.hpp"
#include "eddy/core/task.hpp"
#include "eddy/stream/byte_stream.hpp"

namespace eddy {

/// Options for `buffered_reader`.
struct reader_options {
  /// Bytes requested from the stream per fill.
  std::size_t chunk_size = 16 * 1024;
  /// Maximum bytes `read_until` / `read_line` buffer while looking for the separator. A
  /// security feature (asyncio's `limit`): a peer that never sends a newline cannot make the
  /// reader grow without bound.
  std::size_t limit = 64 * 1024;
};

/// asyncio's StreamReader over any `byte_stream` S (TCP, TLS, the in-memory test stream): a
/// read buffer plus the usual framing reads. Borrows the stream, which must outlive it.
///
/// The buffer is allocated on the first read that needs it and freed again by `shrink()`, so
/// a reader parked on an idle connection can hold no memory. Every operation completes on the
/// awaiting task's loop; errors are `result` codes: the stream's own errors,
/// `errc::unexpected_eof`, `errc::limit_exceeded`, `errc::operation_canceled`. On every
/// failure the bytes read so far stay in the buffer (see `buffered()`): nothing is lost. At
/// most one read at a time.
template <byte_stream S>
class buffered_reader {
 public:
  explicit buffered_reader(S& stream, reader_options options = {}) noexcept
      : stream_(&stream), options_(options) {}

  /// The underlying stream.
  S& next_layer() noexcept { return *stream_; }

  /// Bytes read from the stream and not yet consumed.
  std::string_view buffered() const noexcept {
    return {buf_.get() + begin_, end_ - begin_};
  }
  /// Drops the first `n` buffered bytes. Precondition: `n <= buffered().size()`.
  void consume(std::size_t n) noexcept {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  /// Takes the first `n` buffered bytes.
  std::string take(std::size_t n) {
    std::string out(buffered().substr(0, n));
    consume(out.size());
    return out;
  }
  /// Frees the buffer if nothing is buffered (call before a long idle wait).
  void shrink() noexcept {
    if (begin_ == end_) {
      buf_.reset();
      capacity_ = begin_ = end_ = 0;
    }
  }
  /// Capacity of the current buffer (0 when none is held).
  std::size_t capacity() const noexcept { return capacity_; }
  /// True once the stream reported end of stream.
  bool at_eof() const noexcept { return eof_; }

  /// Reads more bytes from the stream into the buffer (at least one). Returns how many: 0 at
  /// end of stream.
  task<result<std::size_t>> fill() {
    if (eof_) co_return std::size_t{0};
    make_room(options_.chunk_size);
    auto n = co_await stream_->read_some(std::span<char>(buf_.get() + end_, capacity_ - end_));
    if (!n) co_return n;
    if (*n == 0) eof_ = true;
    end_ += *n;
    co_return *n;
  }

  /// Reads up to `out.size()` bytes: from the buffer if it holds any, otherwise straight from
  /// the stream into `out` (no copy). Returns 0 at end of stream.
  task<result<std::size_t>> read_some(std::span<char> out) {
    if (out.empty()) co_return std::size_t{0};
    if (begin_ == end_) {
      if (eof_) co_return std::size_t{0};
      auto n = co_await stream_->read_some(out);
      if (n && *n == 0) eof_ = true;
      co_return n;
    }
    const std::size_t n = std::min(out.size(), end_ - begin_);
    std::memcpy(out.data(), buf_.get() + begin_, n);
    consume(n);
    co_return n;
  }

  /// Reads exactly `n` bytes (readexactly). If the stream ends first: `errc::unexpected_eof`,
  /// and the partial data is left in `buffered()`.
  task<result<std::string>> read_exactly(std::size_t n) {
    while (end_ - begin_ < n) {
      auto got = co_await fill_at_least(n - (end_ - begin_));
      if (!got) co_return got.error();
      if (*got == 0) co_return errc::unexpected_eof;
    }
    co_return take(n);
  }

  /// Reads up to and including `separator` (readuntil). `errc::limit_exceeded` if it is not
  /// found within `limit` bytes; `errc::unexpected_eof` if the stream ends first. In both
  /// cases the data stays in the buffer.
  task<result<std::string>> read_until(std::string_view separator) {
    if (separator.empty()) co_return std::make_error_code(std::errc::invalid_argument);
    std::size_t searched = 0;  // bytes already known not to start a match
    for (;;) {
      const std::string_view data = buffered();
      const auto pos = data.find(separator, searched);
      if (pos != std::string_view::npos) {
        const std::size_t len = pos + separator.size();
        if (len > options_.limit) co_return errc::limit_exceeded;
        co_return take(len);
      }
      if (data.size() >= options_.limit + separator.size() - 1) co_return errc::limit_exceeded;
      searched = data.size() >= separator.size() ? data.size() - separator.size() + 1 : 0;
      auto got = co_await fill();
      if (!got) co_return got.error();
      if (*got == 0) co_return errc::unexpected_eof;
    }
  }

  /// Reads one line including its "\n" (readline). At end of stream a last line without a
  /// newline is returned as is, then "" (empty) once nothing is left. `errc::limit_exceeded`
  /// for a line longer than `limit` (the data stays buffered).
  task<result<std::string>> read_line() {
    auto line = co_await read_until("\n");
    if (!line && line.error() == errc::unexpected_eof) co_return take(end_ - begin_);
    co_return line;
  }

  /// Reads until end of stream. `errc::limit_exceeded` once more than `max_size` bytes
  /// arrived (they stay buffered, up to `max_size` + one chunk).
  task<result<std::string>> read_to_end(std::size_t max_size) {
    for (;;) {
      if (end_ - begin_ > max_size) co_return errc::limit_exceeded;
      auto got = co_await fill();
      if (!got) co_return got.error();
      if (*got == 0) break;
    }
    if (end_ - begin_ > max_size) co_return errc::limit_exceeded;
    co_return take(end_ - begin_);
  }

 private:
  task<result<std::size_t>> fill_at_least(std::size_t want) {
    make_room(std::max(want, options_.chunk_size));
    auto n = co_await stream_->read_some(std::span<char>(buf_.get() + end_, capacity_ - end_));
    if (!n) co_return n;
    if (*n == 0) eof_ = true;
    end_ += *n;
    co_return *n;
  }
  // Ensures `room` free bytes after end_, compacting or growing the buffer.
  void make_room(std::size_t room) {
    if (capacity_ - end_ >= room) return;
    const std::size_t used = end_ - begin_;
    if (buf_ && capacity_ >= used + room) {
      std::memmove(buf_.get(), buf_.get() + begin_, used);
    } else {
      std::size_t cap = std::max<std::size_t>(capacity_ * 2, used + room);
      auto bigger = std::make_unique_for_overwrite<char[]>(cap);
      if (used) std::memcpy(bigger.get(), buf_.get() + begin_, used);
      buf_ = std::move(bigger);
      capacity_ = cap;
    }
    begin_ = 0;
    end_ = used;
  }

  S* stream_;
  reader_options options_;
  std::unique_ptr<char[]> buf_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  bool eof_ = false;
};

}  // namespace eddy
