// SPDX-License-Identifier: MIT
#include "eddy/runtime/channel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <new>
#include <optional>
#include <utility>
#include <vector>

#include "eddy/core/when_all.hpp"
#include "eddy/runtime/sleep.hpp"
#include "eddy/runtime/spawn.hpp"
#include "eddy/runtime/timeout.hpp"
#include "support/test_loop.hpp"

// Counts heap allocations so a test can show that channel operations allocate nothing. The
// replacements pair malloc with free; GCC cannot see that once it inlines them into call sites
// and warns about a mismatch.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
namespace {
std::atomic<std::size_t> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace eddy;
using namespace std::chrono_literals;

namespace {

task<void> send_and_record(channel<int>& ch, int v, std::vector<int>& done, bool& result) {
  result = co_await ch.send(v);
  done.push_back(v);
}

task<std::optional<int>> receive_one(channel<int>& ch) { co_return co_await ch.receive(); }

task<void> receive_and_record(channel<int>& ch, std::vector<std::optional<int>>& got) {
  got.push_back(co_await ch.receive());
}

}  // namespace

TEST(Channel, BufferedItemsComeOutInFifoOrderWithoutWaiting) {
  auto body = []() -> task<void> {
    channel<int> ch(3);
    EXPECT_EQ(ch.capacity(), 3u);
    auto start = detail::this_loop().now();
    for (int i = 1; i <= 3; ++i) EXPECT_TRUE(co_await ch.send(i));
    EXPECT_EQ(ch.size(), 3u);
    for (int i = 1; i <= 3; ++i) EXPECT_EQ(co_await ch.receive(), i);
    EXPECT_EQ(ch.size(), 0u);
    // Wrap around the ring a few times.
    for (int i = 0; i < 10; ++i) {
      EXPECT_TRUE(co_await ch.send(i));
      EXPECT_TRUE(co_await ch.send(i + 100));
      EXPECT_EQ(co_await ch.receive(), i);
      EXPECT_EQ(co_await ch.receive(), i + 100);
    }
    EXPECT_EQ(detail::this_loop().now(), start);
  };
  test::run_virtual(body());
}

TEST(Channel, SendWaitsWhileFullAndWaitingSendersAreServedInOrder) {
  auto body = []() -> task<void> {
    channel<int> ch(1);
    EXPECT_TRUE(co_await ch.send(1));
    std::vector<int> done;
    bool r10 = false, r20 = false, r30 = false;
    auto a = spawn(send_and_record(ch, 10, done, r10));
    auto b = spawn(send_and_record(ch, 20, done, r20));
    auto c = spawn(send_and_record(ch, 30, done, r30));
    co_await sleep_for(1s);
    EXPECT_EQ(ch.waiting_senders(), 3u);
    EXPECT_TRUE(done.empty());
    EXPECT_FALSE(ch.try_send(99));  // full, and no barging past the waiting senders
    EXPECT_EQ(co_await ch.receive(), 1);
    EXPECT_EQ(ch.size(), 1u);  // the oldest sender's item moved into the freed slot
    EXPECT_EQ(ch.waiting_senders(), 2u);
    EXPECT_EQ(co_await ch.receive(), 10);
    EXPECT_EQ(co_await ch.receive(), 20);
    EXPECT_EQ(co_await ch.receive(), 30);
    co_await a;
    co_await b;
    co_await c;
    EXPECT_EQ(done, (std::vector<int>{10, 20, 30}));
    EXPECT_TRUE(r10 && r20 && r30);
  };
  test::run_virtual(body());
}

TEST(Channel, WaitingReceiversAreServedInOrderByDirectHandOff) {
  auto body = []() -> task<void> {
    channel<int> ch(2);
    auto a = spawn(receive_one(ch));
    auto b = spawn(receive_one(ch));
    auto c = spawn(receive_one(ch));
    co_await yield();
    EXPECT_EQ(ch.waiting_receivers(), 3u);
    EXPECT_TRUE(ch.try_send(1));
    EXPECT_TRUE(co_await ch.send(2));
    EXPECT_TRUE(co_await ch.send(3));
    EXPECT_EQ(ch.size(), 0u);  // handed over, never buffered
    EXPECT_EQ(ch.waiting_receivers(), 0u);
    EXPECT_EQ(co_await a, 1);
    EXPECT_EQ(co_await b, 2);
    EXPECT_EQ(co_await c, 3);
  };
  test::run_virtual(body());
}

TEST(Channel, TryOperationsNeverWaitAndAFailedTrySendKeepsTheValue) {
  channel<std::unique_ptr<int>> ch(1);
  EXPECT_FALSE(ch.try_receive().has_value());
  auto p = std::make_unique<int>(7);
  EXPECT_TRUE(ch.try_send(std::move(p)));
  EXPECT_EQ(p, nullptr);
  auto q = std::make_unique<int>(8);
  EXPECT_FALSE(ch.try_send(std::move(q)));
  ASSERT_NE(q, nullptr);  // nothing was moved from it
  EXPECT_EQ(*q, 8);
  auto got = ch.try_receive();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(**got, 7);
  ch.close();
  EXPECT_FALSE(ch.try_send(std::move(q)));
  EXPECT_NE(q, nullptr);
  EXPECT_TRUE(ch.closed());
}

TEST(Channel, ClosedChannelDeliversBufferedItemsThenNullopt) {
  auto body = []() -> task<void> {
    channel<int> ch(4);
    EXPECT_TRUE(co_await ch.send(1));
    EXPECT_TRUE(co_await ch.send(2));
    ch.close();
    ch.close();
    EXPECT_TRUE(ch.closed());
    EXPECT_FALSE(co_await ch.send(3));
    EXPECT_FALSE(ch.try_send(3));
    EXPECT_EQ(co_await ch.receive(), 1);
    EXPECT_EQ(ch.try_receive(), 2);
    EXPECT_EQ(co_await ch.receive(), std::nullopt);
    EXPECT_EQ(co_await ch.receive(), std::nullopt);
  };
  test::run_virtual(body());
}

TEST(Channel, CloseWakesWaitingReceiversWithNulloptAndWaitingSendersWithFalse) {
  auto body = []() -> task<void> {
    channel<int> receivers_side(1);
    std::vector<std::optional<int>> got;
    auto r1 = spawn(receive_and_record(receivers_side, got));
    auto r2 = spawn(receive_and_record(receivers_side, got));
    co_await yield();
    receivers_side.close();
    co_await r1;
    co_await r2;
    EXPECT_EQ(got, (std::vector<std::optional<int>>{std::nullopt, std::nullopt}));

    channel<int> senders_side(1);
    EXPECT_TRUE(co_await senders_side.send(1));
    std::vector<int> done;
    bool ok2 = true, ok3 = true;
    auto s2 = spawn(send_and_record(senders_side, 2, done, ok2));
    auto s3 = spawn(send_and_record(senders_side, 3, done, ok3));
    co_await yield();
    senders_side.close();
    co_await s2;
    co_await s3;
    EXPECT_FALSE(ok2);
    EXPECT_FALSE(ok3);
    EXPECT_EQ(co_await senders_side.receive(), 1);  // buffered before the close
    EXPECT_EQ(co_await senders_side.receive(), std::nullopt);
  };
  test::run_virtual(body());
}

TEST(Channel, PipelinesWithSeveralProducersAndConsumersDeliverEveryItemExactlyOnce) {
  constexpr int producers = 4;
  constexpr int per_producer = 250;
  auto produce = [](channel<int>& ch, int id) -> task<void> {
    for (int i = 0; i < per_producer; ++i) {
      EXPECT_TRUE(co_await ch.send(id * 10000 + i));
      if (i % (id + 3) == 0) co_await sleep_for(std::chrono::microseconds(50 * (id + 1)));
    }
  };
  auto consume = [](channel<int>& ch, int id, std::vector<int>& out) -> task<void> {
    while (auto item = co_await ch.receive()) {
      out.push_back(*item);
      if (out.size() % (id + 2) == 0) co_await sleep_for(std::chrono::microseconds(80));
    }
  };
  for (std::size_t capacity : {0u, 1u, 3u, 64u}) {
    SCOPED_TRACE(capacity);
    auto body = [&]() -> task<void> {
      channel<int> ch(capacity);
      std::vector<std::vector<int>> outs(3);
      std::vector<join_handle<void>> consumers;
      for (int c = 0; c < 3; ++c) consumers.push_back(spawn(consume(ch, c, outs[c])));
      std::vector<task<void>> ps;
      for (int p = 0; p < producers; ++p) ps.push_back(produce(ch, p));
      co_await when_all(std::move(ps));
      ch.close();
      for (auto& c : consumers) co_await c;

      std::vector<int> seen(producers * per_producer, 0);
      std::size_t total = 0;
      for (auto& out : outs) {
        total += out.size();
        std::vector<int> last(producers, -1);
        for (int v : out) {
          int p = v / 10000, i = v % 10000;
          ++seen[p * per_producer + i];
          EXPECT_GT(i, last[p]) << "a consumer saw one producer's items out of order";
          last[p] = i;
        }
      }
      EXPECT_EQ(total, static_cast<std::size_t>(producers * per_producer));
      EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), producers * per_producer);
      for (auto& out : outs) EXPECT_FALSE(out.empty()) << "every consumer should get work";
    };
    test::run_virtual(body());
  }
}

