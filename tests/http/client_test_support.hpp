// SPDX-License-Identifier: MIT
#pragma once
// Servers for the client tests, on the test's own loop (127.0.0.1, port 0): the project's
// `http::app`, and raw TCP servers scripted byte by byte (stalls, chunking, early closes).

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "eddy/http/app.hpp"
#include "eddy/http/client.hpp"
#include "eddy/runtime/sleep.hpp"
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

/// Reads one request and never answers.
inline task<void> never_answer(tcp_stream s, int) {
  co_await read_request(s);
  co_await eddy::sleep_for(std::chrono::hours(1));
}

namespace http = eddy::http;

// The body as text, or "<error: ...>" (co_await cannot appear inside the EXPECT macros).
inline task<std::string> text_of(eddy::result<http::client_response>& r) {
  if (!r) co_return "<error: " + r.error().message() + ">";
  auto t = co_await r->text();
  if (!t) co_return "<error: " + t.error().message() + ">";
  co_return *t;
}

// The error of a GET (or none), for requests run with `spawn`.
inline task<std::error_code> get_error(http::client& c, std::string u) {
  auto r = co_await c.get(u);
  co_return r.error();
}

inline void add_routes(http::app& app) {
  app.get("/hello", [](http::request&) -> task<http::response> { co_return http::response::text("hello"); });
  app.get("/json", [](http::request&) -> task<http::response> {
    co_return http::response::json({{"n", 1}, {"s", "x"}});
  });
  app.get("/missing-here", [](http::request&) -> task<http::response> {
    co_return http::response::text("nope", 404);
  });
  app.get("/boom", [](http::request&) -> task<http::response> { co_return http::response::text("x", 503); });
  auto echo = [](http::request& req) -> task<http::response> {
    std::string out(req.method_name());
    out += "|" + std::string(req.header("Content-Type").value_or("-"));
    out += "|" + std::string(req.query_string());
    out += "|" + std::string(req.body());
    out += "|" + std::string(req.header("Authorization").value_or("-"));
    co_return http::response::text(out);
  };
  app.route(http::router::bit(http::method::get) | http::router::bit(http::method::post) |
                http::router::bit(http::method::put) | http::router::bit(http::method::patch) |
                http::router::bit(http::method::del),
            "/echo", echo);
  app.get("/r/<n:int>", [](http::request& req) -> task<http::response> {
    int n = req.param<int>("n");
    co_return http::response::redirect(n <= 1 ? "/hello" : "/r/" + std::to_string(n - 1), 302);
  });
  app.get("/loop", [](http::request&) -> task<http::response> { co_return http::response::redirect("/loop"); });
  app.post("/see-other", [](http::request&) -> task<http::response> {
    co_return http::response::redirect("/echo", 303);
  });
  app.post("/moved", [](http::request&) -> task<http::response> {
    co_return http::response::redirect("/echo", 301);
  });
  app.get("/slow/<n:int>", [](http::request& req) -> task<http::response> {
    co_await eddy::sleep_for(std::chrono::milliseconds(5));
    co_return http::response::text(std::to_string(req.param<int>("n")));
  });
  app.post("/temporary", [](http::request&) -> task<http::response> {
    co_return http::response::redirect("/echo?kept=1", 307);
  });
}

}  // namespace eddy::test
