// SPDX-License-Identifier: MIT
// Idle keep-alive connections for the HTTP benchmark's memory figure: opens N connections
// to 127.0.0.1:PORT, sends one GET PATH on each and reads its complete response, then
// prints "ready N" and holds every connection open until stdin closes (or EOF is read).
// Exits 1 (with a message) if a connection fails or a response is not a 200.
// Usage: http_idle_clients PORT N [PATH]
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

// Reads one response (head plus Content-Length body); returns the status code or -1.
static int read_response(int fd) {
  char buf[4096];
  size_t len = 0;
  for (;;) {
    ssize_t n = recv(fd, buf + len, sizeof buf - 1 - len, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    len += (size_t)n;
    buf[len] = '\0';
    char* end = strstr(buf, "\r\n\r\n");
    if (end == NULL) {
      if (len == sizeof buf - 1) return -1;
      continue;
    }
    size_t head = (size_t)(end - buf) + 4;
    size_t body = 0;
    char* cl = strcasestr(buf, "\r\ncontent-length:");
    if (cl != NULL && cl < end) body = strtoul(cl + 17, NULL, 10);
    if (len >= head + body) return len > 12 ? atoi(buf + 9) : -1;
    if (head + body >= sizeof buf) return -1;
  }
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s PORT N [PATH]\n", argv[0]);
    return 2;
  }
  int port = atoi(argv[1]);
  long count = atol(argv[2]);
  const char* path = argc > 3 ? argv[3] : "/plaintext";
  char req[512];
  int req_len = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", path);
  if (port <= 0 || port > 65535 || count <= 0 || req_len >= (int)sizeof req) {
    fprintf(stderr, "bad arguments\n");
    return 2;
  }
  int* fds = calloc((size_t)count, sizeof *fds);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (long i = 0; i < count; ++i) {
    fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fds[i] < 0 || connect(fds[i], (struct sockaddr*)&addr, sizeof addr) != 0) {
      fprintf(stderr, "connection %ld: %s\n", i, strerror(errno));
      return 1;
    }
    if (send(fds[i], req, (size_t)req_len, MSG_NOSIGNAL) != req_len) {
      fprintf(stderr, "connection %ld: send failed\n", i);
      return 1;
    }
    int status = read_response(fds[i]);
    if (status != 200) {
      fprintf(stderr, "connection %ld: status %d\n", i, status);
      return 1;
    }
  }
  printf("ready %ld\n", count);
  fflush(stdout);
  char c;
  while (read(0, &c, 1) > 0) {
  }
  for (long i = 0; i < count; ++i) close(fds[i]);
  return 0;
}
