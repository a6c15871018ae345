// SPDX-License-Identifier: MIT
#include "eddy/core/unique_function.hpp"

#include <gtest/gtest.h>

#include <array>
#include <memory>

using eddy::unique_function;

TEST(UniqueFunction, CallsSmallAndLargeCallables) {
  int x = 1;
  unique_function<int(int)> small = [&x](int a) { return a + x; };
  EXPECT_EQ(small(2), 3);
  std::array<long, 16> big{};
  big[15] = 5;
  unique_function<long()> large = [big] { return big[15]; };
  EXPECT_EQ(large(), 5);
}

TEST(UniqueFunction, HoldsMoveOnlyCaptures) {
  auto p = std::make_unique<int>(4);
  unique_function<int()> f = [p = std::move(p)] { return *p; };
  unique_function<int()> g = std::move(f);
  EXPECT_FALSE(f);
  EXPECT_EQ(g(), 4);
}

TEST(UniqueFunction, DestroysCapturesOnReset) {
  auto shared = std::make_shared<int>(1);
  unique_function<void()> f = [shared] {};
  EXPECT_EQ(shared.use_count(), 2);
  f.reset();
  EXPECT_EQ(shared.use_count(), 1);
}
