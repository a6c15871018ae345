// SPDX-License-Identifier: MIT
#include "eddy/core/result.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

using eddy::errc;
using eddy::result;

TEST(Result, HoldsAValue) {
  result<std::string> r = std::string("hi");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "hi");
  EXPECT_FALSE(r.error());
}

TEST(Result, HoldsAnErrorCodeComparableWithStdErrc) {
  result<int> r = errc::timed_out;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::timed_out);
  EXPECT_EQ(r.error(), std::errc::timed_out);
  EXPECT_EQ(r.error().message(), "operation timed out");
  EXPECT_STREQ(r.error().category().name(), "eddy");
}

TEST(Result, MovesMoveOnlyValues) {
  result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  result<std::unique_ptr<int>> s = std::move(r);
  ASSERT_TRUE(s);
  EXPECT_EQ(**s, 7);
  s = eddy::unexpected(errc::unexpected_eof);
  EXPECT_EQ(s.error(), errc::unexpected_eof);
}

TEST(Result, VoidResultIsSuccessOrError) {
  result<void> ok;
  EXPECT_TRUE(ok);
  result<void> bad = std::make_error_code(std::errc::connection_reset);
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error(), std::errc::connection_reset);
}

TEST(Result, ValueOrFallsBack) {
  result<int> r = errc::limit_exceeded;
  EXPECT_EQ(r.value_or(5), 5);
}
