// SPDX-License-Identifier: MIT
// The aiohttp "fetch three cat pictures" demo: first one after another, then all at once with
// when_all. The cats come from an in-process http::app on 127.0.0.1 (port 0) that serves three
// small files with a simulated 200 ms network delay, so the example runs offline.
#include <eddy/eddy.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

using namespace std::chrono_literals;
using eddy::task;
namespace http = eddy::http;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// GET one picture and report its size and time (aiohttp: session.get + response.read()).
task<void> fetch_a_cat(http::client& session, std::string base, int number) {
  auto start = std::chrono::steady_clock::now();
  auto response = co_await session.get(base + "/cats/" + std::to_string(number) + ".jpg");
  if (!response) {
    std::printf("cat %d: %s\n", number, response.error().message().c_str());
    co_return;
  }
  auto picture = co_await response->bytes();
  std::printf("cat %d: HTTP %d, %zu bytes, %.3f s\n", number, response->status(),
              picture ? picture->size() : 0, seconds_since(start));
}

task<void> amain(std::string dir) {
  http::app app("cats");
  app.use([](http::request& req, http::next_handler next) -> task<http::response> {
    co_await eddy::sleep_for(200ms);  // a slow network between us and the cats
    co_return co_await next(req);
  });
  app.static_files("/cats", dir);
  eddy::tcp_listener listener(eddy::address::parse("127.0.0.1", 0).value());
  auto server = eddy::spawn(app.serve(listener));
  std::string base = "http://127.0.0.1:" + std::to_string(listener.local_address().port());
  {
    http::client session;
    std::puts("One after another:");
    auto start = std::chrono::steady_clock::now();
    for (int cat : {200, 418, 500}) co_await fetch_a_cat(session, base, cat);
    std::printf("Total %.3f s\n\nAll at once (when_all):\n", seconds_since(start));
    start = std::chrono::steady_clock::now();
    co_await eddy::when_all(fetch_a_cat(session, base, 200), fetch_a_cat(session, base, 418),
                            fetch_a_cat(session, base, 500));
    std::printf("Total %.3f s\n", seconds_since(start));
  }
  server.cancel();
  try {
    co_await server;
  } catch (const eddy::cancelled_error&) {
  }
}

}  // namespace

int main() {
  auto dir = std::filesystem::temp_directory_path() / ("eddy-cats-" + std::to_string(std::random_device{}()));
  std::filesystem::create_directories(dir);
  for (int cat : {200, 418, 500}) {
    std::ofstream(dir / (std::to_string(cat) + ".jpg")) << std::string(2048 + cat, '\xff');
  }
  eddy::run(amain(dir.string()));
  std::filesystem::remove_all(dir);
}
