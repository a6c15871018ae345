// SPDX-License-Identifier: MIT
// eddy-test-labels: threads
// A header field carrying CR or LF from user input never splits a response.
#include "eddy/http/detail/wire.hpp"

#include <gtest/gtest.h>

#include "http/server_fixture.hpp"

namespace {

void routes(http::app& app) {
  // The classic open-redirect-plus-injection shape: Location comes from the query.
  app.get("/go", [](request& req) -> task<response> {
    co_return response::redirect(req.query("to").value_or("/"));
  });
  app.get("/raw", [](request& req) -> task<response> {
    response r = response::text("ok");
    r.headers().add("X-Echo", req.query("v").value_or(""));
    co_return r;
  });
}

TEST(HeaderInjection, ARedirectToAValueWithCrLfIsRefusedWith500) {
  test_server server{routes};
  client c(server.port());
  auto r = c.roundtrip(get("/go?to=/x%0d%0aSet-Cookie:%20owned=1"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_FALSE(r->header("set-cookie"));
  EXPECT_FALSE(r->header("location"));
  // Clean values still go through, on the same connection.
  auto ok = c.roundtrip(get("/go?to=/next"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 302);
  EXPECT_EQ(ok->header("location").value_or(""), "/next");
}

TEST(HeaderInjection, FieldsAddedDirectlyAreCheckedToo) {
  test_server server{routes};
  client c(server.port());
  for (std::string v : {"a%0d%0aX-Injected:%201", "a%0aX-Injected:%201", "a%0dX-Injected:%201"}) {
    auto r = c.roundtrip(get("/raw?v=" + v));
    ASSERT_TRUE(r) << v;
    EXPECT_EQ(r->status, 500) << v;
    EXPECT_FALSE(r->header("x-injected")) << v;
  }
  auto fine = c.roundtrip(get("/raw?v=plain"));
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->header("x-echo").value_or(""), "plain");
}

TEST(HeaderInjection, TheCheckSeesContentTypeAndNames) {
  EXPECT_TRUE(http::detail::fields_are_safe(response::text("x")));
  EXPECT_FALSE(http::detail::fields_are_safe(response::bytes("x", "text/plain\r\nX: y")));
  response named = response::text("x");
  named.headers().add("X-A\r\nX-B", "v");
  EXPECT_FALSE(http::detail::fields_are_safe(named));
  response retyped = response::text("x");
  retyped.set_content_type("text/html\r\nX: y");  // replaces the literal: checked again
  EXPECT_FALSE(http::detail::fields_are_safe(retyped));
  response nul = response::text("x");
  nul.headers().add("X-A", std::string("a\0b", 3));
  EXPECT_FALSE(http::detail::fields_are_safe(nul));
}

}  // namespace
