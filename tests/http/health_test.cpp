// SPDX-License-Identifier: MIT
// eddy-test-labels: threads
// The opt-in liveness and readiness routes, and app::ready() around serve(). (The shutdown
// delay of app::run, where /ready fails while the app still serves, is covered with the
// webapp process in tests/integration/scaleout_test.cpp.)
#include "eddy/http/app.hpp"

#include <gtest/gtest.h>

#include "http/server_fixture.hpp"

namespace {

TEST(Health, AnswersLivenessAndReadinessWhileServing) {
  http::app* seen = nullptr;
  test_server server([&](http::app& app) {
    seen = &app;
    app.health_checks();
  });
  client c(server.port());
  auto live = c.roundtrip(get("/health"));
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
  EXPECT_EQ(live->body, "ok\n");
  auto ready = c.roundtrip(get("/ready"));
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  EXPECT_EQ(ready->body, "ready\n");
  EXPECT_TRUE(seen->ready());
}

TEST(Health, UsesThePathsItIsGiven) {
  test_server server([](http::app& app) { app.health_checks("/livez", "/readyz"); });
  client c(server.port());
  EXPECT_EQ(c.roundtrip(get("/livez"))->status, 200);
  EXPECT_EQ(c.roundtrip(get("/readyz"))->status, 200);
  EXPECT_EQ(c.roundtrip(get("/health"))->status, 404);
}

TEST(Health, IsNotReadyBeforeServingNorAfterItStopped) {
  http::app* seen = nullptr;
  auto server = std::make_unique<test_server>([&](http::app& app) {
    seen = &app;
    app.health_checks();
    // Before serve() runs, nothing accepts: not ready.
    EXPECT_FALSE(app.ready());
  });
  {
    client c(server->port());
    EXPECT_EQ(c.roundtrip(get("/ready"))->status, 200);
  }
  EXPECT_TRUE(seen->ready());
  server->stop();
  EXPECT_FALSE(seen->ready());
}

TEST(Health, RefusesNewConnectionsOnceServeStopsAccepting) {
  // A proxy in front must see "connection refused" at once, not a connection that sits in
  // the backlog until the process exits.
  test_server server([](http::app& app) { app.health_checks(); });
  const auto port = server.port();
  server.stop();
  EXPECT_THROW(client c(port), std::runtime_error);
}

}  // namespace
