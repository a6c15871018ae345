// SPDX-License-Identifier: MIT
// eddy-test-labels: threads
// The HTTP server against a real client: an `http::app` serves 127.0.0.1 (port 0) on its own
// loop in a background thread, and the test thread talks to it over plain blocking sockets,
// byte for byte, so that framing, keep-alive, limits and timeouts are checked on the wire.
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

TEST_F(Server, ServesSeveralRequestsOnOneKeepAliveConnection) {
  client c(port());
  for (int i = 0; i < 5; ++i) {
    auto r = c.roundtrip(get("/n/" + std::to_string(i)));
    ASSERT_TRUE(r) << "request " << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, std::to_string(i));
    EXPECT_NE(r->header("connection").value_or(""), "close");
  }
  EXPECT_FALSE(c.closed_within(100ms));
}

TEST_F(Server, AddsDateServerAndContentLengthHeaders) {
  client c(port());
  auto r = c.roundtrip(get("/hello"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status_line, "HTTP/1.1 200 OK");
  EXPECT_EQ(r->header("server").value_or(""), "eddy");
  auto date = r->header("date");
  ASSERT_TRUE(date);
  EXPECT_TRUE(date->ends_with(" GMT")) << *date;
  EXPECT_EQ(date->size(), 29u) << *date;  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
  EXPECT_EQ(r->header("content-length").value_or(""), "5");
  EXPECT_EQ(r->header("content-type").value_or(""), "text/plain; charset=utf-8");
  EXPECT_EQ(r->count("date"), 1u);
  EXPECT_EQ(r->count("content-length"), 1u);
}

TEST_F(Server, Http10WithoutKeepAliveClosesAfterTheResponse) {
  client c(port());
  auto r = c.roundtrip("GET /hello HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello");
  EXPECT_TRUE(r->status_line.starts_with("HTTP/1.")) << r->status_line;
  EXPECT_TRUE(c.closed_within());
}

TEST_F(Server, Http10WithKeepAliveStaysOpen) {
  client c(port());
  auto r = c.roundtrip("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(lower(r->header("connection").value_or("")), "keep-alive");
  auto again = c.roundtrip("GET /n/7 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->body, "7");
}

TEST_F(Server, AnswersSixteenPipelinedRequestsInOrder) {
  client c(port());
  std::string batch;
  for (int i = 0; i < 16; ++i) batch += get("/n/" + std::to_string(i));
  ASSERT_TRUE(c.send(batch));
  for (int i = 0; i < 16; ++i) {
    auto r = c.read_response();
    ASSERT_TRUE(r) << "response " << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, std::to_string(i));
  }
  EXPECT_TRUE(c.pending().empty());
}

TEST_F(Server, PipelinedPostsWithBodiesKeepTheirBoundaries) {
  client c(port());
  std::string batch;
  for (int i = 0; i < 8; ++i) {
    std::string body = "body-" + std::to_string(i) + std::string(static_cast<std::size_t>(i) * 1000, 'x');
    batch += "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: text/x-" + std::to_string(i) +
             "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }
  ASSERT_TRUE(c.send(batch));
  for (int i = 0; i < 8; ++i) {
    auto r = c.read_response();
    ASSERT_TRUE(r) << "response " << i;
    EXPECT_EQ(r->header("content-type").value_or(""), "text/x-" + std::to_string(i));
    EXPECT_EQ(r->body, "body-" + std::to_string(i) + std::string(static_cast<std::size_t>(i) * 1000, 'x'));
  }
}

TEST_F(Server, ReadsChunkedRequestBodiesWithExtensionsAndTrailers) {
  client c(port());
  auto r = c.roundtrip(
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=value\r\nhello\r\n"
      "6\r\n world\r\n"
      "A;x\r\n0123456789\r\n"
      "0\r\nX-Checksum: abc\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello world0123456789");
  // The connection is still usable afterwards.
  auto next = c.roundtrip(get("/hello"));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "hello");
}

TEST_F(Server, ChunkedBodySentByteByByteIsReassembled) {
  client c(port());
  std::string req =
      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  for (char ch : req) {
    ASSERT_TRUE(c.send(std::string_view(&ch, 1)));
    std::this_thread::sleep_for(1ms);
  }
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "abcde");
}

TEST_F(Server, SendsContinueBeforeReadingTheBody) {
  client c(port());
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = c.read_response();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(c.send("howdy"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "howdy");
}

TEST_F(Server, RefusesAnOversizedExpectContinueWith413InsteadOf100) {
  client c(port());
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\nExpect: 100-continue\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(c.closed_within());
}

TEST_F(Server, HeadHasTheHeadersOfGetButNoBody) {
  client c(port());
  auto g = c.roundtrip(get("/hello"));
  ASSERT_TRUE(g);
  // HEAD then GET pipelined: if HEAD carried a body, the GET's response would be misread.
  ASSERT_TRUE(c.send("HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n" + get("/n/5")));
  auto h = c.read_response(/*no_body=*/true);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(h->header("content-length"), g->header("content-length"));
  EXPECT_EQ(h->header("content-type"), g->header("content-type"));
  auto after = c.read_response();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status_line, "HTTP/1.1 200 OK");
  EXPECT_EQ(after->body, "5");
}

TEST_F(Server, HeadOfAStreamedResponseSendsNoChunks) {
  client c(port());
  ASSERT_TRUE(c.send("HEAD /stream HTTP/1.1\r\nHost: t\r\n\r\n" + get("/n/6")));
  auto h = c.read_response(true);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  auto after = c.read_response();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status_line, "HTTP/1.1 200 OK");
  EXPECT_EQ(after->body, "6");
}

