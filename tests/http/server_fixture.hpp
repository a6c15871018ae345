// SPDX-License-Identifier: MIT
#pragma once
// Shared by the server_*_test.cpp files: an `http::app` serving 127.0.0.1 (port 0) on its own
// loop in a background thread, a blocking-socket client that parses responses byte for byte,
// and the routes and options the tests use.
#include "eddy/http/app.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "eddy/net/address.hpp"
#include "eddy/net/tcp_listener.hpp"
#include "eddy/runtime/event_loop.hpp"
#include "eddy/runtime/run.hpp"
#include "eddy/runtime/sleep.hpp"
#include "eddy/runtime/spawn.hpp"

using namespace std::chrono_literals;
using eddy::task;
using eddy::http::request;
using eddy::http::response;
namespace http = eddy::http;
namespace fs = std::filesystem;

namespace {

// ---------------------------------------------------------------------------------------
// The server under test: an app on its own loop and thread.

class test_server {
 public:
  test_server(std::function<void(http::app&)> setup, http::serve_options options = {}) : app_("test") {
    setup(app_);
    std::promise<std::uint16_t> bound;
    auto port = bound.get_future();
    // The loop outlives the thread: `post` from the test thread may still be waking it when
    // the serving task (and so the thread) has finished.
    loop_ = std::make_unique<eddy::event_loop>();
    thread_ = std::thread([this, options, &bound] {
      eddy::event_loop& loop = *loop_;
      try {
        eddy::tcp_listener listener(loop, eddy::address::parse("127.0.0.1", 0).value());
        bound.set_value(listener.local_address().port());
        eddy::run_until_complete(loop, main(listener, options));
        loop.drain();
      } catch (...) {
        try {
          bound.set_exception(std::current_exception());
        } catch (const std::future_error&) {
          failure_ = std::current_exception();
        }
      }
    });
    port_ = port.get();
  }
  ~test_server() { stop(); }
  test_server(const test_server&) = delete;
  test_server& operator=(const test_server&) = delete;

  std::uint16_t port() const noexcept { return port_; }

  /// Asks the server to stop (cancels `serve`, which drains) without waiting.
  void request_stop() {
    if (stop_requested_) return;
    stop_requested_ = true;
    loop_->post([this] {
      stopping_ = true;
      if (serving_) serving_->cancel();
    });
  }

  /// Stops the server and waits for its thread.
  void stop() {
    if (!thread_.joinable()) return;
    request_stop();
    thread_.join();
    if (failure_) std::rethrow_exception(failure_);
  }

 private:
  task<void> main(eddy::tcp_listener& listener, http::serve_options options) {
    if (stopping_) co_return;
    serving_.emplace(eddy::spawn(app_.serve(listener, options)));
    try {
      co_await *serving_;
    } catch (const eddy::cancelled_error&) {
    }
  }

