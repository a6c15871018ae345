// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <coroutine>
#include <cstddef>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <eddy/core/cancellation.hpp>
#include <eddy/core/errors.hpp>
#include <eddy/core/result.hpp>
#include <eddy/core/task.hpp>
#include <eddy/runtime/event_loop.hpp>
#include <eddy/stream/byte_stream.hpp>

namespace eddy::test {

/// Knobs for one end of a `memory_stream` pair.
struct memory_stream_options {
  /// Sizes of successive reads, used in turn and then repeated (e.g. {1} delivers one byte per
  /// read; {3, 1, 7} cycles). Empty: a read returns everything available up to the buffer.
  std::vector<std::size_t> read_chunks{};
  /// The N-th operation on this end (reads and writes counted together, starting at 1)
  /// fails with `fail_error`, like Boost.Beast's `test::fail_count`; 0 never fails.
  std::size_t fail_at = 0;
  /// The error of the failing operation.
  std::error_code fail_error = std::make_error_code(std::errc::connection_reset);
  /// At most this many bytes may wait unread in the direction this end writes; a writer then
  /// waits for the reader (backpressure). Default: unbounded.
  std::size_t write_capacity = std::numeric_limits<std::size_t>::max();
  /// Each `write_some` accepts at most this many bytes (short writes).
  std::size_t max_write = std::numeric_limits<std::size_t>::max();
};

/// An in-memory `byte_stream`: two connected ends, like a socketpair without the kernel
/// (Boost.Beast's `test::stream`). Bytes are under test, not the OS: scripted read chunking,
/// a failing N-th operation, backpressure, half-close, and EOF are all deterministic. Both ends
/// must be used on the same loop thread; waits are cancellable (`errc::operation_canceled`).
class memory_stream {
 public:
  /// Two connected ends: what one writes, the other reads.
  static std::pair<memory_stream, memory_stream> make_pair(memory_stream_options a = {},
                                                           memory_stream_options b = {}) {
    auto st = std::make_shared<state>();
    return {memory_stream(st, 0, std::move(a)), memory_stream(st, 1, std::move(b))};
  }
  /// One end whose reads return `input` (then end of stream) and whose writes are kept in
  /// `output()`. The simplest way to feed a parser.
  static memory_stream from_input(std::string input, memory_stream_options options = {}) {
    auto st = std::make_shared<state>();
    st->pipes[1].data = std::move(input);  // the direction this end (0) reads
    st->pipes[1].closed = true;
    return memory_stream(st, 0, std::move(options));
  }

  memory_stream(memory_stream&&) noexcept = default;
  memory_stream& operator=(memory_stream&&) noexcept = default;
  ~memory_stream() {
    if (st_) close();
  }

  /// Reads up to `buf.size()` bytes (bounded by the chunk script); waits while none are
  /// available; 0 at end of stream (the peer shut down or closed).
  task<result<std::size_t>> read_some(std::span<char> buf) {
    if (auto f = maybe_fail()) co_return *f;
    for (;;) {
      pipe& in = incoming();
      if (closed_) co_return errc::not_connected;
      if (in.reset) co_return std::make_error_code(std::errc::connection_reset);
      if (buf.empty()) co_return std::size_t{0};
      if (in.data.size() > in.read_pos) {
        std::size_t n = std::min(buf.size(), in.data.size() - in.read_pos);
        if (!options_.read_chunks.empty()) {
          n = std::min(n, std::max<std::size_t>(1, options_.read_chunks[chunk_++ % options_.read_chunks.size()]));
        }
        std::memcpy(buf.data(), in.data.data() + in.read_pos, n);
        in.read_pos += n;
        if (in.read_pos == in.data.size()) {
          in.data.clear();
          in.read_pos = 0;
        }
        wake(in.writer);
        co_return n;
      }
      if (in.closed) co_return std::size_t{0};
      if (!co_await park{&in.reader}) co_return errc::operation_canceled;
    }
  }

