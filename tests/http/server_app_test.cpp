// SPDX-License-Identifier: MIT
// eddy-test-labels: threads
// The app over a real connection: routing (404/405), middleware, exception mapping,
// parameters, query and cookies, static files, streamed responses.
#include "eddy/http/app.hpp"

#include <gtest/gtest.h>

#include "http/server_fixture.hpp"

namespace {

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

TEST_F(Server, AnswersOptionsForEveryRoutedPathThroughTheMiddleware) {
  client c(port());
  auto r = c.roundtrip("OPTIONS /items HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(r->header("allow").value_or(""), "POST, PUT, OPTIONS");
  EXPECT_EQ(r->header("content-length"), std::nullopt) << "204 has no body and no length";
  EXPECT_EQ(r->header("x-trace").value_or(""), "1(2()2)1") << "the middleware sees OPTIONS (no handler body)";
  // A GET route also allows HEAD; a parameter path and a static directory answer too.
  auto hello = c.roundtrip("OPTIONS /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello->header("allow").value_or(""), "GET, HEAD, OPTIONS");
  auto param = c.roundtrip("OPTIONS /n/7 HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(param);
  EXPECT_EQ(param->status, 204);
  auto file = c.roundtrip("OPTIONS /static/hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(file);
  EXPECT_EQ(file->status, 204);
  EXPECT_EQ(file->header("allow").value_or(""), "GET, HEAD, OPTIONS");
  // A 405 names OPTIONS too; a path with no route is still a 404.
  auto wrong = c.roundtrip("DELETE /items HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->header("allow").value_or(""), "POST, PUT, OPTIONS");
  auto missing = c.roundtrip("OPTIONS /nope HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  // OPTIONS * lists what the app routes, not every method there is.
  auto star = c.roundtrip("OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(star);
  EXPECT_EQ(star->status, 204);
  EXPECT_EQ(star->header("allow").value_or(""), "GET, HEAD, POST, PUT, OPTIONS");
}

TEST(AppOptions, AnOptionsRouteOfItsOwnWins) {
  test_server server{[](http::app& app) {
    app.get("/cors", [](request&) -> task<response> { co_return response::text("get"); });
    app.options("/cors", [](request&) -> task<response> {
      response r(204);
      r.headers().add("Access-Control-Allow-Origin", "*");
      co_return r;
    });
  }};
  client c(server.port());
  auto r = c.roundtrip("OPTIONS /cors HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(r->header("access-control-allow-origin").value_or(""), "*");
  EXPECT_EQ(r->header("allow"), std::nullopt);
  auto star = c.roundtrip("OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(star);
  EXPECT_EQ(star->header("allow").value_or(""), "GET, HEAD, OPTIONS");
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

TEST_F(Server, AHandlerThatFailsAfterWaitingIsMappedByAnExceptionHandlerThatWaitsToo) {
  // Both the handler and its exception handler suspend, each under the client watch; the
  // pipelined request behind them is answered after them, in order.
  client c(port());
  ASSERT_TRUE(c.send(get("/late-failure") + get("/hello")));
  auto first = c.read_response();
  ASSERT_TRUE(first) << "no response at all";
  EXPECT_EQ(first->status, 410);
  EXPECT_EQ(first->body, "late: after a wait");
  auto second = c.read_response();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200);
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

// Range positions past 2^64 - 1 mean "past the end" (found by a black-box probe: they were
// read as 0, so bytes=0-18446744073709551616 sent one byte under a 206 that looked right).
TEST_F(Server, StaticFileRangeNumbersSaturateInsteadOfWrapping) {
  struct {
    const char* range;
    int status;
    const char* body;
    const char* content_range;
  } const cases[] = {
      {"bytes=0-18446744073709551616", 206, "0123456789", "bytes 0-9/10"},
      {"bytes=2-99999999999999999999999999", 206, "23456789", "bytes 2-9/10"},
      {"bytes=18446744073709551617-", 416, "", "bytes */10"},
      {"bytes=18446744073709551615-18446744073709551616", 416, "", "bytes */10"},
      {"bytes=-18446744073709551617", 206, "0123456789", "bytes 0-9/10"},
      {"bytes=-99999999999999999999999999999999", 206, "0123456789", "bytes 0-9/10"},
      {"BYTES=1-2", 206, "12", "bytes 1-2/10"},  // the unit is case-insensitive (RFC 9110 14.1)
      {"bytes=+1-2", 200, "0123456789", ""},     // not 1*DIGIT: the header is ignored
      {"bytes=1-+2", 200, "0123456789", ""},
      {"bytes=0x1-2", 200, "0123456789", ""},
  };
  client c(port());
  for (const auto& k : cases) {
    SCOPED_TRACE(k.range);
    auto r = c.roundtrip(get("/static/digits.txt", std::string("Range: ") + k.range + "\r\n"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, k.status);
    if (k.status != 416) {
      EXPECT_EQ(r->body, k.body);
    }
    EXPECT_EQ(r->header("content-range").value_or(""), k.content_range);
  }
}

TEST_F(Server, StaticFilesHonourIfRangeIfMatchAndIfUnmodifiedSince) {
  client c(port());
  auto full = c.roundtrip(get("/static/digits.txt"));
  ASSERT_TRUE(full);
  const std::string etag = full->header("etag").value_or("");
  const std::string modified = full->header("last-modified").value_or("");
  ASSERT_FALSE(etag.empty());
  ASSERT_FALSE(modified.empty());
  const std::string range = "Range: bytes=2-5\r\n";
  struct expectation {
    std::string headers;
    int status;
    std::string body;
  };
  const expectation cases[] = {
      // If-Range (RFC 9110 13.1.5): the range only while the validator still holds.
      {range + "If-Range: " + etag + "\r\n", 206, "2345"},
      {range + "If-Range: " + modified + "\r\n", 206, "2345"},
      {range + "If-Range: \"stale\"\r\n", 200, "0123456789"},
      {range + "If-Range: W/" + etag + "\r\n", 200, "0123456789"},  // weak: never for ranges
      {range + "If-Range: Thu, 01 Jan 1970 00:00:00 GMT\r\n", 200, "0123456789"},
      // If-Match and If-Unmodified-Since (13.1.1, 13.1.4): 412 when the file is not that one.
      {"If-Match: " + etag + "\r\n", 200, "0123456789"},
      {"If-Match: \"a\", " + etag + "\r\n", 200, "0123456789"},
      {"If-Match: *\r\n", 200, "0123456789"},
      {"If-Match: \"other\"\r\n", 412, ""},
      {"If-Match: W/" + etag + "\r\n", 412, ""},
      {"If-Unmodified-Since: " + modified + "\r\n", 200, "0123456789"},
      {"If-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT\r\n", 412, ""},
      // If-Match wins over If-Unmodified-Since; If-None-Match is still checked after it.
      {"If-Match: " + etag + "\r\nIf-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT\r\n", 200, "0123456789"},
      {"If-Match: " + etag + "\r\nIf-None-Match: " + etag + "\r\n", 304, ""},
  };
  for (const auto& e : cases) {
    auto r = c.roundtrip(get("/static/digits.txt", e.headers));
    ASSERT_TRUE(r) << e.headers;
    EXPECT_EQ(r->status, e.status) << e.headers;
    EXPECT_EQ(r->body, e.body) << e.headers;
  }
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


}  // namespace
