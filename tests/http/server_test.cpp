// SPDX-License-Identifier: MIT
// eddy-test-labels: threads
// The HTTP/1.1 protocol on the wire: keep-alive, HTTP/1.0, pipelining, HEAD, malformed and
// smuggling requests (request bodies: server_request_body_test.cpp).
#include "eddy/http/app.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "http/server_fixture.hpp"

namespace {

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

TEST_F(Server, IgnoresAnEmptyLineBetweenRequestsThatArrivesInTwoReads) {
  // RFC 9112 2.2: an empty line before a request line is ignored, even when its CR ends one
  // read and its LF begins the next (the connection must not hand its parser back, or
  // park, in between: a new parser would take the lone LF for a bad line end).
  client c(port());
  ASSERT_TRUE(c.send(get("/n/1") + "\r"));
  auto first = c.read_response();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->body, "1");
  std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(c.send("\n" + get("/n/2")));
  auto second = c.read_response();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(second->body, "2");
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

TEST_F(Server, APipelinedBatchCutInsideARequestIsCompletedByTheNextRead) {
  // Answered requests stay in the buffer while the rest of the batch is parsed; the partial
  // one at its end moves to the front before the next read, its head and fields with it.
  client c(port());
  const std::string posted = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: text/x-cut\r\nX-Pad: " +
                             std::string(300, 'p') + "\r\nContent-Length: 11\r\n\r\nhello world";
  for (std::size_t cut : {std::size_t{5}, std::size_t{40}, posted.find("X-Pad") + 9, posted.size() - 4}) {
    ASSERT_TRUE(c.send(get("/n/1") + get("/n/2") + posted.substr(0, cut))) << cut;
    for (int i = 1; i <= 2; ++i) {
      auto r = c.read_response();
      ASSERT_TRUE(r) << "cut " << cut << ", response " << i;
      EXPECT_EQ(r->body, std::to_string(i));
    }
    std::this_thread::sleep_for(20ms);  // the server reads the partial request alone first
    ASSERT_TRUE(c.send(posted.substr(cut) + get("/n/3")));
    auto echoed = c.read_response();
    ASSERT_TRUE(echoed) << "cut " << cut;
    EXPECT_EQ(echoed->header("content-type").value_or(""), "text/x-cut") << cut;
    EXPECT_EQ(echoed->body, "hello world") << cut;
    auto last = c.read_response();
    ASSERT_TRUE(last) << cut;
    EXPECT_EQ(last->body, "3");
  }
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
      {"target longer than the whole head's limit", "GET /" + std::string(40000, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n", {414}},
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
      {"empty transfer-encoding", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding:\r\n\r\n0\r\n\r\n", {400}},
      {"chunk extension past the head's limit",
       "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5;" + std::string(100000, 'e'), {400}},
      {"chunk size padded with zeros past the head's limit",
       "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string(100000, '0'), {400}},
      {"trailer section past the head's limit",
       "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: " + std::string(100000, 't'), {431}},
      {"too many trailer fields",
       "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + [] {
         std::string s;
         for (int i = 0; i < 200; ++i) s += "T" + std::to_string(i) + ": v\r\n";
         return s + "\r\n";
       }(), {431}},
      {"folded trailer",
       "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: a\r\n b\r\n\r\n", {400}},
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

}  // namespace
