// SPDX-License-Identifier: MIT
// (d) on Boost.Asio: N co_spawned coroutines each waiting on their own steady_timer for D.
// Prints the same JSON line as sleep_rss.cpp. Usage: asio_sleep_rss [N] [D_ms]
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "peak_rss.hpp"

namespace asio = boost::asio;

namespace {
struct counters {
  long asleep = 0;
  long peak_asleep = 0;
  long finished = 0;
};

asio::awaitable<void> sleeper(asio::io_context& ctx, counters& c, std::chrono::milliseconds d) {
  if (++c.asleep > c.peak_asleep) c.peak_asleep = c.asleep;
  asio::steady_timer timer(ctx, d);
  co_await timer.async_wait(asio::use_awaitable);
  --c.asleep;
  ++c.finished;
}
}  // namespace

int main(int argc, char** argv) {
  long n = argc > 1 ? std::atol(argv[1]) : 1'000'000;
  std::chrono::milliseconds d{argc > 2 ? std::atol(argv[2]) : 2000};
  if (n <= 0 || d.count() < 0) {
    std::fprintf(stderr, "usage: %s [tasks > 0] [sleep_ms >= 0]\n", argv[0]);
    return 2;
  }
  counters c;
  auto start = std::chrono::steady_clock::now();
  asio::io_context ctx(1);
  // Spawned from inside the loop, like the eddy and asyncio versions.
  asio::co_spawn(ctx, [&]() -> asio::awaitable<void> {
    for (long i = 0; i < n; ++i) asio::co_spawn(ctx, sleeper(ctx, c, d), asio::detached);
    co_return;
  }, asio::detached);
  ctx.run();
  std::chrono::duration<double> wall = std::chrono::steady_clock::now() - start;
  std::printf(
      "{\"peer\": \"asio\", \"tasks\": %ld, \"sleep_s\": %.3f, \"wall_s\": %.3f, "
      "\"overhead_s\": %.3f, \"peak_asleep\": %ld, \"peak_rss_mib\": %.1f}\n",
      n, d.count() / 1000.0, wall.count(), wall.count() - d.count() / 1000.0, c.peak_asleep,
      eddy::bench::peak_rss_bytes() / (1024.0 * 1024.0));
  return c.finished == n ? 0 : 1;
}
