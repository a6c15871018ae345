// SPDX-License-Identifier: MIT
#include "support/memory_stream.hpp"

#include <gtest/gtest.h>

#include <string>

#include <eddy/runtime/sleep.hpp>
#include <eddy/runtime/spawn.hpp>
#include <eddy/stream/buffered_reader.hpp>
#include <eddy/stream/buffered_writer.hpp>
#include <eddy/stream/write_all.hpp>

#include "support/test_loop.hpp"

using eddy::errc;
using eddy::task;
using eddy::test::memory_stream;
using eddy::test::run_virtual;

TEST(MemoryStream, DeliversBytesInScriptedChunks) {
  run_virtual([]() -> task<> {
    auto s = memory_stream::from_input("abcdefghij", {.read_chunks = {3, 1}});
    char buf[16];
    std::string sizes;
    for (;;) {
      auto n = co_await s.read_some(buf);
      if (!n || *n == 0) break;
      sizes += std::to_string(*n);
    }
    EXPECT_EQ(sizes, "31312");  // 10 bytes: 3 + 1 + 3 + 1 + 2
  }());
}

TEST(MemoryStream, FailsTheNthOperation) {
  run_virtual([]() -> task<> {
    auto [a, b] = memory_stream::make_pair({.fail_at = 2, .fail_error = make_error_code(errc::timed_out)});
    EXPECT_TRUE(co_await a.write_some(std::string_view("x")));
    EXPECT_EQ((co_await a.write_some(std::string_view("y"))).error(), errc::timed_out);
    EXPECT_TRUE(co_await a.write_some(std::string_view("z")));
    a.fail_after(1);
    EXPECT_EQ((co_await a.write_some(std::string_view("w"))).error(), std::errc::connection_reset);
  }());
}

TEST(MemoryStream, WriterWaitsForTheReaderAtCapacity) {
  run_virtual([]() -> task<> {
    auto [a, b] = memory_stream::make_pair({.write_capacity = 4});
    auto h = eddy::spawn(eddy::write_all(a, std::string_view("0123456789")));
    co_await eddy::sleep_for(std::chrono::milliseconds(1));
    EXPECT_FALSE(h.done());
    EXPECT_EQ(a.output().size(), 4u);
    eddy::buffered_reader r(b);
    EXPECT_EQ(*co_await r.read_exactly(10), "0123456789");
    EXPECT_TRUE(co_await h);
  }());
}

TEST(MemoryStream, CloseGivesEofAndAbortGivesReset) {
  run_virtual([]() -> task<> {
    auto [a, b] = memory_stream::make_pair();
    EXPECT_TRUE(co_await a.write_some(std::string_view("last")));
    a.close();
    eddy::buffered_reader r(b);
    EXPECT_EQ(*co_await r.read_to_end(100), "last");
    EXPECT_EQ((co_await b.write_some(std::string_view("x"))).error(), std::errc::broken_pipe);

    auto [c, d] = memory_stream::make_pair();
    c.abort();
    char buf[4];
    EXPECT_EQ((co_await d.read_some(buf)).error(), std::errc::connection_reset);
  }());
}

TEST(MemoryStream, BufferedWriterCloseFlushesAndAbortDiscards) {
  run_virtual([]() -> task<> {
    auto [a, b] = memory_stream::make_pair();
    eddy::buffered_writer w(a);
    EXPECT_TRUE(co_await w.write(std::string_view("kept")));
    EXPECT_TRUE(co_await w.close());
    eddy::buffered_reader r(b);
    EXPECT_EQ(*co_await r.read_to_end(100), "kept");

    auto [c, d] = memory_stream::make_pair();
    eddy::buffered_writer w2(c);
    EXPECT_TRUE(co_await w2.write(std::string_view("dropped")));
    w2.abort();
    EXPECT_EQ(w2.buffered_size(), 0u);
    char buf[8];
    EXPECT_EQ((co_await d.read_some(buf)).error(), std::errc::connection_reset);
  }());
}
