// SPDX-License-Identifier: MIT
// eddy-test-labels: threads
// Trusted-proxy handling over a real connection: the handler reports req.remote_address() and
// req.scheme(); the test peer is 127.0.0.1, trusted or not depending on the options.
#include "eddy/http/proxy_trust.hpp"

#include <gtest/gtest.h>

#include "http/server_fixture.hpp"

namespace {

void origin_route(http::app& app) {
  app.get("/origin", [](request& req) -> task<response> {
    co_return response::text(std::string(req.remote_address()) + " " + std::string(req.scheme()));
  });
}

http::serve_options trusting(std::vector<std::string> proxies) {
  http::serve_options o;
  o.trusted_proxies = std::move(proxies);
  return o;
}

std::string origin_for(std::uint16_t port, std::string_view headers) {
  client c(port);
  auto r = c.roundtrip(get("/origin", headers));
  if (!r) return "no response";
  return r->body;
}

bool is_loopback_peer(const std::string& origin) { return origin.rfind("127.0.0.1:", 0) == 0; }

TEST(ProxyTrust, IgnoresForwardingHeadersFromAnUntrustedPeer) {
  test_server server(origin_route, trusting({"10.0.0.0/8"}));
  std::string o = origin_for(server.port(), "X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\n");
  EXPECT_TRUE(is_loopback_peer(o)) << o;
  EXPECT_EQ(o.substr(o.find(' ')), " http");
  o = origin_for(server.port(), "Forwarded: for=203.0.113.7;proto=https\r\n");
  EXPECT_TRUE(is_loopback_peer(o)) << o;
  EXPECT_EQ(o.substr(o.find(' ')), " http");
}

TEST(ProxyTrust, IgnoresForwardingHeadersWhenNoProxyIsConfigured) {
  test_server server(origin_route);
  std::string o = origin_for(server.port(), "X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\n");
  EXPECT_TRUE(is_loopback_peer(o)) << o;
  EXPECT_EQ(o.substr(o.find(' ')), " http");
}

TEST(ProxyTrust, TakesClientAndSchemeFromXForwardedHeadersOfATrustedPeer) {
  test_server server(origin_route, trusting({"127.0.0.1"}));
  EXPECT_EQ(origin_for(server.port(), "X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\n"),
            "203.0.113.7 https");
  // Without X-Forwarded-Proto the scheme is the listener's own.
  EXPECT_EQ(origin_for(server.port(), "X-Forwarded-For: 203.0.113.7\r\n"), "203.0.113.7 http");
}

TEST(ProxyTrust, WalksTheChainPastTrustedProxiesOnly) {
  test_server server(origin_route, trusting({"127.0.0.0/8", "10.0.0.0/8"}));
  // A spoofed first entry written by the client is left of the real client address.
  EXPECT_EQ(origin_for(server.port(), "X-Forwarded-For: 1.1.1.1, 198.51.100.4, 10.0.0.2\r\n"),
            "198.51.100.4 http");
  // Several headers form one list, in order.
  EXPECT_EQ(origin_for(server.port(), "X-Forwarded-For: 1.1.1.1, 198.51.100.4\r\nX-Forwarded-For: 10.0.0.3\r\n"),
            "198.51.100.4 http");
  // Every hop trusted: the leftmost is the best that is known.
  EXPECT_EQ(origin_for(server.port(), "X-Forwarded-For: 10.0.0.9, 10.0.0.2\r\n"), "10.0.0.9 http");
}

TEST(ProxyTrust, StopsAtAHopThatIsNotAnAddress) {
  test_server server(origin_route, trusting({"127.0.0.1", "10.0.0.0/8"}));
  EXPECT_EQ(origin_for(server.port(), "X-Forwarded-For: 203.0.113.7, garbage, 10.0.0.2\r\n"), "10.0.0.2 http");
  std::string o = origin_for(server.port(), "X-Forwarded-For: <script>\r\nX-Forwarded-Proto: gopher\r\n");
  EXPECT_TRUE(is_loopback_peer(o)) << o;
  EXPECT_EQ(o.substr(o.find(' ')), " http");  // an unknown scheme is ignored
}

TEST(ProxyTrust, PrefersTheForwardedHeaderWithQuotedIpv6Nodes) {
  test_server server(origin_route, trusting({"127.0.0.1"}));
  EXPECT_EQ(origin_for(server.port(), "Forwarded: for=192.0.2.60;proto=HTTPS;by=203.0.113.43\r\n"
                                      "X-Forwarded-For: 198.51.100.1\r\n"),
            "192.0.2.60 https");
  EXPECT_EQ(origin_for(server.port(), "Forwarded: For=\"[2001:db8:cafe::17]:4711\"\r\n"),
            "[2001:db8:cafe::17]:4711 http");
  // "unknown" (RFC 7239 6.2) says nothing: the peer stays the origin.
  std::string o = origin_for(server.port(), "Forwarded: for=unknown;proto=https\r\n");
  EXPECT_TRUE(is_loopback_peer(o)) << o;
}

TEST(ProxyTrust, RejectsMalformedEntriesWhenConstructed) {
  EXPECT_THROW(http::proxy_trust({"10.0.0.0/8", "not-an-ip"}), std::invalid_argument);
  EXPECT_THROW(http::proxy_trust({"10.0.0.0/40"}), std::invalid_argument);
  http::proxy_trust ok({"10.0.0.0/8", "::1"});
  EXPECT_FALSE(ok.empty());
  EXPECT_TRUE(ok.trusts("10.2.3.4:5555"));
  EXPECT_TRUE(ok.trusts("[::1]:80"));
  EXPECT_FALSE(ok.trusts("127.0.0.1:80"));
  EXPECT_TRUE(http::proxy_trust().empty());
}

}  // namespace
