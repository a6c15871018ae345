// SPDX-License-Identifier: MIT
#include <eddy/net/ip_network.hpp>

#include <gtest/gtest.h>

using eddy::ip_network;

TEST(IpNetwork, MatchesAddressesInsideAnIpv4Prefix) {
  auto n = ip_network::parse("10.0.0.0/8");
  ASSERT_TRUE(n);
  EXPECT_TRUE(n->contains("10.0.0.1"));
  EXPECT_TRUE(n->contains("10.255.255.255"));
  EXPECT_FALSE(n->contains("11.0.0.1"));
  EXPECT_FALSE(n->contains("9.255.255.255"));
  EXPECT_EQ(n->to_string(), "10.0.0.0/8");
}

TEST(IpNetwork, HandlesPrefixesThatDoNotEndOnAByte) {
  auto n = ip_network::parse("172.16.0.0/12");
  ASSERT_TRUE(n);
  EXPECT_TRUE(n->contains("172.16.0.1"));
  EXPECT_TRUE(n->contains("172.31.255.254"));
  EXPECT_FALSE(n->contains("172.32.0.1"));
  EXPECT_FALSE(n->contains("172.15.255.255"));
}

TEST(IpNetwork, NormalisesHostBitsAway) {
  auto n = ip_network::parse("192.168.1.77/24");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->to_string(), "192.168.1.0/24");
  EXPECT_TRUE(n->contains("192.168.1.1"));
}

TEST(IpNetwork, TreatsASingleAddressAsAFullLengthPrefix) {
  auto v4 = ip_network::parse("127.0.0.1");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->to_string(), "127.0.0.1/32");
  EXPECT_TRUE(v4->contains("127.0.0.1"));
  EXPECT_FALSE(v4->contains("127.0.0.2"));
  auto v6 = ip_network::parse("[::1]");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->to_string(), "::1/128");
  EXPECT_TRUE(v6->contains("::1"));
}

TEST(IpNetwork, MatchesIpv6PrefixesAndNotIpv4) {
  auto n = ip_network::parse("2001:db8::/32");
  ASSERT_TRUE(n);
  EXPECT_TRUE(n->contains("2001:db8:1::5"));
  EXPECT_FALSE(n->contains("2001:db9::1"));
  EXPECT_FALSE(n->contains("10.0.0.1"));
}

TEST(IpNetwork, MatchesIpv4MappedIpv6PeersAgainstIpv4Networks) {
  auto n = ip_network::parse("10.0.0.0/8");
  ASSERT_TRUE(n);
  EXPECT_TRUE(n->contains("::ffff:10.1.2.3"));
  EXPECT_TRUE(n->contains("[::ffff:10.1.2.3]:443"));
}

TEST(IpNetwork, IgnoresPortsAndBracketsInTheCandidate) {
  auto n = ip_network::parse("127.0.0.0/8");
  ASSERT_TRUE(n);
  EXPECT_TRUE(n->contains("127.0.0.1:50312"));
  auto v6 = ip_network::parse("::1");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains("[::1]:8080"));
}

TEST(IpNetwork, DoesNotMatchThingsThatAreNotAddresses) {
  auto n = ip_network::parse("0.0.0.0/0");
  ASSERT_TRUE(n);
  EXPECT_TRUE(n->contains("8.8.8.8"));
  EXPECT_FALSE(n->contains("unknown"));
  EXPECT_FALSE(n->contains("_hidden"));
  EXPECT_FALSE(n->contains(""));
  EXPECT_FALSE(n->contains("1.2.3.4.5"));
  EXPECT_FALSE(n->contains(std::string(200, '1')));
}

TEST(IpNetwork, RejectsMalformedNetworks) {
  for (const char* bad : {"", "localhost", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/8x",
                          "10.0.0.0/-1", "10.0.0.0/8/8", "300.1.1.1"}) {
    auto n = ip_network::parse(bad);
    EXPECT_FALSE(n) << bad;
    if (!n) {
      EXPECT_EQ(n.error(), std::errc::invalid_argument) << bad;
    }
  }
}

TEST(IpNetwork, StripsThePortFromEveryPeerForm) {
  EXPECT_EQ(ip_network::strip_port("127.0.0.1:80"), "127.0.0.1");
  EXPECT_EQ(ip_network::strip_port("[::1]:80"), "::1");
  EXPECT_EQ(ip_network::strip_port("[::1]"), "::1");
  EXPECT_EQ(ip_network::strip_port("::1"), "::1");
  EXPECT_EQ(ip_network::strip_port("10.0.0.1"), "10.0.0.1");
}
