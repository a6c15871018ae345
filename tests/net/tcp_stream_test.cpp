// SPDX-License-Identifier: MIT
#include <eddy/net/tcp_stream.hpp>

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <eddy/core/when_all.hpp>
#include <eddy/net/tcp_listener.hpp>
#include <eddy/runtime/sleep.hpp>
#include <eddy/core/awaitable_traits.hpp>
#include <eddy/runtime/spawn.hpp>
#include <eddy/runtime/task_group.hpp>
#include <eddy/stream/buffered_reader.hpp>
#include <eddy/stream/write_all.hpp>

#include "support/test_loop.hpp"

using eddy::address;
using eddy::errc;
using eddy::result;
using eddy::task;
using eddy::tcp_listener;
using eddy::tcp_stream;
using eddy::test::run_real;

namespace {

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  std::uint32_t x = 12345;
  for (auto& c : s) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

task<> echo_one(tcp_stream s) {
  std::vector<char> buf(64 * 1024);
  for (;;) {
    auto n = co_await s.read_some(buf);
    if (!n || *n == 0) break;
    if (!co_await s.write(std::span<const char>(buf.data(), *n))) break;
  }
}

task<> serve(tcp_listener& l, int count) {
  eddy::task_group g;
  for (int i = 0; i < count; ++i) {
    auto s = co_await l.accept();
    if (!s) break;
    g.spawn(echo_one(std::move(*s)));
  }
  co_await g.join();
}

task<result<void>> send_then_half_close(tcp_stream& s, std::string_view data) {
  if (auto r = co_await s.write(data); !r) co_return r.error();
  co_return s.shutdown_write();
}

task<std::string> read_all(tcp_stream& s) {
  eddy::buffered_reader r(s, {.chunk_size = 64 * 1024});
  auto all = co_await r.read_to_end(64u << 20);
  co_return all ? *all : std::string("<error: " + all.error().message() + ">");
}

}  // namespace

TEST(TcpStream, EchoesByteExactFromOneByteToSixteenMebibytes) {
  run_real([]() -> task<> {
    tcp_listener l(address::ipv4_loopback(0));
    EXPECT_NE(l.local_address().port(), 0);
    std::vector<std::size_t> sizes{1, 2, 1000, 65535, 65536, 1u << 20, 16u << 20};
    auto server = eddy::spawn(serve(l, static_cast<int>(sizes.size())));
    for (auto n : sizes) {
      auto c = co_await tcp_stream::connect(l.local_address());
      EXPECT_TRUE(c);
      if (!c) co_return;
      const std::string data = pattern(n);
      // Write and read concurrently: 16 MiB does not fit in the socket buffers.
      auto [sent, echoed] = co_await eddy::when_all(send_then_half_close(*c, data), read_all(*c));
      EXPECT_TRUE(sent);
      EXPECT_EQ(echoed.size(), n);
      EXPECT_TRUE(echoed == data) << "size " << n;
    }
    co_await server;
  }());
}

TEST(TcpStream, ServesAThousandConcurrentClients) {
  run_real([]() -> task<> {
    tcp_listener l(address::ipv4_loopback(0), {.backlog = 1024});
    constexpr int clients = 1000;
    auto server = eddy::spawn(serve(l, clients));
    int ok = 0;
    auto client = [&](int i) -> task<> {
      auto c = co_await tcp_stream::connect(l.local_address());
      if (!c) co_return;
      const std::string msg = "client " + std::to_string(i) + "\n";
      auto [sent, echoed] = co_await eddy::when_all(send_then_half_close(*c, msg), read_all(*c));
      if (sent && echoed == msg) ++ok;
    };
    eddy::task_group g;
    for (int i = 0; i < clients; ++i) g.spawn(client(i));
    co_await g.join();
    co_await server;
    EXPECT_EQ(ok, clients);
  }());
}

TEST(TcpStream, HalfCloseLetsThePeerFinishWriting) {
  run_real([]() -> task<> {
    tcp_listener l(address::ipv4_loopback(0));
    auto server = [&]() -> task<> {
      auto s = co_await l.accept();
      EXPECT_TRUE(s);
      auto request = co_await read_all(*s);  // until the client's FIN
      EXPECT_EQ(request, "question");
      EXPECT_TRUE(co_await s->write(std::string_view("answer")));
    };
    auto h = eddy::spawn(server());
    auto c = co_await tcp_stream::connect(l.local_address());
    EXPECT_TRUE(co_await c->write(std::string_view("question")));
    EXPECT_TRUE(c->shutdown_write());
    EXPECT_EQ(co_await read_all(*c), "answer");
    co_await h;
  }());
}

TEST(TcpStream, AbortResetsThePeerMidStream) {
  run_real([]() -> task<> {
    tcp_listener l(address::ipv4_loopback(0));
    auto server = [&]() -> task<> {
      auto s = co_await l.accept();
      EXPECT_TRUE(co_await s->write(std::string_view("partial")));
      char buf[16];
      (void)co_await s->read_some(buf);  // wait for the client's byte, then reset
      s->abort();
      EXPECT_FALSE(s->is_open());
    };
    auto h = eddy::spawn(server());
    auto c = co_await tcp_stream::connect(l.local_address());
    EXPECT_TRUE(co_await c->write(std::string_view("x")));
    co_await h;
    std::string got;
    std::error_code failure;
    char buf[64];
    for (;;) {
      auto n = co_await c->read_some(buf);
      if (!n) { failure = n.error(); break; }
      if (*n == 0) break;
      got.append(buf, *n);
    }
    EXPECT_EQ(failure, std::errc::connection_reset);
  }());
}

