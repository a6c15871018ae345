// SPDX-License-Identifier: MIT
// eddy-test-labels: threads
// Request bodies read as they arrive (`route_options::stream_body`) and per-route body limits,
// over a real connection.
#include "eddy/http/body_stream.hpp"

#include <gtest/gtest.h>

#include <atomic>

#include "http/server_fixture.hpp"

namespace {

// What the handlers saw, read by the test thread after the response arrived.
struct observed {
  std::atomic<bool> handler_started{false};
  std::atomic<int> errors{0};
  std::atomic<std::uint64_t> largest_piece{0};
};

std::string post(std::string_view target, std::string_view body, std::string_view extra = "") {
  return "POST " + std::string(target) + " HTTP/1.1\r\nHost: t\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + std::string(extra) + "\r\n" + std::string(body);
}

std::string post_head(std::string_view target, std::size_t length, std::string_view extra = "") {
  return "POST " + std::string(target) + " HTTP/1.1\r\nHost: t\r\nContent-Length: " +
         std::to_string(length) + "\r\n" + std::string(extra) + "\r\n";
}

class BodyStream : public ::testing::Test {
 protected:
  static http::serve_options options() {
    http::serve_options o;
    o.limits.max_body_bytes = 1024 * 1024;  // routes below raise it for themselves
    o.body_timeout = 2s;
    return o;
  }

  void SetUp() override {
    server_ = std::make_unique<test_server>([this](http::app& app) { routes(app); }, options());
  }

  void routes(http::app& app) {
    http::route_options streamed{.name = {}, .stream_body = true, .max_body_bytes = 64 * 1024 * 1024};
    // Counts the body and checks its bytes (i-th byte is 'a' + i % 26) without keeping it.
    app.post("/count", [this](request& req) -> task<response> {
      seen_.handler_started = true;
      std::uint64_t n = 0;
      std::uint64_t pieces = 0;
      bool intact = true;
      std::optional<std::string_view> piece;
      try {
        while ((piece = co_await req.body_stream().next())) {
          for (char c : *piece) intact &= c == static_cast<char>('a' + (n++ % 26));
          ++pieces;
          if (piece->size() > seen_.largest_piece) seen_.largest_piece = piece->size();
        }
      } catch (const http::error&) {
        ++seen_.errors;
        throw;
      }
      co_return response::text("bytes=" + std::to_string(n) + " pieces=" + std::to_string(pieces) +
                               (intact ? " intact" : " corrupt"));
    }, streamed);
    // Reads one piece and answers, leaving the rest unread.
    app.post("/first", [](request& req) -> task<response> {
      auto piece = co_await req.body_stream().next();
      co_return response::text(piece ? "got some" : "empty");
    }, streamed);
    // Never reads the body.
    app.post("/ignore", [](request&) -> task<response> { co_return response::text("ignored"); }, streamed);
    // Whole bodies, with a small limit of its own.
    app.post("/small", [](request& req) -> task<response> {
      co_return response::text(std::string(req.body()));
    }, {.name = {}, .stream_body = false, .max_body_bytes = 10});
    // A plain route: body_stream() yields the body read beforehand, in one piece.
    app.post("/whole", [](request& req) -> task<response> {
      std::string out;
      int pieces = 0;
      while (auto p = co_await req.body_stream().next()) {
        out += *p;
        ++pieces;
      }
      co_return response::text(std::to_string(pieces) + ":" + out);
    });
    app.get("/ping", [](request&) -> task<response> { co_return response::text("pong"); });
  }

  static std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
    return s;
  }

  std::uint16_t port() const { return server_->port(); }

  observed seen_;
  std::unique_ptr<test_server> server_;
};

TEST_F(BodyStream, StreamsABodyEightTimesTheServerLimitInPieces) {
  const std::size_t size = 8 * 1024 * 1024;
  client c(port(), 10s);
  std::thread sender([&] { c.send(post("/count", pattern(size))); });
  auto r = c.read_response();
  sender.join();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(r->body.starts_with("bytes=" + std::to_string(size) + " pieces=")) << r->body;
  EXPECT_TRUE(r->body.ends_with(" intact")) << r->body;
  // Pieces are network reads, never the whole body.
  EXPECT_LT(seen_.largest_piece.load(), 64u * 1024);
  // And the connection is reusable afterwards.
  auto again = c.roundtrip(get("/ping"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->body, "pong");
}

TEST_F(BodyStream, TheHandlerRunsBeforeTheBodyArrives) {
  client c(port());
  ASSERT_TRUE(c.send(post_head("/count", 26)));
  auto until = std::chrono::steady_clock::now() + 5s;
  while (!seen_.handler_started && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
  EXPECT_TRUE(seen_.handler_started) << "the handler waited for the body";
  ASSERT_TRUE(c.send(pattern(26)));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "bytes=26 pieces=1 intact");
}

TEST_F(BodyStream, ChunkedBodiesArriveDechunked) {
  client c(port());
  std::string body = pattern(3000);
  std::string wire = "POST /count HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::size_t i = 0; i < body.size(); i += 1000) {
    wire += "3e8;ext=1\r\n" + body.substr(i, 1000) + "\r\n";
  }
  wire += "0\r\nTrailer-Field: x\r\n\r\n";
  auto r = c.roundtrip(wire);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->body.starts_with("bytes=3000 ")) << r->body;
  EXPECT_TRUE(r->body.ends_with(" intact")) << r->body;
  auto again = c.roundtrip(get("/ping"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->body, "pong");
}

