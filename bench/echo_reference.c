// SPDX-License-Identifier: MIT
#define _GNU_SOURCE  // accept4
// Speed-of-light reference for bench/run_echo_bench.sh: a minimal single-threaded,
// level-triggered epoll TCP echo server in C. One 16 KiB read buffer shared by all
// connections; bytes a client does not take at once are kept per connection and the
// connection is read no further until they are written (EPOLLOUT).
//
//   echo_reference PORT [--probe]    (listens on 127.0.0.1; runs until killed)
// --probe: after echoing, read once more (normally EAGAIN), as an edge-triggered server that
// reads until EAGAIN does; measures what that extra syscall per message costs.
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

enum { chunk = 16 * 1024, max_events = 256 };

struct conn {
  int fd;
  char* pending;  // unwritten bytes (NULL when none)
  size_t off, len;
};

static void die(const char* what) {
  fprintf(stderr, "echo_reference: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void drop(struct conn* c) {
  close(c->fd);
  free(c->pending);
  free(c);
}

static void set_events(int ep, struct conn* c, unsigned events) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0) die("epoll_ctl");
}

// Writes what is pending; returns 0 when all is written, 1 when the socket is full, -1 on error.
static int flush(struct conn* c) {
  while (c->off < c->len) {
    ssize_t w = send(c->fd, c->pending + c->off, c->len - c->off, MSG_NOSIGNAL);
    if (w < 0) return errno == EAGAIN ? 1 : -1;
    c->off += (size_t)w;
  }
  free(c->pending);
  c->pending = NULL;
  c->off = c->len = 0;
  return 0;
}

int main(int argc, char** argv) {
  int probe = argc == 3 && strcmp(argv[2], "--probe") == 0;
  if (argc != 2 && !probe) {
    fprintf(stderr, "usage: echo_reference PORT [--probe]\n");
    return 2;
  }
  char* end = NULL;
  long port = strtol(argv[1], &end, 10);
  if (*argv[1] == '\0' || *end != '\0' || port < 0 || port > 65535) {
    fprintf(stderr, "echo_reference: bad port '%s'\n", argv[1]);
    return 2;
  }
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (lfd < 0) die("socket");
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lfd, (struct sockaddr*)&addr, sizeof addr) != 0) die("bind");
  if (listen(lfd, 4096) != 0) die("listen");
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev) != 0) die("epoll_ctl");

  static char buf[chunk];
  struct epoll_event events[max_events];
  for (;;) {
    int n = epoll_wait(ep, events, max_events, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      struct conn* c = events[i].data.ptr;
      if (c == NULL) {  // the listener
        for (;;) {
          int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (fd < 0) break;  // EAGAIN, or a connection reset before we got to it
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct conn* nc = calloc(1, sizeof *nc);
          if (nc == NULL) {
            close(fd);
            continue;
          }
          nc->fd = fd;
          struct epoll_event ev = {.events = EPOLLIN, .data.ptr = nc};
          if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) die("epoll_ctl");
        }
        continue;
      }
      if (c->pending != NULL) {  // waiting for EPOLLOUT
        int r = flush(c);
        if (r < 0) {
          drop(c);
        } else if (r == 0) {
          set_events(ep, c, EPOLLIN);
        }
        continue;
      }
      ssize_t r = recv(c->fd, buf, sizeof buf, 0);
      if (r < 0) {
        if (errno != EAGAIN) drop(c);
        continue;
      }
      if (r == 0) {
        drop(c);
        continue;
      }
      ssize_t w = send(c->fd, buf, (size_t)r, MSG_NOSIGNAL);
      if (w < 0) {
        if (errno != EAGAIN) {
          drop(c);
          continue;
        }
        w = 0;
      }
      if (w < r) {
        c->len = (size_t)(r - w);
        c->off = 0;
        c->pending = malloc(c->len);
        if (c->pending == NULL) {
          drop(c);
          continue;
        }
        memcpy(c->pending, buf + w, c->len);
        set_events(ep, c, EPOLLOUT);
      } else if (probe) {
        char extra[16 * 1024];
        ssize_t more = recv(c->fd, extra, sizeof extra, 0);
        if (more == 0 || (more < 0 && errno != EAGAIN)) {
          drop(c);
        } else if (more > 0 && send(c->fd, extra, (size_t)more, MSG_NOSIGNAL) != more) {
          drop(c);  // rare (a client pipelining); good enough for a measurement aid
        }
      }
    }
  }
}
