// SPDX-License-Identifier: MIT
#include "eddy/bridge/watch_fd.hpp"

#include <poll.h>

#include <cerrno>

namespace eddy::detail {

result<fd_ready> poll_fd_now(int fd, fd_interest interest) noexcept {
  pollfd p{};
  p.fd = fd;
  if (has(interest, fd_interest::readable)) p.events |= POLLIN;
  if (has(interest, fd_interest::writable)) p.events |= POLLOUT;
  int n;
  do {
    n = ::poll(&p, 1, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return last_system_error();
  if (p.revents & POLLNVAL) return std::error_code(EBADF, std::system_category());
  fd_ready r;
  const bool failed = (p.revents & (POLLERR | POLLHUP)) != 0;
  r.readable = has(interest, fd_interest::readable) && ((p.revents & POLLIN) || failed);
  r.writable = has(interest, fd_interest::writable) && ((p.revents & POLLOUT) || failed);
  return r;
}

}  // namespace eddy::detail