TEST_F(BodyStream, SendsContinueOnlyWhenTheHandlerReads) {
  client reader(port());
  ASSERT_TRUE(reader.send(post_head("/count", 5, "Expect: 100-continue\r\n")));
  auto interim = reader.read_response(true);
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(reader.send("abcde"));
  auto r = reader.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "bytes=5 pieces=1 intact");

  // A handler that never reads: no 100, the final answer, and the connection closes (the
  // client may never send the body).
  client ignorer(port());
  ASSERT_TRUE(ignorer.send(post_head("/ignore", 5, "Expect: 100-continue\r\n")));
  auto final_answer = ignorer.read_response();
  ASSERT_TRUE(final_answer);
  EXPECT_EQ(final_answer->status, 200);
  EXPECT_EQ(final_answer->header("connection").value_or(""), "close");
  EXPECT_TRUE(ignorer.closed_within());
}

TEST_F(BodyStream, AnUnreadBodyIsDrainedAndTheConnectionReused) {
  client c(port(), 10s);
  std::string body = pattern(300 * 1024);
  std::thread sender([&] { c.send(post("/first", body) + get("/ping")); });
  auto first = c.read_response();
  auto second = c.read_response();
  sender.join();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->body, "got some");
  ASSERT_TRUE(second) << "the rest of the body was taken for a request";
  EXPECT_EQ(second->body, "pong");
}

TEST_F(BodyStream, RouteLimitsApplyBeforeTheBodyIsRead) {
  client ok(port());
  auto fits = ok.roundtrip(post("/small", "0123456789"));
  ASSERT_TRUE(fits);
  EXPECT_EQ(fits->status, 200);
  EXPECT_EQ(fits->body, "0123456789");

  client over(port());
  auto r = over.roundtrip(post_head("/small", 11));  // no body sent: 413 comes from the head
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(over.closed_within());

  // The streaming route's own limit is above the server's 1 MiB; the server's still holds
  // elsewhere.
  client big(port());
  auto plain = big.roundtrip(post_head("/whole", 2 * 1024 * 1024));
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 413);
  client huge(port());
  auto over_route = huge.roundtrip(post_head("/count", 65 * 1024 * 1024));
  ASSERT_TRUE(over_route);
  EXPECT_EQ(over_route->status, 413);
  EXPECT_FALSE(seen_.handler_started);
}

TEST_F(BodyStream, MalformedChunkingIsA400AndTheConnectionCloses) {
  client c(port());
  auto r = c.roundtrip(
      "POST /count HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\nzz\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(c.closed_within());
  EXPECT_EQ(seen_.errors.load(), 1);
}

TEST_F(BodyStream, ABodyCutShortFailsTheHandlerAndTheServerServesOn) {
  {
    client c(port());
    ASSERT_TRUE(c.send(post_head("/count", 1000) + pattern(100)));
    auto until = std::chrono::steady_clock::now() + 5s;
    while (!seen_.handler_started && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
  }  // closes mid-body
  auto until = std::chrono::steady_clock::now() + 5s;
  while (seen_.errors == 0 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(seen_.errors.load(), 1);
  client next(port());
  auto r = next.roundtrip(get("/ping"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "pong");
}

TEST_F(BodyStream, PlainRoutesYieldTheWholeBodyOnce) {
  client c(port());
  auto r = c.roundtrip(post("/whole", "hello body"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "1:hello body");
  auto empty = c.roundtrip(post("/whole", ""));
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->body, "0:");
}

TEST_F(BodyStream, PipelinedRequestsAfterAStreamedBodyAreAnswered) {
  client c(port());
  auto r1 = c.roundtrip(post("/count", pattern(10)) + post("/count", pattern(20)) + get("/ping"));
  ASSERT_TRUE(r1);
  EXPECT_EQ(r1->body, "bytes=10 pieces=1 intact");
  auto r2 = c.read_response();
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->body, "bytes=20 pieces=1 intact");
  auto r3 = c.read_response();
  ASSERT_TRUE(r3);
  EXPECT_EQ(r3->body, "pong");
}

}  // namespace
