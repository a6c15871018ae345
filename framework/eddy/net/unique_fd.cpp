// SPDX-License-Identifier: MIT
#include "eddy/net/unique_fd.hpp"

#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace eddy {

void unique_fd::reset(int fd) noexcept {
  if (fd_ >= 0 && fd_ != fd) ::close(fd_);
  fd_ = fd;
}

result<std::size_t> read_file_at(int fd, std::span<char> buf, std::uint64_t offset) noexcept {
  for (;;) {
    ssize_t n = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(offset));
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return std::error_code(errno, std::system_category());
  }
}

}  // namespace eddy
