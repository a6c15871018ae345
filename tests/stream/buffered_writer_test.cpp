// SPDX-License-Identifier: MIT
#include <eddy/stream/buffered_writer.hpp>

#include <gtest/gtest.h>

#include <string>

#include <eddy/runtime/sleep.hpp>
#include <eddy/runtime/spawn.hpp>
#include <eddy/stream/buffered_reader.hpp>

#include "support/memory_stream.hpp"
#include "support/test_loop.hpp"

using eddy::task;
using eddy::test::memory_stream;
using eddy::test::run_virtual;

TEST(BufferedWriter, SmallWritesStayBufferedUntilFlush) {
  run_virtual([]() -> task<> {
    auto [a, b] = memory_stream::make_pair();
    eddy::buffered_writer w(a);
    EXPECT_TRUE(co_await w.write(std::string_view("hello ")));
    EXPECT_TRUE(co_await w.write(std::string_view("world")));
    EXPECT_EQ(a.bytes_written(), 0u);
    EXPECT_EQ(w.buffered_size(), 11u);
    EXPECT_TRUE(co_await w.flush());
    EXPECT_EQ(a.output(), "hello world");
  }());
}

TEST(BufferedWriter, WriteWaitsAboveTheHighWaterMarkUntilThePeerReads) {
  run_virtual([]() -> task<> {
    auto [a, b] = memory_stream::make_pair({.write_capacity = 1000});
    eddy::buffered_writer w(a, {.high_water = 4000, .low_water = 1000});
    std::string chunk(1000, 'x');
    // 4 KiB fit under the mark; the 5th write must wait for the slow peer.
    for (int i = 0; i < 4; ++i) EXPECT_TRUE(co_await w.write(std::string_view(chunk)));
    auto h = eddy::spawn(w.write(std::string_view(chunk)));
    co_await eddy::sleep_for(std::chrono::milliseconds(5));
    EXPECT_FALSE(h.done());
    EXPECT_LE(w.buffered_size(), 5000u);
    eddy::buffered_reader r(b);
    auto first = co_await r.read_exactly(3000);
    EXPECT_TRUE(first);
    auto ok = co_await h;
    EXPECT_TRUE(ok);
    EXPECT_LE(w.buffered_size(), 1000u);
  }());
}

TEST(BufferedWriter, WritevGathersBuffersInOrder) {
  run_virtual([]() -> task<> {
    auto [a, b] = memory_stream::make_pair({.max_write = 3});
    eddy::buffered_writer w(a, {.high_water = 4, .low_water = 0});
    std::string x = "abc", y = "defgh", z = "ij";
    std::span<const char> parts[] = {x, y, z};
    EXPECT_TRUE(co_await w.writev(parts));
    EXPECT_TRUE(co_await w.flush());
    EXPECT_EQ(a.output(), "abcdefghij");
  }());
}

TEST(BufferedWriter, ShutdownWriteFlushesThenSignalsEof) {
  run_virtual([]() -> task<> {
    auto [a, b] = memory_stream::make_pair();
    eddy::buffered_writer w(a);
    EXPECT_TRUE(co_await w.write(std::string_view("bye")));
    EXPECT_TRUE(co_await w.shutdown_write());
    eddy::buffered_reader r(b);
    EXPECT_EQ(*co_await r.read_to_end(100), "bye");
  }());
}

TEST(BufferedWriter, ReportsTheFailingWrite) {
  run_virtual([]() -> task<> {
    auto [a, b] = memory_stream::make_pair({.fail_at = 1});
    eddy::buffered_writer w(a);
    EXPECT_TRUE(co_await w.write(std::string_view("data")));
    auto r = co_await w.flush();
    EXPECT_EQ(r.error(), std::errc::connection_reset);
    EXPECT_EQ(w.buffered_size(), 4u);
  }());
}
