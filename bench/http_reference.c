// SPDX-License-Identifier: MIT
// Speed-of-light reference for the HTTP benchmark: a single-threaded epoll HTTP/1.1
// server answering GET /plaintext and GET /json with keep-alive and pipelining. Every
// complete request in one read is answered, and the whole batch goes out in one write.
// Anything else gets 404; a malformed or oversized request closes the connection.
// Usage: http_reference [port]   (prints "listening on PORT" once ready; 0 = any port)
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { in_cap = 8192, out_cap = 16384, max_events = 256 };

struct conn {
  int fd;
  size_t in_len;
  size_t out_len;
  size_t out_off;
  char in[in_cap];
  char out[out_cap];
};

static char date_header[64];  // "Date: ...\r\n", refreshed once per second
static size_t date_len;
static time_t date_at;

static void refresh_date(void) {
  time_t now = time(NULL);
  if (now == date_at) return;
  date_at = now;
  struct tm tm;
  gmtime_r(&now, &tm);
  date_len = strftime(date_header, sizeof date_header, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
}

static const char plain_head[] = "HTTP/1.1 200 OK\r\nServer: ref\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n";
static const char plain_body[] = "Hello, World!";
static const char json_head[] =
    "HTTP/1.1 200 OK\r\nServer: ref\r\nContent-Type: application/json\r\nContent-Length: 27\r\n";
static const char json_body[] = "{\"message\":\"Hello, World!\"}";
static const char missing_head[] = "HTTP/1.1 404 Not Found\r\nServer: ref\r\nContent-Length: 0\r\n";

static void append(struct conn* c, const char* p, size_t n) {
  memcpy(c->out + c->out_len, p, n);
  c->out_len += n;
}

// Appends one response; false when the output buffer is full (the rest waits).
static int respond(struct conn* c, const char* req, size_t req_len) {
  const char *head = missing_head, *body = "";
  size_t head_len = sizeof missing_head - 1, body_len = 0;
  if (req_len >= 15 && memcmp(req, "GET /plaintext ", 15) == 0) {
    head = plain_head, head_len = sizeof plain_head - 1, body = plain_body, body_len = sizeof plain_body - 1;
  } else if (req_len >= 10 && memcmp(req, "GET /json ", 10) == 0) {
    head = json_head, head_len = sizeof json_head - 1, body = json_body, body_len = sizeof json_body - 1;
  }
  if (c->out_len + head_len + date_len + 2 + body_len > out_cap) return 0;
  append(c, head, head_len);
  append(c, date_header, date_len);
  append(c, "\r\n", 2);
  append(c, body, body_len);
  return 1;
}

static void close_conn(int ep, struct conn* c) {
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  free(c);
}

// Writes pending output; 1 = all written, 0 = would block, -1 = error.
static int flush_out(struct conn* c) {
  while (c->out_off < c->out_len) {
    ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN ? 0 : -1;
    }
    c->out_off += (size_t)n;
  }
  c->out_off = c->out_len = 0;
  return 1;
}

// Answers every complete request in the input buffer; -1 = close the connection.
static int handle_input(struct conn* c) {
  size_t pos = 0;
  for (;;) {
    char* end = memmem(c->in + pos, c->in_len - pos, "\r\n\r\n", 4);
    if (end == NULL) break;
    size_t req_len = (size_t)(end - (c->in + pos)) + 4;
    if (!respond(c, c->in + pos, req_len)) break;
    pos += req_len;
  }
  memmove(c->in, c->in + pos, c->in_len - pos);
  c->in_len -= pos;
  if (c->in_len == in_cap) return -1;  // a request head larger than the buffer
  return 0;
}

static void on_readable(int ep, struct conn* c) {
  for (;;) {
    ssize_t n = recv(c->fd, c->in + c->in_len, in_cap - c->in_len, 0);
    if (n == 0) {
      close_conn(ep, c);
      return;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      close_conn(ep, c);
      return;
    }
    c->in_len += (size_t)n;
    if (handle_input(c) < 0) {
      close_conn(ep, c);
      return;
    }
    if ((size_t)n < in_cap) break;  // short read: the socket is drained for now
  }
  int r = flush_out(c);
  if (r < 0) {
    close_conn(ep, c);
    return;
  }
  struct epoll_event ev = {.events = EPOLLIN | (r == 0 ? EPOLLOUT : 0), .data.ptr = c};
  if (r == 0) epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void on_writable(int ep, struct conn* c) {
  int r = flush_out(c);
  if (r < 0) {
    close_conn(ep, c);
    return;
  }
  if (r == 1) {
    if (handle_input(c) < 0 || flush_out(c) < 0) {  // requests held back by a full buffer
      close_conn(ep, c);
      return;
    }
    struct epoll_event ev = {.events = EPOLLIN | (c->out_len ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
  }
}

int main(int argc, char** argv) {
  char* end = NULL;
  long port = argc > 1 ? strtol(argv[1], &end, 10) : 8080;
  if (argc > 2 || (argc > 1 && (end == argv[1] || *end != '\0')) || port < 0 || port > 65535) {
    fprintf(stderr, "usage: %s [port]   (the speed-of-light HTTP server; 0 = any port)\n", argv[0]);
    return argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) ? 0 : 2;
  }
  signal(SIGPIPE, SIG_IGN);
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lfd, (struct sockaddr*)&addr, sizeof addr) != 0 || listen(lfd, 4096) != 0) {
    perror("bind/listen");
    return 1;
  }
  socklen_t alen = sizeof addr;
  getsockname(lfd, (struct sockaddr*)&addr, &alen);
  printf("listening on %d\n", ntohs(addr.sin_port));
  fflush(stdout);

  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);
  struct epoll_event events[max_events];
  refresh_date();
  for (;;) {
    int n = epoll_wait(ep, events, max_events, 1000);
    if (n < 0 && errno != EINTR) {
      perror("epoll_wait");
      return 1;
    }
    refresh_date();
    for (int i = 0; i < n; ++i) {
      struct conn* c = events[i].data.ptr;
      if (c == NULL) {
        for (;;) {
          int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (fd < 0) break;
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct conn* nc = malloc(sizeof *nc);
          if (nc == NULL) {
            close(fd);
            continue;
          }
          nc->fd = fd;
          nc->in_len = nc->out_len = nc->out_off = 0;
          struct epoll_event ev = {.events = EPOLLIN, .data.ptr = nc};
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        }
        continue;
      }
      if (events[i].events & EPOLLOUT) {
        on_writable(ep, c);
      } else if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        on_readable(ep, c);
      }
    }
  }
}
