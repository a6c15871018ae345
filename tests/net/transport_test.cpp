// SPDX-License-Identifier: MIT
#include <eddy/net/transport.hpp>

#include <gtest/gtest.h>

#include <string>

#include <eddy/net/serve_protocol.hpp>
#include <eddy/net/tcp_listener.hpp>
#include <eddy/runtime/sleep.hpp>
#include <eddy/runtime/spawn.hpp>
#include <eddy/stream/buffered_reader.hpp>

#include "support/test_loop.hpp"

using eddy::address;
using eddy::task;
using eddy::tcp_listener;
using eddy::tcp_stream;
using eddy::transport;
using eddy::test::run_real;

namespace {

struct events {
  std::string log;
  std::string received;
  std::error_code lost;
  int pauses = 0;
  int resumes = 0;
  transport* t = nullptr;
};

class recorder : public eddy::protocol {
 public:
  explicit recorder(events& e, bool echo) : e_(e), echo_(echo) {}
  void connection_made(transport& t) override {
    e_.t = &t;
    e_.log += "made;";
  }
  void data_received(std::span<const char> data) override {
    e_.received.append(data.data(), data.size());
    if (echo_) e_.t->write(data);
  }
  bool eof_received() override {
    e_.log += "eof;";
    return false;
  }
  void connection_lost(std::error_code ec) override {
    e_.log += "lost;";
    e_.lost = ec;
    e_.t = nullptr;
  }
  void pause_writing() override { ++e_.pauses; }
  void resume_writing() override { ++e_.resumes; }

 private:
  events& e_;
  bool echo_;
};

// Polls `done` every millisecond for up to five seconds (the server side runs on the same
// loop; how long it takes to get there is not under test).
template <class F>
task<bool> eventually(F done) {
  for (int i = 0; i < 5000 && !done(); ++i) co_await eddy::sleep_for(std::chrono::milliseconds(1));
  co_return done();
}

// Cancels the accept loop and waits until it has unwound (its accept must not outlive the
// listener).
task<> stop(eddy::join_handle<void>& server) {
  server.cancel();
  try {
    co_await server;
  } catch (const eddy::cancelled_error&) {
  }
}

task<std::string> read_all(tcp_stream& s) {
  eddy::buffered_reader r(s);
  auto all = co_await r.read_to_end(64u << 20);
  co_return all ? *all : std::string("<error>");
}

}  // namespace

TEST(Transport, DeliversTheProtocolCallbacksInOrder) {
  events e;
  run_real([&]() -> task<> {
    tcp_listener l(address::ipv4_loopback(0));
    auto server = eddy::spawn(serve_protocol(l, [&] { return std::make_unique<recorder>(e, true); }));
    auto c = co_await tcp_stream::connect(l.local_address());
    EXPECT_TRUE(co_await c->write(std::string_view("hello")));
    EXPECT_TRUE(c->shutdown_write());
    EXPECT_EQ(co_await read_all(*c), "hello");
    EXPECT_TRUE(co_await eventually([&] { return e.log.find("lost;") != std::string::npos; }));
    co_await stop(server);
  }());
  EXPECT_EQ(e.log, "made;eof;lost;");
  EXPECT_EQ(e.received, "hello");
  EXPECT_FALSE(e.lost);
}

TEST(Transport, PauseReadingStopsDeliveryUntilResumed) {
  events e;
  run_real([&]() -> task<> {
    tcp_listener l(address::ipv4_loopback(0));
    auto server = eddy::spawn(serve_protocol(l, [&] { return std::make_unique<recorder>(e, false); }));
    auto c = co_await tcp_stream::connect(l.local_address());
    EXPECT_TRUE(co_await eventually([&] { return e.t != nullptr; }));
    if (!e.t) co_return;
    e.t->pause_reading();
    EXPECT_FALSE(e.t->is_reading());
    EXPECT_TRUE(co_await c->write(std::string_view("while paused")));
    co_await eddy::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(e.received, "");
    e.t->resume_reading();
    EXPECT_TRUE(co_await eventually([&] { return e.received.size() == 12; }));
    EXPECT_EQ(e.received, "while paused");
    co_await stop(server);
    transport::close_all();
    EXPECT_TRUE(co_await eventually([] { return transport::live_count() == 0; }));
  }());
}

TEST(Transport, WriteBufferLimitsDrivePauseAndResumeWriting) {
  events e;
  run_real([&]() -> task<> {
    tcp_listener l(address::ipv4_loopback(0));
    auto server = eddy::spawn(serve_protocol(l, [&] { return std::make_unique<recorder>(e, false); }));
    auto c = co_await tcp_stream::connect(l.local_address());
    EXPECT_TRUE(co_await eventually([&] { return e.t != nullptr; }));
    if (!e.t) co_return;
    e.t->set_write_buffer_limits(256 * 1024, 1024);
    std::string big(8u << 20, 'x');  // far more than the socket buffers hold
    e.t->write(big);
    EXPECT_GT(e.t->get_write_buffer_size(), 0u);
    EXPECT_EQ(e.pauses, 1);
    e.t->close();  // flushes first
    EXPECT_EQ((co_await read_all(*c)).size(), big.size());
    EXPECT_EQ(e.resumes, 1);
    co_await stop(server);
  }());
  EXPECT_EQ(e.log, "made;lost;");
}

TEST(Transport, AbortResetsThePeerAndReportsLoss) {
  events e;
  run_real([&]() -> task<> {
    tcp_listener l(address::ipv4_loopback(0));
    auto server = eddy::spawn(serve_protocol(l, [&] { return std::make_unique<recorder>(e, false); }));
    auto c = co_await tcp_stream::connect(l.local_address());
    EXPECT_TRUE(co_await c->write(std::string_view("x")));
    EXPECT_TRUE(co_await eventually([&] { return e.t != nullptr; }));
    if (!e.t) co_return;
    e.t->abort();
    char buf[8];
    auto r = co_await c->read_some(buf);
    EXPECT_EQ(r.error(), std::errc::connection_reset);
    co_await stop(server);
  }());
  EXPECT_EQ(e.log, "made;lost;");
}

TEST(Transport, PeerResetIsReportedToConnectionLost) {
  events e;
  run_real([&]() -> task<> {
    tcp_listener l(address::ipv4_loopback(0));
    auto server = eddy::spawn(serve_protocol(l, [&] { return std::make_unique<recorder>(e, false); }));
    auto c = co_await tcp_stream::connect(l.local_address());
    EXPECT_TRUE(co_await eventually([&] { return e.t != nullptr; }));
    c->abort();
    EXPECT_TRUE(co_await eventually([&] { return e.log.find("lost;") != std::string::npos; }));
    co_await stop(server);
  }());
  EXPECT_EQ(e.lost, std::errc::connection_reset);
}

TEST(Transport, MaxConnectionsClosesTheExtraOnes) {
  events e1, e2;
  run_real([&]() -> task<> {
    tcp_listener l(address::ipv4_loopback(0));
    int made = 0;
    auto server = eddy::spawn(serve_protocol(
        l, [&] { return std::make_unique<recorder>(made++ == 0 ? e1 : e2, false); },
        {.max_connections = 1}));
    auto a = co_await tcp_stream::connect(l.local_address());
    EXPECT_TRUE(co_await eventually([&] { return made == 1; }));
    auto b = co_await tcp_stream::connect(l.local_address());
    EXPECT_EQ(co_await read_all(*b), "");  // closed by the server without a protocol
    EXPECT_EQ(made, 1);
    transport::close_all();
    co_await stop(server);
    EXPECT_TRUE(co_await eventually([] { return transport::live_count() == 0; }));
  }());
}