TEST(TcpStream, ConnectReportsARefusedPort) {
  run_real([]() -> task<> {
    address a;
    {
      tcp_listener l(address::ipv4_loopback(0));
      a = l.local_address();
    }
    auto c = co_await tcp_stream::connect(a);
    EXPECT_EQ(c.error(), std::errc::connection_refused);
  }());
}

TEST(TcpStream, ClosedStreamFailsWithoutCrashing) {
  run_real([]() -> task<> {
    tcp_stream s;
    char buf[4];
    auto r = co_await s.read_some(buf);
    EXPECT_EQ(r.error(), errc::not_connected);
    EXPECT_EQ((co_await s.write(std::string_view("x"))).error(), errc::not_connected);
    EXPECT_EQ(s.shutdown_write().error(), errc::not_connected);
    EXPECT_EQ(s.peer_address().error(), errc::not_connected);
    s.close();
    s.abort();
  }());
}

TEST(TcpStream, ReportsBothEndpointsAndNoDelay) {
  run_real([]() -> task<> {
    tcp_listener l(address::ipv4_loopback(0));
    auto accepted = eddy::spawn(eddy::as_task(l.accept()));
    auto c = co_await tcp_stream::connect(l.local_address());
    auto s = std::move(co_await accepted);
    EXPECT_TRUE(s);
    EXPECT_EQ(*c->peer_address(), l.local_address());
    EXPECT_EQ(*s->peer_address(), *c->local_address());
    EXPECT_TRUE(c->set_keep_alive(true, std::chrono::seconds(30)));
    EXPECT_TRUE(c->set_no_delay(false));
  }());
}

TEST(TcpStream, ReadIsCancelledWithoutLosingTheConnection) {
  run_real([]() -> task<> {
    tcp_listener l(address::ipv4_loopback(0));
    auto accepted = eddy::spawn(eddy::as_task(l.accept()));
    auto c = co_await tcp_stream::connect(l.local_address());
    auto s = std::move(co_await accepted);
    auto reader = [&]() -> task<result<std::size_t>> {
      char buf[8];
      co_return co_await s->read_some(buf);
    };
    auto h = eddy::spawn(reader());
    co_await eddy::sleep_for(std::chrono::milliseconds(5));
    h.cancel();
    EXPECT_EQ((co_await h).error(), errc::operation_canceled);
    EXPECT_TRUE(co_await c->write(std::string_view("z")));
    char buf[8];
    EXPECT_EQ(*co_await s->read_some(buf), 1u);
  }());
}

TEST(TcpStream, WorksOverUnixDomainSockets) {
  run_real([]() -> task<> {
    const std::string path = "/tmp/eddy-test-" + std::to_string(::getpid()) + ".sock";
    ::unlink(path.c_str());
    tcp_listener l(*address::unix_path(path));
    auto server = eddy::spawn(serve(l, 1));
    auto c = co_await tcp_stream::connect(*address::unix_path(path));
    EXPECT_TRUE(c);
    auto [sent, echoed] = co_await eddy::when_all(send_then_half_close(*c, "over unix"), read_all(*c));
    EXPECT_EQ(echoed, "over unix");
    co_await server;
    ::unlink(path.c_str());
  }());
}

TEST(TcpStream, HappyEyeballsMovesOnFromAStalledAddress) {
  run_real([]() -> task<> {
    // A listener whose accept queue is full and never drained: further SYNs are dropped, so a
    // connect to it stalls (like an unreachable IPv6 route).
    tcp_listener stalled(address::ipv4_loopback(0), {.backlog = 0});
    std::vector<tcp_stream> fillers;
    for (int i = 0; i < 4; ++i) {
      auto f = co_await tcp_stream::connect(stalled.local_address(), {.timeout = std::chrono::milliseconds(200)});
      if (f) fillers.push_back(std::move(*f));
    }
    tcp_listener good(address::ipv6_loopback(0));
    auto accepted = eddy::spawn(eddy::as_task(good.accept()));
    std::vector<address> candidates{stalled.local_address(), good.local_address()};
    auto c = co_await tcp_stream::connect(candidates, {.timeout = std::chrono::seconds(5),  // all of it for a sequential try
                                                       .attempt_delay = std::chrono::milliseconds(50)});
    EXPECT_TRUE(c) << c.error().message();
    if (c) {
      EXPECT_EQ(*c->peer_address(), good.local_address());
    }
    auto s = std::move(co_await accepted);
    EXPECT_TRUE(s);
  }());
}

TEST(TcpStream, ConnectToNoCandidatesReportsHostNotFound) {
  run_real([]() -> task<> {
    auto c = co_await tcp_stream::connect(std::vector<address>{});
    EXPECT_EQ(c.error(), errc::host_not_found);
  }());
}