TEST(Channel, CancelledSenderDeliversNothingAndTheQueueMovesOn) {
  auto body = []() -> task<void> {
    channel<int> ch(1);
    EXPECT_TRUE(co_await ch.send(1));
    std::vector<int> done;
    bool ok2 = false, ok3 = false;
    auto s2 = spawn(send_and_record(ch, 2, done, ok2));
    auto s3 = spawn(send_and_record(ch, 3, done, ok3));
    co_await yield();
    s2.cancel();
    EXPECT_EQ(ch.waiting_senders(), 1u);
    EXPECT_THROW(co_await s2, cancelled_error);
    EXPECT_EQ(co_await ch.receive(), 1);
    EXPECT_EQ(co_await ch.receive(), 3);
    co_await s3;
    EXPECT_TRUE(ok3);
    EXPECT_EQ(done, std::vector<int>{3});
    EXPECT_EQ(ch.size(), 0u);
  };
  test::run_virtual(body());
}

TEST(Channel, CancelledReceiverConsumesNothing) {
  auto body = []() -> task<void> {
    channel<int> ch(2);
    auto r1 = spawn(receive_one(ch));
    auto r2 = spawn(receive_one(ch));
    co_await yield();
    r1.cancel();
    EXPECT_EQ(ch.waiting_receivers(), 1u);
    EXPECT_THROW(co_await r1, cancelled_error);
    EXPECT_TRUE(co_await ch.send(5));
    EXPECT_TRUE(co_await ch.send(6));
    EXPECT_EQ(co_await r2, 5);
    EXPECT_EQ(co_await ch.receive(), 6);
  };
  test::run_virtual(body());
}

