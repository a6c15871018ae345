// SPDX-License-Identifier: MIT
#include <eddy/net/address.hpp>

#include <gtest/gtest.h>

using eddy::address;
using eddy::address_family;

TEST(Address, ParsesIpv4WithPort) {
  auto a = address::parse("127.0.0.1", 8080);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->family(), address_family::ipv4);
  EXPECT_EQ(a->port(), 8080);
  EXPECT_EQ(a->to_string(), "127.0.0.1:8080");
  EXPECT_TRUE(a->is_loopback());
}

TEST(Address, ParsesIpv6WithAndWithoutBrackets) {
  auto a = address::parse("[::1]", 443);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->family(), address_family::ipv6);
  EXPECT_EQ(a->to_string(), "[::1]:443");
  EXPECT_EQ(*address::parse("::1", 443), *a);
  EXPECT_EQ(a->with_port(1).port(), 1);
}

TEST(Address, RejectsNamesAndGarbage) {
  EXPECT_EQ(address::parse("localhost", 1).error(), eddy::errc::host_not_found);
  EXPECT_EQ(address::parse("", 1).error(), eddy::errc::host_not_found);
  EXPECT_EQ(address::parse("1.2.3.4.5", 1).error(), eddy::errc::host_not_found);
  EXPECT_EQ(address::parse(std::string(300, '1'), 1).error(), eddy::errc::host_not_found);
}

TEST(Address, HoldsUnixPathsAndRejectsOverlongOnes) {
  auto a = address::unix_path("/tmp/eddy.sock");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->family(), address_family::unix_path);
  EXPECT_EQ(a->to_string(), "/tmp/eddy.sock");
  EXPECT_EQ(a->port(), 0);
  EXPECT_EQ(address::unix_path("@abstract")->host(), "@abstract");
  EXPECT_FALSE(address::unix_path(std::string(200, 'x')));
  EXPECT_FALSE(address::unix_path(""));
}

TEST(Address, DefaultIsUnspecified) {
  address a;
  EXPECT_EQ(a.family(), address_family::unspecified);
  EXPECT_EQ(a.to_string(), "<unspecified>");
}
