// SPDX-License-Identifier: MIT
// eddy-test-labels: threads
// A client that goes away cancels the handler that waits for it (`req.token()` and the
// handler's current wait), and watching for that loses no pipelined request.
#include "eddy/http/detail/handler_guard.hpp"

#include <gtest/gtest.h>

#include <atomic>

#include "http/server_fixture.hpp"

namespace {

struct observed {
  std::atomic<bool> started{false};
  std::atomic<bool> cancelled{false};
  std::atomic<bool> token_cancelled{false};
  std::atomic<int> finished{0};
};

class Disconnect : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<test_server>([this](http::app& app) { routes(app); });
  }
  void routes(http::app& app) {
    app.get("/slow", [this](request& req) -> task<response> {
      seen_.started = true;
      bool cancelled = false;
      try {
        co_await eddy::sleep_for(10s);
      } catch (const eddy::cancelled_error&) {
        cancelled = true;
      }
      seen_.token_cancelled = req.token().cancel_requested();
      seen_.cancelled = cancelled;
      if (cancelled) throw eddy::cancelled_error();
      co_return response::text("slept");
    });
    app.get("/nap", [this](request&) -> task<response> {
      co_await eddy::sleep_for(50ms);
      ++seen_.finished;
      co_return response::text("napped");
    });
    app.get("/ping", [](request&) -> task<response> { co_return response::text("pong"); });
  }

  template <class F>
  static bool eventually(F f) {
    auto until = std::chrono::steady_clock::now() + 5s;
    while (!f()) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }

  std::uint16_t port() const { return server_->port(); }
  observed seen_;
  std::unique_ptr<test_server> server_;
};

TEST_F(Disconnect, AClientThatLeavesCancelsTheWaitingHandler) {
  {
    client c(port());
    ASSERT_TRUE(c.send(get("/slow")));
    ASSERT_TRUE(eventually([&] { return seen_.started.load(); }));
  }  // the client closes while the handler sleeps
  ASSERT_TRUE(eventually([&] { return seen_.cancelled.load(); })) << "the handler slept on";
  EXPECT_TRUE(seen_.token_cancelled);
  client next(port());
  auto r = next.roundtrip(get("/ping"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "pong");
}

TEST_F(Disconnect, PipelinedRequestsBehindAWaitingHandlerAreAnsweredInOrder) {
  client c(port());
  std::string batch;
  for (int i = 0; i < 20; ++i) batch += get(i % 2 ? "/ping" : "/nap");
  ASSERT_TRUE(c.send(batch));
  for (int i = 0; i < 20; ++i) {
    auto r = c.read_response();
    ASSERT_TRUE(r) << "response " << i;
    EXPECT_EQ(r->body, i % 2 ? "pong" : "napped") << "response " << i;
  }
  EXPECT_EQ(seen_.finished.load(), 10);
  EXPECT_FALSE(seen_.cancelled);
}

TEST_F(Disconnect, RequestsSentOneByOneWhileAHandlerWaitsAreNotLost) {
  client c(port());
  ASSERT_TRUE(c.send(get("/nap")));
  std::this_thread::sleep_for(10ms);  // the watcher is parked when the next bytes arrive
  ASSERT_TRUE(c.send(get("/ping")));
  auto first = c.read_response();
  auto second = c.read_response();
  ASSERT_TRUE(first);
  ASSERT_TRUE(second);
  EXPECT_EQ(first->body, "napped");
  EXPECT_EQ(second->body, "pong");
}

TEST_F(Disconnect, AHandlerThatFinishesInlineNeverSeesItsTokenCancelled) {
  client c(port());
  for (int i = 0; i < 100; ++i) {
    auto r = c.roundtrip(get("/ping"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "pong");
  }
}

}  // namespace
