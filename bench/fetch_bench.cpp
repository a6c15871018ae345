// SPDX-License-Identifier: MIT
// Client side of bench/run_fetch_bench.sh: REQUESTS GETs of URL over CONNECTIONS keep-alive
// connections with http::client (one loop, one thread), each body read whole. Prints
// "ok=N failed=N wall=S cpu=S" (wall and CPU time of the fetching only, not of startup).
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <eddy/core/when_all.hpp>
#include <eddy/http/client.hpp>
#include <eddy/runtime/run.hpp>

namespace {

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

struct counters {
  std::size_t left;
  std::size_t ok = 0;
  std::size_t failed = 0;
};

eddy::task<void> worker(eddy::http::client& c, const std::string& url, counters& n) {
  while (n.left > 0) {
    --n.left;
    auto r = co_await c.get(url);
    if (!r) {
      ++n.failed;
      continue;
    }
    auto body = co_await r->text();
    if (body && r->status() == 200) {
      ++n.ok;
    } else {
      ++n.failed;
    }
  }
}

eddy::task<int> amain(std::string url, std::size_t requests, std::size_t connections) {
  eddy::http::client c({.max_connections = connections, .max_per_host = connections});
  counters n{requests};
  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<eddy::task<void>> workers;
  for (std::size_t i = 0; i < connections; ++i) workers.push_back(worker(c, url, n));
  co_await eddy::when_all(std::move(workers));
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("ok=%zu failed=%zu wall=%.4f cpu=%.4f\n", n.ok, n.failed, wall, cpu_seconds() - cpu0);
  co_return n.failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s URL REQUESTS CONNECTIONS\n", argv[0]);
    return 2;
  }
  return eddy::run(amain(argv[1], std::strtoull(argv[2], nullptr, 10), std::strtoull(argv[3], nullptr, 10)));
}
