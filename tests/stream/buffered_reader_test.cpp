// SPDX-License-Identifier: MIT
#include <eddy/stream/buffered_reader.hpp>

#include <gtest/gtest.h>

#include <string>

#include "support/memory_stream.hpp"
#include "support/test_loop.hpp"

#include <eddy/runtime/sleep.hpp>
#include <eddy/runtime/spawn.hpp>

using eddy::errc;
using eddy::task;
using eddy::test::memory_stream;
using eddy::test::run_virtual;

namespace {

std::string sample(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
  return s;
}

}  // namespace

TEST(BufferedReader, ReadLineReturnsEachLineAtEveryChunkSize) {
  for (std::size_t chunk = 1; chunk <= 7; ++chunk) {
    run_virtual([](std::size_t c) -> task<> {
      auto s = memory_stream::from_input("one\ntwo\r\nlast", {.read_chunks = {c}});
      eddy::buffered_reader r(s);
      EXPECT_EQ(*co_await r.read_line(), "one\n");
      EXPECT_EQ(*co_await r.read_line(), "two\r\n");
      EXPECT_EQ(*co_await r.read_line(), "last");
      EXPECT_EQ(*co_await r.read_line(), "");
    }(chunk));
  }
}

TEST(BufferedReader, ReadExactlyReportsUnexpectedEofAndKeepsThePartialData) {
  run_virtual([]() -> task<> {
    auto s = memory_stream::from_input("abcdef", {.read_chunks = {2}});
    eddy::buffered_reader r(s);
    EXPECT_EQ(*co_await r.read_exactly(4), "abcd");
    auto rest = co_await r.read_exactly(5);
    EXPECT_EQ(rest.error(), errc::unexpected_eof);
    EXPECT_EQ(r.buffered(), "ef");
  }());
}

TEST(BufferedReader, ReadUntilStopsAtTheLimitWithoutLosingData) {
  run_virtual([]() -> task<> {
    auto s = memory_stream::from_input(sample(100) + "\r\n\r\nrest", {.read_chunks = {9}});
    eddy::buffered_reader r(s, {.chunk_size = 16, .limit = 50});
    auto line = co_await r.read_until("\r\n\r\n");
    EXPECT_EQ(line.error(), errc::limit_exceeded);
    EXPECT_GE(r.buffered().size(), 50u);
    EXPECT_EQ(r.buffered().substr(0, 10), sample(10));
  }());
}

TEST(BufferedReader, ReadUntilFindsASeparatorSplitAcrossReads) {
  run_virtual([]() -> task<> {
    auto s = memory_stream::from_input("head\r\n\r\nbody", {.read_chunks = {1}});
    eddy::buffered_reader r(s);
    EXPECT_EQ(*co_await r.read_until("\r\n\r\n"), "head\r\n\r\n");
    EXPECT_EQ(*co_await r.read_to_end(100), "body");
  }());
}

TEST(BufferedReader, ReadUntilReportsEofBeforeTheSeparator) {
  run_virtual([]() -> task<> {
    auto s = memory_stream::from_input("no separator");
    eddy::buffered_reader r(s);
    EXPECT_EQ((co_await r.read_until("\n")).error(), errc::unexpected_eof);
    EXPECT_EQ(r.buffered(), "no separator");
  }());
}

TEST(BufferedReader, ReadToEndEnforcesItsCap) {
  run_virtual([]() -> task<> {
    auto s = memory_stream::from_input(sample(1000), {.read_chunks = {64}});
    eddy::buffered_reader r(s, {.chunk_size = 64});
    EXPECT_EQ((co_await r.read_to_end(500)).error(), errc::limit_exceeded);
    auto t = memory_stream::from_input(sample(1000));
    eddy::buffered_reader r2(t);
    EXPECT_EQ(*co_await r2.read_to_end(1000), sample(1000));
  }());
}

TEST(BufferedReader, StreamErrorsPropagateAsResults) {
  run_virtual([]() -> task<> {
    auto s = memory_stream::from_input(sample(100), {.read_chunks = {10}, .fail_at = 3});
    eddy::buffered_reader r(s);
    EXPECT_EQ(*co_await r.read_exactly(20), sample(20));
    auto e = co_await r.read_exactly(20);
    EXPECT_EQ(e.error(), std::errc::connection_reset);
  }());
}

TEST(BufferedReader, ShrinkReleasesTheBufferWhenEmpty) {
  run_virtual([]() -> task<> {
    auto s = memory_stream::from_input("x\n");
    eddy::buffered_reader r(s);
    EXPECT_EQ(r.capacity(), 0u);
    EXPECT_EQ(*co_await r.read_line(), "x\n");
    EXPECT_GT(r.capacity(), 0u);
    r.shrink();
    EXPECT_EQ(r.capacity(), 0u);
  }());
}

TEST(BufferedReader, ReadSomeServesBufferedBytesFirst) {
  run_virtual([]() -> task<> {
    auto s = memory_stream::from_input("line\nrest-of-data");
    eddy::buffered_reader r(s);
    EXPECT_EQ(*co_await r.read_line(), "line\n");
    char buf[64];
    auto n = co_await r.read_some(buf);
    EXPECT_EQ(std::string(buf, *n), "rest-of-data");
    EXPECT_EQ(*co_await r.read_some(buf), 0u);
  }());
}

TEST(BufferedReader, ReadIsCancellableWhileWaiting) {
  run_virtual([]() -> task<> {
    auto [a, b] = memory_stream::make_pair();
    eddy::buffered_reader r(a);
    auto h = eddy::spawn(r.read_line());
    co_await eddy::sleep_for(std::chrono::milliseconds(10));
    h.cancel();
    auto line = co_await h;
    EXPECT_EQ(line.error(), errc::operation_canceled);
  }());
}
