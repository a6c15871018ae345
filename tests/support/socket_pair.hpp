// SPDX-License-Identifier: MIT
#pragma once

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

namespace eddy::test {

/// A connected pair of non-blocking Unix stream sockets, closed on destruction: a descriptor
/// to wait on (`fd[0]`) and its peer to make it ready (`fd[1]`).
struct socket_pair {
  int fd[2] = {-1, -1};
  socket_pair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fd), 0); }
  ~socket_pair() {
    ::close(fd[0]);
    ::close(fd[1]);
  }
  socket_pair(const socket_pair&) = delete;
  socket_pair& operator=(const socket_pair&) = delete;
};

}  // namespace eddy::test
