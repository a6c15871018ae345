// SPDX-License-Identifier: MIT
// (d) N concurrently sleeping tasks on eddy: spawns N detached tasks that each sleep_for(D),
// waits until all have finished, and prints one JSON line with the wall time, the peak number
// of tasks asleep at once and the process's peak RSS. Usage: eddy_sleep_rss [N] [D_ms]
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <eddy/core/task.hpp>
#include <eddy/runtime/event.hpp>
#include <eddy/runtime/run.hpp>
#include <eddy/runtime/sleep.hpp>
#include <eddy/runtime/spawn.hpp>

#include "peak_rss.hpp"

namespace {

struct counters {
  long asleep = 0;
  long peak_asleep = 0;
  long finished = 0;
  long total = 0;
  eddy::event all_done;
};

eddy::task<void> sleeper(counters& c, std::chrono::milliseconds d) {
  if (++c.asleep > c.peak_asleep) c.peak_asleep = c.asleep;
  co_await eddy::sleep_for(d);
  --c.asleep;
  if (++c.finished == c.total) c.all_done.set();
}

eddy::task<void> main_task(counters& c, std::chrono::milliseconds d) {
  for (long i = 0; i < c.total; ++i) {
    // Dropping the handle detaches the task (it keeps running).
    (void)eddy::spawn(sleeper(c, d));
  }
  co_await c.all_done.wait();
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
  c.total = n;
  auto start = std::chrono::steady_clock::now();
  eddy::run(main_task(c, d), {.cancel_on_sigint = false});
  std::chrono::duration<double> wall = std::chrono::steady_clock::now() - start;
  std::printf(
      "{\"peer\": \"eddy\", \"tasks\": %ld, \"sleep_s\": %.3f, \"wall_s\": %.3f, "
      "\"overhead_s\": %.3f, \"peak_asleep\": %ld, \"peak_rss_mib\": %.1f}\n",
      n, d.count() / 1000.0, wall.count(), wall.count() - d.count() / 1000.0, c.peak_asleep,
      eddy::bench::peak_rss_bytes() / (1024.0 * 1024.0));
  return c.finished == n ? 0 : 1;
}