TEST(Channel, AnAlreadyCancelledTaskThrowsWhenItWouldHaveToWait) {
  auto body = []() -> task<void> {
    channel<int> ch(1);
    auto h = spawn([](channel<int>& ch) -> task<int> {
      auto token = co_await this_task::token();
      while (!token.cancel_requested()) co_await yield();
      int stage = 0;
      try {
        co_await ch.send(1);  // room: completes without waiting
        stage = 1;
        co_await ch.send(2);  // full: would wait, so the cancellation is seen
      } catch (const cancelled_error&) {
        co_return stage;
      }
      co_return -1;
    }(ch));
    co_await yield();
    h.cancel();
    EXPECT_EQ(co_await h, 1);
    EXPECT_EQ(ch.size(), 1u);
    EXPECT_EQ(ch.waiting_senders(), 0u);
  };
  test::run_virtual(body());
}

TEST(Channel, ReceiverCancelledAfterTheHandOffStillGetsItsItem) {
  auto body = []() -> task<void> {
    channel<int> ch(1);
    auto r = spawn(receive_one(ch));
    co_await yield();
    EXPECT_TRUE(co_await ch.send(42));  // handed to the receiver, which has not run yet
    r.cancel();
    EXPECT_EQ(co_await r, 42);  // the item is not lost
    EXPECT_EQ(ch.size(), 0u);
  };
  test::run_virtual(body());
}

TEST(Channel, SenderCancelledAfterItsItemWasTakenReturnsTrue) {
  auto body = []() -> task<void> {
    channel<int> ch(1);
    EXPECT_TRUE(co_await ch.send(1));
    std::vector<int> done;
    bool ok = false;
    auto s = spawn(send_and_record(ch, 2, done, ok));
    co_await yield();
    EXPECT_EQ(co_await ch.receive(), 1);  // moves the sender's item into the buffer
    s.cancel();
    co_await s;
    EXPECT_TRUE(ok);
    EXPECT_EQ(co_await ch.receive(), 2);
  };
  test::run_virtual(body());
}

TEST(Channel, RendezvousSendCompletesOnlyWhenAReceiverTakesTheItem) {
  auto body = []() -> task<void> {
    channel<int> ch(0);
    EXPECT_EQ(ch.capacity(), 0u);
    EXPECT_FALSE(ch.try_send(1));
    std::vector<int> done;
    bool ok = false;
    auto s = spawn(send_and_record(ch, 7, done, ok));
    co_await sleep_for(1s);
    EXPECT_TRUE(done.empty());
    EXPECT_EQ(ch.size(), 0u);
    EXPECT_EQ(ch.try_receive(), 7);  // taken straight from the waiting sender
    co_await s;
    EXPECT_TRUE(ok);

    auto r = spawn(receive_one(ch));
    co_await yield();
    EXPECT_TRUE(ch.try_send(8));  // a receiver waits: the hand-off succeeds
    EXPECT_EQ(co_await r, 8);
    ch.close();
    EXPECT_EQ(co_await ch.receive(), std::nullopt);
  };
  test::run_virtual(body());
}