  http::app app_;
  std::unique_ptr<eddy::event_loop> loop_;
  std::optional<eddy::join_handle<void>> serving_;  // loop thread only
  bool stopping_ = false;                            // loop thread only
  bool stop_requested_ = false;                      // test thread only
  std::exception_ptr failure_;
  std::thread thread_;
  std::uint16_t port_ = 0;
};

// ---------------------------------------------------------------------------------------
// A tiny blocking HTTP/1.1 client that parses responses itself (independent of eddy's parser).

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct wire_response {
  std::string status_line;
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;                                          // de-chunked
  std::string raw_body;                                      // as on the wire

  std::optional<std::string> header(std::string_view name) const {
    for (const auto& [n, v] : headers)
      if (n == name) return v;
    return std::nullopt;
  }
  std::size_t count(std::string_view name) const {
    return static_cast<std::size_t>(std::count_if(headers.begin(), headers.end(), [&](const auto& h) { return h.first == name; }));
  }
};

class client {
 public:
  explicit client(std::uint16_t port, std::chrono::milliseconds recv_timeout = 5s) : timeout_(recv_timeout) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    int rcvbuf = 64 * 1024;  // before connect: a bounded window, so a peer that does not read is felt
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) throw std::runtime_error("connect failed");
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~client() {
    if (fd_ >= 0) ::close(fd_);
  }
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  /// Reads one response; nullopt if the connection closed or timed out before it was whole.
  /// `no_body`: the request was HEAD.
  std::optional<wire_response> read_response(bool no_body = false) {
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) return std::nullopt;
    wire_response r;
    std::string head = buf_.substr(0, end + 2);
    buf_.erase(0, end + 4);
    std::size_t eol = head.find("\r\n");
    r.status_line = head.substr(0, eol);
    if (r.status_line.size() < 12 || r.status_line.substr(0, 5) != "HTTP/") return std::nullopt;
    r.status = std::atoi(r.status_line.c_str() + 9);
    for (std::size_t pos = eol + 2; pos < head.size();) {
      std::size_t next = head.find("\r\n", pos);
      std::string line = head.substr(pos, next - pos);
      pos = next + 2;
      auto colon = line.find(':');
      if (colon == std::string::npos) return std::nullopt;
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      while (!value.empty() && value.back() == ' ') value.pop_back();
      r.headers.emplace_back(lower(line.substr(0, colon)), value);
    }
    if (no_body || r.status / 100 == 1 || r.status == 204 || r.status == 304) return r;
    if (auto te = r.header("transfer-encoding"); te && lower(*te) == "chunked") {
      for (;;) {
        std::size_t line_end;
        while ((line_end = buf_.find("\r\n")) == std::string::npos)
          if (!fill()) return std::nullopt;
        std::string size_line = buf_.substr(0, line_end);
        std::size_t size = std::stoul(size_line.substr(0, size_line.find(';')), nullptr, 16);
        if (size == 0) {
          // Trailers up to the empty line.
          std::size_t stop;
          for (;;) {
            if (buf_.size() >= line_end + 4 && buf_.compare(line_end + 2, 2, "\r\n") == 0) {
              stop = line_end + 4;
              break;
            }
            if (auto t = buf_.find("\r\n\r\n", line_end); t != std::string::npos) {
              stop = t + 4;
              break;
            }
            if (!fill()) return std::nullopt;
          }
          r.raw_body += buf_.substr(0, stop);
          buf_.erase(0, stop);
          return r;
        }
        while (buf_.size() < line_end + 2 + size + 2)
          if (!fill()) return std::nullopt;
        if (buf_.compare(line_end + 2 + size, 2, "\r\n") != 0) return std::nullopt;
        r.body += buf_.substr(line_end + 2, size);
        r.raw_body += buf_.substr(0, line_end + 2 + size + 2);
        buf_.erase(0, line_end + 2 + size + 2);
      }
    }
    if (auto cl = r.header("content-length")) {
      std::size_t n = std::stoul(*cl);
      while (buf_.size() < n)
        if (!fill()) return std::nullopt;
      r.body = r.raw_body = buf_.substr(0, n);
      buf_.erase(0, n);
      return r;
    }
    while (fill()) {
    }
    r.body = r.raw_body = std::move(buf_);
    buf_.clear();
    return r;
  }

  /// Sends `request` and reads its response.
  std::optional<wire_response> roundtrip(std::string_view request, bool no_body = false) {
    if (!send(request)) return std::nullopt;
    return read_response(no_body);
  }

  /// True if the peer closes (EOF or reset) within `wait`; bytes that arrive meanwhile are kept.
  bool closed_within(std::chrono::milliseconds wait = 3s) {
    auto until = std::chrono::steady_clock::now() + wait;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      if (left <= 0ms) return false;
      pollfd p{fd_, POLLIN, 0};
      int r = ::poll(&p, 1, static_cast<int>(left.count()));
      if (r <= 0) return false;
      char tmp[4096];
      ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET || errno == EPIPE;
      buf_.append(tmp, static_cast<std::size_t>(n));
    }
  }

  /// Bytes received but not consumed by `read_response`.
  const std::string& pending() const noexcept { return buf_; }

 private:
  bool fill() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout_.count())) <= 0) return false;
    char tmp[16384];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::chrono::milliseconds timeout_;
  std::string buf_;
};

std::string get(std::string_view target, std::string_view extra_headers = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra_headers) + "\r\n";
}

// ---------------------------------------------------------------------------------------
// The app used by most tests.

struct custom_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// Thrown after the handler waited; its exception handler waits too.
struct late_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string trace;  // middleware order, written on the server's thread, read from a header

eddy::http::middleware tracer(std::string name) {
  return [name](request& req, http::next_handler next) -> task<response> {
    trace += name + "(";
    response r = co_await next(req);
    trace += ")" + name;
    co_return r;
  };
}

fs::path make_static_root() {
  static fs::path root = [] {
    fs::path base = fs::temp_directory_path() / ("eddy-server-test-" + std::to_string(::getpid()));
    fs::create_directories(base / "pub" / "sub");
    std::ofstream(base / "pub" / "hello.txt") << "static hello\n";
    std::ofstream(base / "pub" / "digits.txt") << "0123456789";
    std::ofstream(base / "pub" / "sub" / "index.html") << "<p>sub</p>";
    std::ofstream(base / "secret.txt") << "TOPSECRET";
    return base;
  }();
  return root;
}