TEST_F(Server, HonoursConnectionClose) {
  client c(port());
  auto r = c.roundtrip(get("/hello", "Connection: close\r\n"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(lower(r->header("connection").value_or("")), "close");
  EXPECT_TRUE(c.closed_within());
}

TEST_F(Server, IgnoresRequestsPipelinedAfterConnectionClose) {
  client c(port());
  ASSERT_TRUE(c.send(get("/n/1", "Connection: close\r\n") + get("/n/2")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "1");
  EXPECT_TRUE(c.closed_within());
  EXPECT_TRUE(c.pending().empty()) << c.pending();
}

TEST_F(Server, RejectsHttp11WithoutHost) {
  client c(port());
  auto r = c.roundtrip("GET /hello HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(c.closed_within());
}

struct bad_request {
  const char* name;
  std::string bytes;
  std::vector<int> statuses;  // any of these
};

std::vector<bad_request> bad_requests() {
  std::string many_headers = "GET /hello HTTP/1.1\r\nHost: t\r\n";
  for (int i = 0; i < 60; ++i) many_headers += "X-H" + std::to_string(i) + ": v\r\n";
  many_headers += "\r\n";
  return {
      {"content-length and transfer-encoding",
       "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", {400}},
      {"transfer-encoding and content-length",
       "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", {400}},
      {"duplicate content-length",
       "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", {400}},
      {"content-length list", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5, 5\r\n\r\nhello", {400}},
      {"negative content-length", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n", {400}},
      {"bad chunk size", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", {400}},
      {"chunk size overflow",
       "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000001\r\nx\r\n", {400, 413}},
      {"obfuscated transfer-encoding",
       "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", {400, 501}},
      {"transfer-encoding not ending in chunked",
       "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", {400, 501}},
      {"space before colon", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n", {400}},
      {"header line folding", "GET /hello HTTP/1.1\r\nHost: t\r\nX-A: 1\r\n  folded\r\n\r\n", {400}},
      {"bare LF line endings", "GET /hello HTTP/1.1\nHost: t\n\n", {400}},
      {"bare CR in a header", "GET /hello HTTP/1.1\r\nHost: t\r\nX-A: a\rb\r\n\r\n", {400}},
      {"missing host", "GET /hello HTTP/1.1\r\n\r\n", {400}},
      {"two hosts", "GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", {400}},
      {"overlong target", "GET /" + std::string(5000, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n", {414}},
      {"huge header", "GET /hello HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(9000, 'b') + "\r\n\r\n", {431}},
      {"too many headers", many_headers, {431}},
      {"body over the limit", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 70000\r\n\r\n", {413}},
      {"chunked body over the limit",
       "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" +
           [] {
             std::string s;
             for (int i = 0; i < 20; ++i) s += "1000\r\n" + std::string(0x1000, 'c') + "\r\n";
             return s;
           }(),
       {413}},
      {"unknown version", "GET /hello HTTP/2.7\r\nHost: t\r\n\r\n", {400, 505}},
      {"garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 hello\r\n\r\n", {400}},
      {"encoded NUL in path", "GET /n/1%00 HTTP/1.1\r\nHost: t\r\n\r\n", {400, 404}},
  };
}

TEST_F(Server, AHandlersOwnFramingHeadersAreNotSent) {
  client c(port());
  auto r = c.roundtrip(get("/own-framing"));
  ASSERT_TRUE(r);
  int lengths = 0, encodings = 0;
  for (const auto& [name, value] : r->headers) {
    if (name == "content-length") ++lengths;
    if (name == "transfer-encoding") ++encodings;
  }
  EXPECT_EQ(lengths, 1);
  EXPECT_EQ(encodings, 0);
  EXPECT_EQ(r->header("content-length"), "3");
  EXPECT_EQ(r->body, "abc");
  // The connection is still in sync: a second request on it works.
  auto again = c.roundtrip(get("/hello"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
}

TEST_F(Server, AcceptsAbsoluteFormTargets) {
  // RFC 9112 3.2.2: a server must accept the absolute form; the path follows the authority.
  client c(port());
  ASSERT_TRUE(c.send("GET http://t/hello?x=1 HTTP/1.1\r\nHost: t\r\n\r\nGET HTTP://T HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto first = c.read_response();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  auto second = c.read_response();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 404);  // "/" is not routed in this app
}

TEST_F(Server, RejectsMalformedAndSmugglingRequestsAndClosesTheConnection) {
  for (const auto& bad : bad_requests()) {
    SCOPED_TRACE(bad.name);
    {
      client c(port());
      ASSERT_TRUE(c.send(bad.bytes));
      auto r = c.read_response();
      ASSERT_TRUE(r) << "no response";
      EXPECT_NE(std::find(bad.statuses.begin(), bad.statuses.end(), r->status), bad.statuses.end())
          << "status " << r->status;
      if (r->status >= 400 && r->status != 404) {
        EXPECT_EQ(lower(r->header("connection").value_or("")), "close");
        EXPECT_TRUE(c.closed_within()) << "connection left open";
      }
    }
    client fresh(port());
    auto ok = fresh.roundtrip(get("/hello"));
    ASSERT_TRUE(ok) << "server no longer serves";
    EXPECT_EQ(ok->status, 200);
  }
}

TEST_F(Server, RequestSmuggledInsideAChunkedBodyIsNotExecuted) {
  // A front end that honours Content-Length would see one request; we must not see two.
  client c(port());
  std::string smuggled = get("/n/666");
  std::string req = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(smuggled.size() + 5) +
                    "\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled;
  ASSERT_TRUE(c.send(req));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(c.closed_within());
  EXPECT_EQ(c.pending().find("666"), std::string::npos);
}

TEST_F(Server, Distinguishes404From405WithAllow) {
  client c(port());
  auto missing = c.roundtrip(get("/nope"));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto wrong = c.roundtrip(get("/items"));
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 405);
  auto allow = wrong->header("allow").value_or("");
  EXPECT_NE(allow.find("POST"), std::string::npos) << allow;
  EXPECT_NE(allow.find("PUT"), std::string::npos) << allow;
  EXPECT_EQ(allow.find("GET"), std::string::npos) << allow;
  // Errors do not end a keep-alive connection.
  auto ok = c.roundtrip("POST /items HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 201);
}

TEST_F(Server, RunsMiddlewareAsAnOnionAndBlueprintMiddlewareInside) {
  client c(port());
  auto r = c.roundtrip(get("/hello"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("x-trace").value_or(""), "1(2(h)2)1");
  auto b = c.roundtrip(get("/bp/x"));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->body, "bp");
  EXPECT_EQ(b->header("x-trace").value_or(""), "1(2(3(h)3)2)1");
}

TEST_F(Server, MapsExceptionsWithOnException) {
  client c(port());
  auto r = c.roundtrip(get("/custom"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409);
  EXPECT_EQ(r->body, "custom: mapped detail");
}

TEST_F(Server, AnswersWith500WhenAnExceptionHandlerItselfThrows) {
  client c(port());
  auto r = c.roundtrip(get("/handler-fails"));
  ASSERT_TRUE(r) << "no response at all";
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->body.find("broke"), std::string::npos) << r->body;
  auto next = c.roundtrip(get("/hello"));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
}

TEST_F(Server, HidesTheTextOfUnexpectedExceptionsBehind500) {
  client c(port());
  auto r = c.roundtrip(get("/boom"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->body.find("secret-detail-xyz"), std::string::npos) << r->body;
  auto next = c.roundtrip(get("/hello"));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
}

TEST_F(Server, SendsHttpErrorStatusAndMessage) {
  client c(port());
  auto r = c.roundtrip(get("/teapot"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 418);
  EXPECT_NE(r->body.find("short and stout"), std::string::npos) << r->body;
}

TEST_F(Server, MatchesTypedParametersOnly) {
  client c(port());
  auto ok = c.roundtrip(get("/n/42"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->body, "42");
  auto neg = c.roundtrip(get("/n/-3"));
  ASSERT_TRUE(neg);
  EXPECT_EQ(neg->body, "-3");
  auto bad = c.roundtrip(get("/n/abc"));
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 404);
}

TEST_F(Server, OutOfRangeIntegerParameterIs400Not500) {
  client c(port());
  auto r = c.roundtrip(get("/n/99999999999999999999"));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->status == 400 || r->status == 404) << r->status;
}

TEST_F(Server, DecodesQueryArguments) {
  client c(port());
  auto r = c.roundtrip(get("/q?a=1&a=2&b=x+y%21"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "1,2,|x y!");
  auto none = c.roundtrip(get("/q"));
  ASSERT_TRUE(none);
  EXPECT_EQ(none->body, "|<none>");
}

TEST_F(Server, ReadsAndSetsCookies) {
  client c(port());
  auto r = c.roundtrip(get("/cookies", "Cookie: a=1; session=abc123; z=9\r\n"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "abc123");
  EXPECT_EQ(r->header("set-cookie").value_or(""), "seen=1; Path=/; HttpOnly");
}

TEST_F(Server, ServesStaticFilesWithRangesAndConditionalRequests) {
  client c(port());
  auto full = c.roundtrip(get("/static/hello.txt"));
  ASSERT_TRUE(full);
  EXPECT_EQ(full->status, 200);
  EXPECT_EQ(full->body, "static hello\n");
  EXPECT_EQ(full->header("content-type").value_or(""), "text/plain; charset=utf-8");
  EXPECT_EQ(full->header("accept-ranges").value_or(""), "bytes");
  auto etag = full->header("etag");
  ASSERT_TRUE(etag);

  auto part = c.roundtrip(get("/static/digits.txt", "Range: bytes=2-5\r\n"));
  ASSERT_TRUE(part);
  EXPECT_EQ(part->status, 206);
  EXPECT_EQ(part->body, "2345");
  EXPECT_EQ(part->header("content-range").value_or(""), "bytes 2-5/10");

  auto suffix = c.roundtrip(get("/static/digits.txt", "Range: bytes=-3\r\n"));
  ASSERT_TRUE(suffix);
  EXPECT_EQ(suffix->status, 206);
  EXPECT_EQ(suffix->body, "789");

  auto bad = c.roundtrip(get("/static/digits.txt", "Range: bytes=50-60\r\n"));
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 416);
  EXPECT_EQ(bad->header("content-range").value_or(""), "bytes */10");

  auto cached = c.roundtrip(get("/static/hello.txt", "If-None-Match: " + *etag + "\r\n"));
  ASSERT_TRUE(cached);
  EXPECT_EQ(cached->status, 304);
  EXPECT_TRUE(cached->body.empty());

  auto index = c.roundtrip(get("/static/sub/"));
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_EQ(index->body, "<p>sub</p>");

  auto head = c.roundtrip("HEAD /static/hello.txt HTTP/1.1\r\nHost: t\r\n\r\n", true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("content-length").value_or(""), "13");
  auto after = c.roundtrip(get("/n/1"));
  ASSERT_TRUE(after);
  EXPECT_EQ(after->body, "1");
}

TEST_F(Server, NeverServesFilesOutsideTheStaticRoot) {
  const char* attempts[] = {
      "/static/../secret.txt",          "/static/%2e%2e/secret.txt",       "/static/..%2fsecret.txt",
      "/static/%2e%2e%2fsecret.txt",    "/static/%252e%252e/secret.txt",   "/static/%252e%252e%252fsecret.txt",
      "/static/..%5csecret.txt",        "/static/%00../secret.txt",        "/static/hello.txt%00.png",
      "/static/./../secret.txt",        "/static/sub/../../secret.txt",    "/static//../secret.txt",
      "/static/%2E%2E/secret.txt",      "/static/.%2e/secret.txt",         "/static/..;/secret.txt",
      "/static/..%c0%afsecret.txt",     "/static/%2e%2e%5csecret.txt",     "/static/../../../../etc/passwd",
  };
  for (const char* target : attempts) {
    SCOPED_TRACE(target);
    client c(port());
    auto r = c.roundtrip(get(target));
    ASSERT_TRUE(r) << "no response";
    EXPECT_NE(r->status, 200);
    EXPECT_EQ(r->body.find("TOPSECRET"), std::string::npos);
    EXPECT_EQ(r->body.find("root:"), std::string::npos);
  }
}

TEST_F(Server, FramesStreamedResponsesAsChunks) {
  client c(port());
  auto r = c.roundtrip(get("/stream"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(lower(r->header("transfer-encoding").value_or("")), "chunked");
  EXPECT_FALSE(r->header("content-length"));
  EXPECT_EQ(r->body, "alphabeta!" + std::string(300, 'z'));
  EXPECT_EQ(r->raw_body, "5\r\nalpha\r\n5\r\nbeta!\r\n12c\r\n" + std::string(300, 'z') + "\r\n0\r\n\r\n");
  auto next = c.roundtrip(get("/n/3"));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "3");
}

TEST_F(Server, AnErrorBeforeTheFirstStreamedByteIsSentAsAnErrorResponse) {
  client c(port());
  auto r = c.roundtrip(get("/stream-then-404"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(r->body.find("gone before the first byte"), std::string::npos) << r->body;
}

TEST_F(Server, AStreamThatFailsMidwayIsNotTerminatedAsIfComplete) {
  client c(port());
  ASSERT_TRUE(c.send(get("/stream-then-fail")));
  // The client must see the truncation: no final chunk, then the connection closes.
  auto r = c.read_response();
  EXPECT_FALSE(r) << "the truncated body looked complete";
  EXPECT_EQ(c.pending().find("0\r\n\r\n"), std::string::npos) << c.pending();
  EXPECT_TRUE(c.closed_within());
}

TEST_F(Server, StreamsToHttp10ClientsWithoutChunking) {
  client c(port());
  auto r = c.roundtrip("GET /stream HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  // HTTP/1.0 has no chunked coding: the body is delimited by the close.
  EXPECT_FALSE(r->header("transfer-encoding"));
  EXPECT_EQ(r->body, "alphabeta!" + std::string(300, 'z'));
}

TEST_F(Server, AnswersAnOversizedBodySentWithoutExpectBeforeClosing) {
  // The client sends the whole body at once; the 413 must still reach it (the server must
  // not reset the connection with unread bytes before the response is read).
  client c(port());
  std::string body(200 * 1024, 'q');
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body.size()) +
                     "\r\n\r\n" + body));
  auto r = c.read_response();
  ASSERT_TRUE(r) << "413 lost";
  EXPECT_EQ(r->status, 413);
}

TEST_F(Server, ReassemblesABodyArrivingInPiecesWithTheNextRequestBehindIt) {
  client c(port());
  std::string body = std::string(30000, 'x') + "END";
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n"));
  std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(c.send(body.substr(0, 10000)));
  std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(c.send(body.substr(10000, 15000)));
  std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(c.send(body.substr(25000) + get("/n/9") + "GET /n/1"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body.size(), body.size());
  EXPECT_EQ(r->body, body);
  auto next = c.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "9");
  std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(c.send("0 HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto last = c.read_response();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->body, "10");
}

TEST_F(Server, ReadsAHeadSpreadOverManyReads) {
  client c(port());
  std::string req = "GET /n/77 HTTP/1.1\r\nHost: t\r\n";
  for (int i = 0; i < 40; ++i) req += "X-Filler-" + std::to_string(i) + ": " + std::string(150, 'f') + "\r\n";
  req += "\r\n";
  for (std::size_t i = 0; i < req.size(); i += 700) {
    ASSERT_TRUE(c.send(req.substr(i, 700)));
    std::this_thread::sleep_for(2ms);
  }
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "77");
}

TEST_F(Server, DoesNotSend100ContinueToAnHttp10Client) {
  client c(port());
  ASSERT_TRUE(c.send("POST /echo HTTP/1.0\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"));
  std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(c.send("abc"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_NE(r->status, 100) << "RFC 9110 10.1.1: no 100 (Continue) to an HTTP/1.0 client";
}

TEST_F(Server, SendsALargeResponseToASlowReader) {
  client c(port());
  ASSERT_TRUE(c.send(get("/big")));
  std::this_thread::sleep_for(300ms);  // the server's writes fill the socket buffers and park
  auto r = c.read_response();
  ASSERT_TRUE(r);
  ASSERT_EQ(r->body.size(), 4u * 1024 * 1024);
  EXPECT_EQ(r->body[4096 * 27], 'b');
  EXPECT_EQ(r->body[4096 * 30], 'e');
  auto next = c.roundtrip(get("/n/2"));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "2");
}

TEST_F(Server, SurvivesALongRunOfPipelinedRequestsThatNeverLetItSuspend) {
  // Requests keep arriving faster than they are answered, so every read and write completes
  // at once; the connection must not nest deeper with each request (stack overflow).
  constexpr int count = 30000;
  client c(port());
  std::thread sender([&] {
    std::string batch;
    for (int i = 0; i < 100; ++i) batch += get("/hello");
    for (int i = 0; i < count / 100; ++i)
      if (!c.send(batch)) return;
  });
  int ok = 0;
  for (int i = 0; i < count; ++i) {
    auto r = c.read_response();
    if (!r) break;
    ok += r->status == 200;
  }
  sender.join();
  EXPECT_EQ(ok, count);
}

TEST_F(Server, KeepsPipelinedResponsesInOrderAroundAStreamedOne) {
  client c(port());
  ASSERT_TRUE(c.send(get("/n/1") + get("/stream") + get("/n/2")));
  auto a = c.read_response();
  auto b = c.read_response();
  auto d = c.read_response();
  ASSERT_TRUE(a && b && d);
  EXPECT_EQ(a->body, "1");
  EXPECT_EQ(b->body, "alphabeta!" + std::string(300, 'z'));
  EXPECT_EQ(d->body, "2");
}

TEST_F(Server, AnswersPipelinedRequestsBeforeTheMalformedOneAfterThem) {
  client c(port());
  ASSERT_TRUE(c.send(get("/n/1") + get("/n/2") + "GET /n/3 HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n"));
  auto a = c.read_response();
  auto b = c.read_response();
  auto e = c.read_response();
  ASSERT_TRUE(a && b && e);
  EXPECT_EQ(a->body, "1");
  EXPECT_EQ(b->body, "2");
  EXPECT_EQ(e->status, 400);
  EXPECT_TRUE(c.closed_within());
}

// Sanitizers keep freed memory in quarantine and add shadow memory: peak RSS says nothing there.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool rss_is_meaningful = false;
#else
constexpr bool rss_is_meaningful = true;
#endif

long max_rss_kib() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

TEST_F(Server, DoesNotBufferEveryPipelinedResponseForAClientThatDoesNotRead) {
  // 100 pipelined requests for 4 MiB each: 400 MiB if the server batched them all.
  client c(port());
  const long before = max_rss_kib();
  std::string batch;
  for (int i = 0; i < 100; ++i) batch += get("/big");
  ASSERT_TRUE(c.send(batch));
  std::this_thread::sleep_for(1s);  // not reading: the server must stop and wait
  for (int i = 0; i < 100; ++i) {
    auto r = c.read_response();
    ASSERT_TRUE(r) << i;
    ASSERT_EQ(r->body.size(), 4u * 1024 * 1024);
  }
  if (rss_is_meaningful) {
    EXPECT_LT(max_rss_kib() - before, 128 * 1024) << "KiB of extra peak memory";
  }
}

TEST_F(Server, DecodesThePathBeforeRouting) {
  client c(port());
  auto r = c.roundtrip(get("/n/%34%32"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "42");
  auto p = c.roundtrip(get("/path/a%20b/./c/../d"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->body, "/path/a b/d|a b/d");
}

TEST_F(Server, AnswersOptionsAsterisk) {
  client c(port());
  auto r = c.roundtrip("OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_TRUE(r->header("allow"));
}

TEST_F(Server, ServesManyConnectionsAtOnce) {
  std::vector<std::unique_ptr<client>> clients;
  for (int i = 0; i < 64; ++i) {
    clients.push_back(std::make_unique<client>(port()));
    ASSERT_TRUE(clients.back()->send(get("/n/" + std::to_string(i))));
  }
  for (int i = 0; i < 64; ++i) {
    auto r = clients[static_cast<std::size_t>(i)]->read_response();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->body, std::to_string(i));
  }
}

TEST(ServerTimeouts, StreamingHandlerMayPauseLongerThanTheConnectionTimeouts) {
  auto options = standard_options();
  options.header_timeout = 150ms;
  options.keep_alive_timeout = 150ms;
  options.body_timeout = 150ms;
  options.write_timeout = 150ms;
  test_server server(standard_routes, options);
  client c(server.port());
  auto r = c.roundtrip(get("/slow-stream"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "tick0\ntick1\ntick2\n");
}

TEST(ServerTimeouts, ClosesAConnectionWhoseBodyStalls) {
  auto options = standard_options();
  options.body_timeout = 200ms;
  test_server server(standard_routes, options);
  client c(server.port());
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc"));
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.closed_within(5s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(ServerTimeouts, ClosesAConnectionWhosePeerStopsReading) {
  auto options = standard_options();
  options.write_timeout = 200ms;
  test_server server(standard_routes, options);
  client c(server.port());
  // Small receive buffer: the 4 MiB response cannot be parked in the kernel.
  ASSERT_TRUE(c.send(get("/big")));
  std::this_thread::sleep_for(1500ms);  // never reading meanwhile
  EXPECT_TRUE(c.closed_within(5s));
  EXPECT_LT(c.pending().size(), 4u * 1024 * 1024) << "the whole response fit in the buffers";
  client other(server.port());
  auto r = other.roundtrip(get("/hello"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(ServerLimits, RefusesConnectionsBeyondTheLimit) {
  auto options = standard_options();
  options.max_connections = 2;
  test_server server(standard_routes, options);
  client a(server.port());
  client b(server.port());
  ASSERT_TRUE(a.roundtrip(get("/hello")));
  ASSERT_TRUE(b.roundtrip(get("/hello")));
  client over(server.port());
  over.send(get("/hello"));
  EXPECT_TRUE(over.closed_within());
  auto still = a.roundtrip(get("/n/1"));
  ASSERT_TRUE(still);
  EXPECT_EQ(still->body, "1");
}

TEST(ServerTimeouts, ClosesAConnectionWhoseHeadStalls) {
  auto options = standard_options();
  options.header_timeout = 200ms;
  test_server server(standard_routes, options);
  client c(server.port());
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHo"));
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.closed_within(5s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(ServerTimeouts, HeaderTimeoutCountsFromTheStartOfTheHeadNotFromTheLastByte) {
  // Slowloris: one byte every 100 ms never lets a per-read timer of 300 ms fire.
  auto options = standard_options();
  options.header_timeout = 300ms;
  test_server server(standard_routes, options);
  client c(server.port());
  std::string head = "GET /hello HTTP/1.1\r\nHost: t\r\nX-Slow: " + std::string(100, 's');
  auto start = std::chrono::steady_clock::now();
  bool closed = false;
  for (char ch : head) {
    if (!c.send(std::string_view(&ch, 1)) || c.closed_within(100ms)) {
      closed = true;
      break;
    }
  }
  EXPECT_TRUE(closed) << "a head trickling in byte by byte was never cut off";
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(ServerTimeouts, BodyTimeoutAppliesBetweenReadsNotToTheWholeBody) {
  auto options = standard_options();
  options.body_timeout = 500ms;
  test_server server(standard_routes, options);
  client c(server.port());
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n"));
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(100ms);  // 1 s in all, each gap well under 500 ms
    ASSERT_TRUE(c.send(std::to_string(i)));
  }
  auto r = c.read_response();
  ASSERT_TRUE(r) << "a steadily arriving body was cut off";
  EXPECT_EQ(r->body, "0123456789");
}

TEST(ServerTimeouts, ClosesAnIdleKeepAliveConnection) {
  auto options = standard_options();
  options.keep_alive_timeout = 300ms;
  test_server server(standard_routes, options);
  client c(server.port());
  auto r = c.roundtrip(get("/hello"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.closed_within(5s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(ServerTimeouts, HeaderTimeoutDoesNotCutASlowHandler) {
  auto options = standard_options();
  options.header_timeout = 100ms;
  options.keep_alive_timeout = 100ms;
  test_server server(standard_routes, options);
  client c(server.port());
  auto r = c.roundtrip(get("/sleep"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "slept");
}

TEST(ServerShutdown, FinishesAnInFlightRequestAfterStopIsRequested) {
  test_server server(standard_routes, standard_options());
  client busy(server.port());
  client idle(server.port());
  ASSERT_TRUE(idle.roundtrip(get("/hello")));
  ASSERT_TRUE(busy.send(get("/sleep")));
  std::this_thread::sleep_for(100ms);  // the handler is now sleeping
  auto stop_at = std::chrono::steady_clock::now();
  server.request_stop();
  auto r = busy.read_response();
  auto arrived = std::chrono::steady_clock::now();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "slept");
  EXPECT_GE(arrived, stop_at);
  EXPECT_TRUE(busy.closed_within());
  EXPECT_TRUE(idle.closed_within());
  server.stop();
  // No longer accepting.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(server.port());
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_NE(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ::close(fd);
}

TEST(ServerShutdown, CancelsRequestsStillRunningAfterTheGracePeriod) {
  auto options = standard_options();
  options.graceful_timeout = 50ms;
  test_server server(standard_routes, options);
  client busy(server.port());
  ASSERT_TRUE(busy.send(get("/sleep")));
  std::this_thread::sleep_for(50ms);
  auto start = std::chrono::steady_clock::now();
  server.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  // Had the drain waited for the 300 ms handler, its response would be here.
  EXPECT_FALSE(busy.read_response()) << "the handler was waited for past the grace period";
  EXPECT_TRUE(busy.closed_within());
}

}  // namespace
