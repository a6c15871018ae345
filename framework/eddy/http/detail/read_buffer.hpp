// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <vector>

namespace eddy::http::detail {

/// The read buffer of a server connection (a base of `connection`, which uses the members
/// directly). It grows by doubling for large heads and goes back to a per-thread pool while
/// the connection is idle, so 10,000 idle keep-alive connections do not pin 32 KiB each, and
/// a busy connection takes and returns one without a malloc/free per request.
class read_buffer {
 protected:
  static constexpr std::size_t read_chunk = 16 * 1024;

  read_buffer() noexcept = default;
  ~read_buffer() { release_buffer(); }
  read_buffer(const read_buffer&) = delete;
  read_buffer& operator=(const read_buffer&) = delete;

  /// Makes room for at least `read_chunk` more bytes after `len_` (moves the bytes if the
  /// buffer is reallocated: spans into it must be offsets).
  void ensure_room() {
    std::size_t want = len_ + read_chunk;
    if (want <= cap_) return;
    std::size_t cap = cap_ ? cap_ * 2 : 2 * read_chunk;
    while (cap < want) cap *= 2;
    // Not zeroed: a request touches only the pages it fills, so that thousands of busy
    // connections with small requests do not each commit all of their buffer.
    std::unique_ptr<char[]> next(new char[cap]);
    if (len_) std::memcpy(next.get(), buf_.get(), len_);
    buf_ = std::move(next);
    cap_ = cap;
  }

  /// Gives the buffer back to the pool (or frees it if it grew). Precondition: `len_ == 0`.
  void release_buffer() noexcept {
    if (!buf_) return;
    auto& pool = buffer_pool();
    if (cap_ == 2 * read_chunk && pool.size() < 256) {
      try {
        pool.push_back(std::move(buf_));
      } catch (...) {
      }
    }
    buf_.reset();
    cap_ = 0;
  }

  /// Takes a pooled buffer if the connection holds none.
  void acquire_buffer() {
    auto& pool = buffer_pool();
    if (cap_ == 0 && !pool.empty()) {
      buf_ = std::move(pool.back());
      pool.pop_back();
      cap_ = 2 * read_chunk;
    }
  }

  std::unique_ptr<char[]> buf_;
  std::size_t cap_ = 0;
  std::size_t len_ = 0;

 private:
  static std::vector<std::unique_ptr<char[]>>& buffer_pool() {
    thread_local std::vector<std::unique_ptr<char[]>> pool;
    return pool;
  }
};

}  // namespace eddy::http::detail
