// SPDX-License-Identifier: MIT
#include <eddy/net/udp_socket.hpp>

#include <gtest/gtest.h>

#include <string>

#include <eddy/runtime/spawn.hpp>

#include "support/test_loop.hpp"

using eddy::address;
using eddy::task;
using eddy::udp_socket;
using eddy::test::run_real;

namespace {
task<> echo_datagrams(udp_socket& s, int count) {
  char buf[2048];
  for (int i = 0; i < count; ++i) {
    address from;
    auto n = co_await s.receive_from(buf, from);
    if (!n) co_return;
    (void)co_await s.send_to(std::span<const char>(buf, *n), from);
  }
}
}  // namespace

TEST(UdpSocket, EchoesDatagramsToTheirSender) {
  run_real([]() -> task<> {
    udp_socket server(address::ipv4_loopback(0));
    auto at = *server.local_address();
    EXPECT_NE(at.port(), 0);
    auto h = eddy::spawn(echo_datagrams(server, 3));
    udp_socket client(address::ipv4_loopback(0));
    for (std::string msg : {"one", "", "three"}) {
      auto sent = co_await client.send_to(msg, at);
      EXPECT_EQ(*sent, msg.size());
      char buf[64];
      address from;
      auto n = co_await client.receive_from(buf, from);
      EXPECT_EQ(std::string(buf, *n), msg);
      EXPECT_EQ(from, at);
    }
    co_await h;
  }());
}

TEST(UdpSocket, ConnectedModeSendsAndReceivesFromOnePeer) {
  run_real([]() -> task<> {
    udp_socket server(address::ipv6_loopback(0));
    auto h = eddy::spawn(echo_datagrams(server, 1));
    udp_socket client(address::ipv6_loopback(0));
    EXPECT_TRUE(client.connect(*server.local_address()));
    EXPECT_EQ(*co_await client.send(std::string_view("ping")), 4u);
    char buf[16];
    auto n = co_await client.receive(buf);
    EXPECT_EQ(std::string(buf, *n), "ping");
    co_await h;
  }());
}

TEST(UdpSocket, ConnectedModeReportsAnUnreachablePort) {
  run_real([]() -> task<> {
    address dead;
    {
      udp_socket gone(address::ipv4_loopback(0));
      dead = *gone.local_address();
    }
    udp_socket client(address::ipv4_loopback(0));
    EXPECT_TRUE(client.connect(dead));
    EXPECT_TRUE(co_await client.send(std::string_view("x")));
    char buf[4];
    auto r = co_await client.receive(buf);
    EXPECT_EQ(r.error(), std::errc::connection_refused);
  }());
}

TEST(UdpSocket, BindingAPortInUseThrows) {
  run_real([]() -> task<> {
    udp_socket a(address::ipv4_loopback(0), {.reuse_address = false});
    EXPECT_THROW(udp_socket(*a.local_address(), {.reuse_address = false}), std::system_error);
    co_return;
  }());
}
