// SPDX-License-Identifier: MIT
// Name resolution with c-ares, driven by the event loop through `watch_fd`: no resolver
// threads. Shared by examples/cares_resolve/main.cpp and tests/bridge/cares_test.cpp.
#pragma once

#include <ares.h>
#include <arpa/inet.h>
#include <netdb.h>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <eddy/bridge/from_callback.hpp>
#include <eddy/bridge/watch_fd.hpp>
#include <eddy/core/task.hpp>
#include <eddy/core/when_any.hpp>
#include <eddy/runtime/sleep.hpp>
#include <eddy/runtime/spawn.hpp>

/// A failed lookup: `status()` is the c-ares status (ARES_ENOTFOUND, ARES_ETIMEOUT, ...).
class dns_error : public std::runtime_error {
 public:
  explicit dns_error(int status) : std::runtime_error(ares_strerror(status)), status_(status) {}
  int status() const noexcept { return status_; }

 private:
  int status_;
};

/// `co_await resolver.resolve("host")` returns the host's IPv4 addresses. One c-ares channel;
/// while queries are pending a single driver task waits (with `watch_fd`) on every socket
/// c-ares uses and on c-ares' retransmission timeout, then lets c-ares process what is
/// ready. Use on one loop; outlive the queries.
class cares_resolver {
 public:
  /// `servers`: c-ares CSV ("127.0.0.1:5353"); empty uses /etc/resolv.conf.
  explicit cares_resolver(const std::string& servers = {}, std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) {
    static const int library = ares_library_init(ARES_LIB_INIT_ALL);
    if (library != ARES_SUCCESS) throw dns_error(library);
    ares_options opts{};
    opts.timeout = static_cast<int>(timeout.count());
    opts.tries = 2;
    opts.lookups = const_cast<char*>("b");  // DNS only, not /etc/hosts
    opts.ndomains = 0;                       // no search list
    const int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS | ARES_OPT_DOMAINS;
    if (int s = ares_init_options(&channel_, &opts, mask); s != ARES_SUCCESS) throw dns_error(s);
    if (!servers.empty()) {
      if (int s = ares_set_servers_ports_csv(channel_, servers.c_str()); s != ARES_SUCCESS) {
        ares_destroy(channel_);
        throw dns_error(s);
      }
    }
  }
  cares_resolver(const cares_resolver&) = delete;
  cares_resolver& operator=(const cares_resolver&) = delete;
  ~cares_resolver() {
    driver_.cancel();
    ares_destroy(channel_);  // pending queries complete with ARES_EDESTRUCTION
  }

  /// The IPv4 addresses of `name`. Throws `dns_error` when the lookup fails.
  eddy::task<std::vector<std::string>> resolve(std::string name) {
    using done = eddy::completion<void(int, std::vector<std::string>)>;
    ++pending_;
    if (!driving_) {
      driving_ = true;
      driver_ = eddy::spawn(drive());
    }
    auto [status, addresses] = co_await eddy::from_callback<void(int, std::vector<std::string>)>(
        [&](done cb) {
          ares_gethostbyname(channel_, name.c_str(), AF_INET, &on_host, new query{this, std::move(cb)});
        });
    if (status != ARES_SUCCESS) throw dns_error(status);
    co_return addresses;
  }

 private:
  struct query {
    cares_resolver* self;
    eddy::completion<void(int, std::vector<std::string>)> done;
  };

  static void on_host(void* arg, int status, int, hostent* host) {
    auto* q = static_cast<query*>(arg);
    --q->self->pending_;
    std::vector<std::string> out;
    if (status == ARES_SUCCESS && host) {
      for (char** a = host->h_addr_list; *a; ++a) {
        char text[INET_ADDRSTRLEN];
        if (inet_ntop(AF_INET, *a, text, sizeof text)) out.emplace_back(text);
      }
    }
    q->done(status, std::move(out));
    delete q;
  }

  struct ready {
    ares_socket_t readable = ARES_SOCKET_BAD;
    ares_socket_t writable = ARES_SOCKET_BAD;
  };

  static eddy::task<ready> watch(ares_socket_t fd, eddy::fd_interest interest) {
    auto r = co_await eddy::watch_fd(fd, interest);
    if (!r) {
      if (r.error() == eddy::make_error_code(eddy::errc::operation_canceled)) throw eddy::cancelled_error();
      co_return ready{fd, fd};  // let c-ares see the socket error itself
    }
    co_return ready{r->readable ? fd : ARES_SOCKET_BAD, r->writable ? fd : ARES_SOCKET_BAD};
  }

  static eddy::task<ready> timer(std::chrono::microseconds d) {
    co_await eddy::sleep_for(d);
    co_return ready{};
  }

  // Runs while queries are pending. Each round waits for the first socket to become ready or
  // for c-ares' next timeout; `when_any` cancels the other waits, which deregisters their
  // descriptors before c-ares may close them.
  eddy::task<void> drive() {
    while (pending_ > 0) {
      ares_socket_t socks[ARES_GETSOCK_MAXNUM];
      const int bits = ares_getsock(channel_, socks, ARES_GETSOCK_MAXNUM);
      std::vector<eddy::task<ready>> waits;
      for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
        const bool r = ARES_GETSOCK_READABLE(bits, i), w = ARES_GETSOCK_WRITABLE(bits, i);
        if (!r && !w) continue;
        auto interest = r && w ? eddy::fd_interest::readable | eddy::fd_interest::writable
                               : r ? eddy::fd_interest::readable : eddy::fd_interest::writable;
        waits.push_back(watch(socks[i], interest));
      }
      timeval max{1, 0}, tv{};
      timeval* t = ares_timeout(channel_, &max, &tv);
      waits.push_back(timer(std::chrono::seconds(t->tv_sec) + std::chrono::microseconds(t->tv_usec)));
      auto first = co_await eddy::when_any(std::move(waits));
      ares_process_fd(channel_, first.value.readable, first.value.writable);  // BAD,BAD: timeouts
    }
    driving_ = false;
  }

  ares_channel channel_ = nullptr;
  int pending_ = 0;  // queries c-ares has not answered yet
  bool driving_ = false;
  eddy::join_handle<void> driver_;
};