void standard_routes(http::app& app) {
  app.use([](request& req, http::next_handler next) -> task<response> {
    trace.clear();
    response r = co_await next(req);
    r.header("X-Trace", trace);
    co_return r;
  });
  app.use(tracer("1"));
  app.use(tracer("2"));
  app.get("/hello", [](request&) -> task<response> {
    trace += "h";
    co_return response::text("hello");
  });
  app.get("/own-framing", [](request&) -> task<response> {
    auto r = response::text("abc");
    r.header("Content-Length", "999");
    r.header("Transfer-Encoding", "chunked");
    co_return r;
  });
  app.post("/echo", [](request& req) -> task<response> {
    co_return response::bytes(std::string(req.body()), req.header("Content-Type").value_or("application/octet-stream"));
  });
  app.get("/sleep", [](request&) -> task<response> {
    co_await eddy::sleep_for(300ms);
    co_return response::text("slept");
  });
  app.get("/n/<v:int>", [](request& req) -> task<response> {
    co_return response::text(std::to_string(req.param<int>("v")));
  });
  app.get("/q", [](request& req) -> task<response> {
    std::string out;
    for (const auto& a : req.query_all("a")) out += a + ",";
    out += "|" + req.query("b").value_or("<none>");
    co_return response::text(out);
  });
  app.get("/cookies", [](request& req) -> task<response> {
    auto r = response::text(std::string(req.cookie("session").value_or("<none>")));
    r.cookie("seen", "1", "Path=/; HttpOnly");
    co_return r;
  });
  app.get("/boom", [](request&) -> task<response> {
    throw std::runtime_error("secret-detail-xyz");
    co_return response::text("unreachable");
  });
  app.get("/teapot", [](request&) -> task<response> {
    throw http::error(418, "short and stout");
    co_return response::text("unreachable");
  });
  app.get("/custom", [](request&) -> task<response> {
    throw custom_error("mapped detail");
    co_return response::text("unreachable");
  });
  app.get("/handler-fails", [](request&) -> task<response> {
    throw std::length_error("original");
    co_return response::text("unreachable");
  });
  app.on_exception<std::length_error>([](request&, const std::length_error&) -> task<response> {
    throw std::runtime_error("the exception handler broke");
    co_return response::text("unreachable");
  });
  app.get("/late-failure", [](request&) -> task<response> {
    co_await eddy::sleep_for(20ms);
    throw late_error("after a wait");
    co_return response::text("unreachable");
  });
  app.on_exception<late_error>([](request&, const late_error& e) -> task<response> {
    co_await eddy::sleep_for(20ms);
    co_return response::text(std::string("late: ") + e.what(), 410);
  });
  app.on_exception<custom_error>([](request&, const custom_error& e) -> task<response> {
    co_return response::text(std::string("custom: ") + e.what(), 409);
  });
  app.post("/items", [](request&) -> task<response> { co_return response::text("created", 201); });
  app.put("/items", [](request&) -> task<response> { co_return response::text("replaced"); });
  app.get("/stream", [](request& req) -> task<response> {
    auto& out = req.stream(200, "text/plain");
    co_await out.write("alpha");
    co_await out.write("");  // skipped: an empty chunk would end the body
    co_await out.write("beta!");
    co_await out.write(std::string(300, 'z'));
    co_return out.finish();
  });
  app.get("/stream-then-404", [](request& req) -> task<response> {
    (void)req.stream(200, "text/plain");
    throw http::error(404, "gone before the first byte");
    co_return response::text("unreachable");
  });
  app.get("/stream-then-fail", [](request& req) -> task<response> {
    auto& out = req.stream(200, "text/plain");
    co_await out.write("partial");
    throw std::runtime_error("failed midway");
    co_return out.finish();
  });
  app.get("/slow-stream", [](request& req) -> task<response> {
    auto& out = req.stream(200, "text/plain");
    for (int i = 0; i < 3; ++i) {
      co_await out.write("tick" + std::to_string(i) + "\n");
      co_await eddy::sleep_for(400ms);
    }
    co_return out.finish();
  });
  app.get("/big", [](request&) -> task<response> {
    std::string body(4 * 1024 * 1024, 'b');
    for (std::size_t i = 0; i < body.size(); i += 4096) body[i] = static_cast<char>('a' + (i / 4096) % 26);
    co_return response::bytes(std::move(body));
  });
  app.get("/path/<rest:path>", [](request& req) -> task<response> {
    co_return response::text(std::string(req.path()) + "|" + req.param<std::string>("rest"));
  });
  auto& bp = app.group("/bp");
  bp.use(tracer("3"));
  bp.get("/x", [](request&) -> task<response> {
    trace += "h";
    co_return response::text("bp");
  });
  app.static_files("/static", (make_static_root() / "pub").string());
}

http::serve_options standard_options() {
  http::serve_options o;
  o.limits.max_body_bytes = 64 * 1024;
  o.limits.max_target_bytes = 4 * 1024;
  o.limits.max_head_bytes = 8 * 1024;
  o.limits.max_header_count = 50;
  return o;
}

class Server : public ::testing::Test {
 protected:
  test_server server{standard_routes, standard_options()};
  std::uint16_t port() const { return server.port(); }
};

// ---------------------------------------------------------------------------------------


}  // namespace
