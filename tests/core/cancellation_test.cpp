// SPDX-License-Identifier: MIT
#include "eddy/core/cancellation.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <vector>

using namespace eddy;

TEST(Cancellation, EmptyTokenIsNeverCancelled) {
  cancel_token t;
  EXPECT_FALSE(t.cancel_possible());
  EXPECT_FALSE(t.cancel_requested());
}

TEST(Cancellation, CallbacksRunOnceMostRecentFirst) {
  cancel_source s;
  std::vector<int> order;
  cancel_callback a(s.token(), [&]() noexcept { order.push_back(1); });
  cancel_callback b(s.token(), [&]() noexcept { order.push_back(2); });
  EXPECT_TRUE(s.request_cancel());
  EXPECT_FALSE(s.request_cancel());
  EXPECT_EQ(order, (std::vector<int>{2, 1}));
  EXPECT_TRUE(s.token().cancel_requested());
}

TEST(Cancellation, CallbackRunsAtOnceWhenAlreadyCancelled) {
  cancel_source s;
  s.request_cancel();
  int runs = 0;
  cancel_callback cb(s.token(), [&]() noexcept { ++runs; });
  EXPECT_EQ(runs, 1);
}

TEST(Cancellation, DestroyedCallbackDoesNotRun) {
  cancel_source s;
  int runs = 0;
  {
    cancel_callback cb(s.token(), [&]() noexcept { ++runs; });
  }
  s.request_cancel();
  EXPECT_EQ(runs, 0);
}

TEST(Cancellation, LinkedSourceFollowsParentButNotTheOtherWay) {
  cancel_source parent;
  linked_cancel_source child(parent.token());
  child.request_cancel();
  EXPECT_FALSE(parent.cancel_requested());

  linked_cancel_source child2(parent.token());
  parent.request_cancel();
  EXPECT_TRUE(child2.cancel_requested());
}

TEST(Cancellation, CallbackMayUnregisterAnotherDuringCancellation) {
  cancel_source s;
  int runs = 0;
  auto* second = new std::optional<cancel_callback<void (*)() noexcept>>();
  static int static_runs = 0;
  static_runs = 0;
  second->emplace(s.token(), +[]() noexcept { ++static_runs; });
  // Registered last, so it runs first, and unregisters `second` before its turn.
  cancel_callback first(s.token(), [&]() noexcept {
    ++runs;
    second->reset();
  });
  s.request_cancel();
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(static_runs, 0);
  delete second;
}

TEST(Cancellation, HookArmsAndDisarms) {
  struct waiter : cancel_hook {
    int fired = 0;
    using cancel_hook::arm;
    using cancel_hook::disarm;
    using cancel_hook::armed;
  };
  cancel_source s;
  waiter w;
  EXPECT_TRUE(w.arm(s.token(), [](cancel_hook* h) noexcept { static_cast<waiter*>(h)->fired++; }));
  EXPECT_TRUE(w.armed());
  w.disarm();
  s.request_cancel();
  EXPECT_EQ(w.fired, 0);
  EXPECT_FALSE(w.arm(s.token(), [](cancel_hook*) noexcept {}));
}