  /// Writes at least one byte of `buf`; waits while the peer's unread bytes exceed the
  /// capacity. `std::errc::broken_pipe` after the peer closed or after `shutdown_write`.
  task<result<std::size_t>> write_some(std::span<const char> buf) {
    if (auto f = maybe_fail()) co_return *f;
    for (;;) {
      pipe& out = outgoing();
      if (closed_) co_return errc::not_connected;
      if (out.closed || out.peer_gone) co_return std::make_error_code(std::errc::broken_pipe);
      if (buf.empty()) co_return std::size_t{0};
      const std::size_t queued = out.data.size() - out.read_pos;
      if (queued < options_.write_capacity) {
        std::size_t n = std::min({buf.size(), options_.write_capacity - queued, options_.max_write});
        out.data.append(buf.data(), n);
        out.total += n;
        wake(out.reader);
        co_return n;
      }
      if (!co_await park{&out.writer}) co_return errc::operation_canceled;
    }
  }

  /// Half-close: the peer reads end of stream after the bytes already written.
  result<void> shutdown_write() {
    if (closed_) return errc::not_connected;
    outgoing().closed = true;
    wake(outgoing().reader);
    return {};
  }
  /// Closes this end: the peer reads end of stream, its writes fail with broken_pipe.
  void close() {
    if (closed_) return;
    closed_ = true;
    outgoing().closed = true;
    incoming().peer_gone = true;
    wake(outgoing().reader);
    wake(incoming().writer);
  }
  /// Closes with a reset: the peer's next read fails with connection_reset.
  void abort() {
    outgoing().reset = true;
    close();
  }

  /// Bytes this end wrote and the peer has not read yet (with `from_input`: everything written).
  std::string_view output() const {
    const pipe& out = st_->pipes[side_];
    return std::string_view(out.data).substr(out.read_pos);
  }
  /// Total bytes ever written by this end.
  std::size_t bytes_written() const noexcept { return st_->pipes[side_].total; }
  /// Operations performed on this end so far (for choosing `fail_at`).
  std::size_t operations() const noexcept { return ops_; }
  /// Arms the failure of the N-th operation from now (1 = the next one); 0 disarms.
  void fail_after(std::size_t n, std::error_code error = std::make_error_code(std::errc::connection_reset)) {
    options_.fail_at = n == 0 ? 0 : ops_ + n;
    options_.fail_error = error;
  }

 private:
  struct pipe {
    std::string data;
    std::size_t read_pos = 0;
    std::size_t total = 0;
    bool closed = false;     // writer shut down: reader sees EOF after the data
    bool reset = false;      // writer aborted
    bool peer_gone = false;  // reader closed: writes fail
    std::coroutine_handle<> reader;
    std::coroutine_handle<> writer;
  };
  struct state {
    pipe pipes[2];  // pipes[i]: bytes written by end i
  };

  // Parks the awaiting coroutine in `*slot` until a peer action wakes it. Returns false if the
  // task was cancelled.
  struct park : cancel_hook {
    std::coroutine_handle<>* slot;
    std::coroutine_handle<> h;
    bool cancelled = false;
    explicit park(std::coroutine_handle<>* s) noexcept : slot(s) {}
    bool await_ready() const noexcept { return false; }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> handle) noexcept {
      if (!arm(detail::token_of(handle), &on_cancel)) {
        cancelled = true;
        return false;
      }
      h = handle;
      *slot = handle;
      return true;
    }
    bool await_resume() noexcept {
      disarm();
      return !cancelled;
    }
    static void on_cancel(cancel_hook* hook) noexcept {
      auto* self = static_cast<park*>(hook);
      self->cancelled = true;
      *self->slot = nullptr;
      detail::this_loop().schedule(self->h);
    }
  };

  memory_stream(std::shared_ptr<state> st, int side, memory_stream_options options)
      : st_(std::move(st)), side_(side), options_(std::move(options)) {}

  pipe& incoming() noexcept { return st_->pipes[1 - side_]; }
  pipe& outgoing() noexcept { return st_->pipes[side_]; }
  static void wake(std::coroutine_handle<>& h) {
    if (h) detail::this_loop().schedule(std::exchange(h, nullptr));
  }
  std::optional<std::error_code> maybe_fail() noexcept {
    ++ops_;
    if (options_.fail_at != 0 && ops_ == options_.fail_at) return options_.fail_error;
    return std::nullopt;
  }

  std::shared_ptr<state> st_;
  int side_ = 0;
  memory_stream_options options_;
  std::size_t chunk_ = 0;
  std::size_t ops_ = 0;
  bool closed_ = false;
};

static_assert(byte_stream<memory_stream>);

}  // namespace eddy::test
