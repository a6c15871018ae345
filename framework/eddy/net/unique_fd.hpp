// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include "eddy/core/result.hpp"

namespace eddy {

/// Sole owner of a file descriptor: closes it on destruction (like `std::unique_ptr` for
/// descriptors). Move-only. A default-constructed or released one holds -1.
class unique_fd {
 public:
  unique_fd() noexcept = default;
  /// Takes ownership of `fd` (-1 for none).
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  unique_fd(unique_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  unique_fd& operator=(unique_fd&& o) noexcept {
    if (this != &o) reset(std::exchange(o.fd_, -1));
    return *this;
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd() { reset(); }

  /// The descriptor, or -1.
  int get() const noexcept { return fd_; }
  /// True when a descriptor is held.
  explicit operator bool() const noexcept { return fd_ >= 0; }
  /// Gives up ownership without closing; returns the descriptor.
  int release() noexcept { return std::exchange(fd_, -1); }
  /// Closes the held descriptor (errors from close(2) are ignored: the descriptor is gone
  /// either way) and takes ownership of `fd`.
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

/// Reads up to `buf.size()` bytes of the file `fd` at `offset` (pread(2): the file position
/// does not move), blocking: meant for regular files, which never report EAGAIN. Returns the
/// bytes read, 0 at end of file, or the OS error.
result<std::size_t> read_file_at(int fd, std::span<char> buf, std::uint64_t offset) noexcept;

}  // namespace eddy
