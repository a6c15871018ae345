// SPDX-License-Identifier: MIT
#pragma once
// Servers for the client tests, on the test's own loop (127.0.0.1, port 0): the project's
// `http::app`, and raw TCP servers scripted byte by byte (stalls, chunking, early closes).

#include <functional>
#include <string>
#include <vector>

#include "eddy/http/app.hpp"
#include "eddy/net/address.hpp"
#include "eddy/net/tcp_listener.hpp"
#include "eddy/net/tcp_stream.hpp"
#include "eddy/runtime/spawn.hpp"

namespace eddy::test {

/// Serves an `http::app` until `stop()`.
class local_app {
 public:
  explicit local_app(http::app& a, http::serve_options o = {})
      : listener_(address::parse("127.0.0.1", 0).value()) {
    base_ = "http://127.0.0.1:" + std::to_string(listener_.local_address().port());
    handle_ = spawn(a.serve(listener_, o));
  }
  const std::string& base() const { return base_; }
  task<void> stop() {
    handle_.cancel();
    try {
      co_await handle_;
    } catch (...) {
    }
  }

 private:
  tcp_listener listener_;
  std::string base_;
  join_handle<void> handle_;
};

/// Accepts connections and runs `handler(stream, index)` (a captureless lambda) for each.
class raw_server {
 public:
  using handler = task<void> (*)(tcp_stream, int);
  explicit raw_server(handler h, listen_options o = {})
      : listener_(address::parse("127.0.0.1", 0).value(), o), handler_(h) {
    port_ = listener_.local_address().port();
    accept_ = spawn(accept_loop());
  }
  std::string base(std::string_view scheme = "http") const {
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(port_);
  }
  int accepted() const { return accepted_; }
  task<void> stop() {
    accept_.cancel();
    try {
      co_await accept_;
    } catch (...) {
    }
    for (auto& h : conns_) {
      h.cancel();
      try {
        co_await h;
      } catch (...) {
      }
    }
  }

 private:
  task<void> accept_loop() {
    for (;;) {
      auto s = co_await listener_.accept();
      if (!s) co_return;
      conns_.push_back(spawn(handler_(std::move(*s), accepted_++)));
    }
  }
  tcp_listener listener_;
  handler handler_;
  std::uint16_t port_ = 0;
  int accepted_ = 0;
  join_handle<void> accept_;
  std::vector<join_handle<void>> conns_;
};

/// Reads one request (head and Content-Length body); "" at end of stream or on error.
inline task<std::string> read_request(tcp_stream& s) {
  std::string in;
  char buf[4096];
  for (;;) {
    auto end = in.find("\r\n\r\n");
    if (end != std::string::npos) {
      std::size_t need = end + 4;
      auto cl = in.find("Content-Length: ");
      if (cl != std::string::npos && cl < end) need += std::stoul(in.substr(cl + 16));
      if (in.size() >= need) co_return in;
    }
    auto n = co_await s.read_some(buf);
    if (!n || *n == 0) co_return std::string();
    in.append(buf, *n);
  }
}

inline task<bool> send(tcp_stream& s, std::string_view data) {
  auto r = co_await s.write(std::span<const char>(data.data(), data.size()));
  co_return r.has_value();
}

}  // namespace eddy::test
