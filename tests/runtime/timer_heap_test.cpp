// SPDX-License-Identifier: MIT
#include "eddy/runtime/detail/timer_heap.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

using eddy::detail::timer_heap;
using eddy::detail::timer_node;

TEST(TimerHeap, PopsInDeadlineOrderAfterRandomRemovals) {
  std::mt19937 rng(42);
  std::vector<timer_node> nodes(5000);
  timer_heap heap;
  for (auto& n : nodes) {
    n.when = std::chrono::steady_clock::time_point(std::chrono::milliseconds(rng() % 1000));
    heap.push(&n);
  }
  std::vector<timer_node*> kept;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (i % 3 == 0) {
      heap.remove(&nodes[i]);
      EXPECT_FALSE(nodes[i].queued());
    } else {
      kept.push_back(&nodes[i]);
    }
  }
  ASSERT_EQ(heap.size(), kept.size());
  std::stable_sort(kept.begin(), kept.end(), [](auto* a, auto* b) { return a->when < b->when; });
  for (auto* expected : kept) {
    ASSERT_FALSE(heap.empty());
    EXPECT_EQ(heap.pop(), expected);
  }
  EXPECT_TRUE(heap.empty());
}

TEST(TimerHeap, RemovingTwiceIsHarmless) {
  timer_heap heap;
  timer_node a, b;
  heap.push(&a);
  heap.push(&b);
  heap.remove(&a);
  heap.remove(&a);
  EXPECT_EQ(heap.size(), 1u);
  EXPECT_EQ(heap.pop(), &b);
}