TEST(Channel, DestroyingParkedFramesLeavesTheChannelConsistent) {
  auto body = []() -> task<void> {
    channel<int> ch(1);
    EXPECT_TRUE(co_await ch.send(1));
    std::vector<int> done;
    bool ok_a = false, ok_b = false;
    auto parked_sender = send_and_record(ch, 2, done, ok_a).release();
    detail::this_loop().schedule(parked_sender);
    auto sender = spawn(send_and_record(ch, 3, done, ok_b));
    co_await yield();
    EXPECT_EQ(ch.waiting_senders(), 2u);
    parked_sender.destroy();  // its item is dropped with its frame, never delivered
    EXPECT_EQ(ch.waiting_senders(), 1u);
    EXPECT_EQ(co_await ch.receive(), 1);
    EXPECT_EQ(co_await ch.receive(), 3);
    co_await sender;
    EXPECT_TRUE(ok_b);

    std::vector<std::optional<int>> got;
    auto parked_receiver = receive_and_record(ch, got).release();
    detail::this_loop().schedule(parked_receiver);
    auto receiver = spawn(receive_one(ch));
    co_await yield();
    EXPECT_EQ(ch.waiting_receivers(), 2u);
    parked_receiver.destroy();
    EXPECT_EQ(ch.waiting_receivers(), 1u);
    EXPECT_TRUE(co_await ch.send(9));
    EXPECT_EQ(co_await receiver, 9);
    EXPECT_TRUE(got.empty());
  };
  test::run_virtual(body());
}

TEST(Channel, ReceiveUnderATimeoutGivesUpWithoutConsuming) {
  auto body = []() -> task<void> {
    channel<int> ch(1);
    auto r = co_await move_on_after(10ms, ch.receive());
    EXPECT_FALSE(r.has_value());
    EXPECT_EQ(ch.waiting_receivers(), 0u);
    EXPECT_TRUE(co_await ch.send(1));
    EXPECT_THROW(co_await with_timeout(10ms, ch.send(2)), timeout_error);
    EXPECT_EQ(ch.waiting_senders(), 0u);
    auto got = co_await with_timeout(10ms, ch.receive());
    EXPECT_EQ(got, 1);
  };
  test::run_virtual(body());
}

TEST(Channel, MoveOnlyItemsAreDestroyedExactlyOnceIncludingWhenTheChannelDies) {
  auto body = []() -> task<void> {
    auto tracker = std::make_shared<int>(0);
    {
      channel<std::shared_ptr<int>> ch(4);
      for (int i = 0; i < 3; ++i) EXPECT_TRUE(co_await ch.send(tracker));
      EXPECT_EQ(tracker.use_count(), 4);
      auto one = co_await ch.receive();
      EXPECT_EQ(tracker.use_count(), 4);
      one.reset();
      EXPECT_EQ(tracker.use_count(), 3);
    }
    EXPECT_EQ(tracker.use_count(), 1);  // buffered items were destroyed with the channel

    std::optional<channel<int>> ch(std::in_place, 1);
    auto r = spawn(receive_one(*ch));
    co_await yield();
    ch.reset();  // waiting receivers see a closed channel
    EXPECT_EQ(co_await r, std::nullopt);
  };
  test::run_virtual(body());
}

TEST(Channel, SendAndReceiveAllocateNothingInSteadyState) {
  auto body = []() -> task<void> {
    channel<int> ch(4);
    constexpr int n = 5000;
    std::size_t at_warm = 0;
    std::size_t at_end = 0;
    auto produce = [](channel<int>& ch) -> task<void> {
      for (int i = 0; i < n; ++i) co_await ch.send(i);
    };
    auto consume = [](channel<int>& ch, std::size_t& at_warm, std::size_t& at_end) -> task<void> {
      long long sum = 0;
      for (int i = 0; i < n; ++i) {
        if (i == 100) at_warm = g_allocations.load();
        sum += *co_await ch.receive();
      }
      at_end = g_allocations.load();
      EXPECT_EQ(sum, static_cast<long long>(n) * (n - 1) / 2);
    };
    co_await when_all(produce(ch), consume(ch, at_warm, at_end));
    EXPECT_GT(at_warm, 0u);
    EXPECT_EQ(at_end, at_warm);
  };
  test::run_virtual(body());
}
