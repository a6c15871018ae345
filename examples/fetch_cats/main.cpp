// SPDX-License-Identifier: MIT
// The "fetch three cat pictures" demo from the asyncio talk: first one after another, then
// lazy tasks awaited in turn (still one after another: a task does nothing until awaited),
// then spawned tasks (asyncio.create_task) and when_all (asyncio.gather), which overlap.
// The cats come from http.cat's twin on 127.0.0.1 (an in-process http::app, port 0, with a
// simulated 200 ms network delay), so the example runs offline. Give a base URL to fetch
// from elsewhere: `fetch_cats http://127.0.0.1:8000`.
#include <eddy/eddy.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using eddy::task;
namespace http = eddy::http;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// aiohttp: `response = await session.get(f"http://http.cat/{number}"); await response.read()`.
task<void> fetch_a_cat(http::client& session, std::string base, int number) {
  auto start = std::chrono::steady_clock::now();
  auto response = co_await session.get(base + "/" + std::to_string(number));
  if (!response) {
    std::printf("cat %d: %s\n", number, response.error().message().c_str());
    co_return;
  }
  auto cat_pic = co_await response->bytes();
  std::printf("cat %d: HTTP %d, %zu bytes, %.3f s\n", number, response->status(), cat_pic ? cat_pic->size() : 0,
              seconds_since(start));
}

task<void> fetch_cats(std::string base) {
  http::client session;
  const std::vector<int> cats{200, 418, 500};

  std::puts("One after another:");
  auto start = std::chrono::steady_clock::now();
  for (int cat : cats) co_await fetch_a_cat(session, base, cat);
  std::printf("Total %.3f s\n\nTasks made first, then awaited in turn (still one after another):\n",
              seconds_since(start));

  start = std::chrono::steady_clock::now();
  std::vector<task<void>> coros;
  for (int cat : cats) coros.push_back(fetch_a_cat(session, base, cat));
  for (auto& coro : coros) co_await std::move(coro);
  std::printf("Total %.3f s\n\nSpawned (create_task), then awaited:\n", seconds_since(start));

  start = std::chrono::steady_clock::now();
  std::vector<eddy::join_handle<void>> tasks;
  for (int cat : cats) tasks.push_back(eddy::spawn(fetch_a_cat(session, base, cat)));
  for (auto& t : tasks) co_await t;
  std::printf("Total %.3f s\n\nAll at once (when_all, asyncio.gather):\n", seconds_since(start));

  start = std::chrono::steady_clock::now();
  co_await eddy::when_all(fetch_a_cat(session, base, 200), fetch_a_cat(session, base, 418),
                          fetch_a_cat(session, base, 500));
  std::printf("Total %.3f s\n", seconds_since(start));
}

// http.cat's twin: GET /<status> answers a (made-up) picture after 200 ms.
task<void> with_local_cats() {
  http::app app("cats");
  app.get("/<code:int>", [](http::request& req) -> task<http::response> {
    co_await eddy::sleep_for(200ms);  // a slow network between us and the cats
    const int code = req.param<int>("code");
    co_return http::response::bytes(std::string(static_cast<std::size_t>(2048 + code), '\xff'), "image/jpeg");
  });
  eddy::tcp_listener listener(eddy::address::parse("127.0.0.1", 0).value());
  auto server = eddy::spawn(app.serve(listener));
  co_await fetch_cats("http://127.0.0.1:" + std::to_string(listener.local_address().port()));
  server.cancel();
  try {
    co_await server;
  } catch (const eddy::cancelled_error&) {
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) {
    eddy::run(fetch_cats(argv[1]));
  } else {
    eddy::run(with_local_cats());
  }
}
