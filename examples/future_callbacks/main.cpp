// SPDX-License-Identifier: MIT
// A future passed between two plain callbacks (the asyncio tutorial's pippo/pluto): one adds
// a done callback, the other sets the result; then the future is awaited.
#include <cstdio>

#include <eddy/eddy.hpp>

void pippo(eddy::future<void> when_pluto_is_done) {
  std::puts("Hi, who are you?");
  when_pluto_is_done.add_done_callback([](eddy::future<void>&) { std::puts("Nice to meet you."); });
}

void pluto(eddy::promise<void>& when_pippo_is_done) {
  std::puts("Hi, I am Pluto");
  when_pippo_is_done.set_value();
}

eddy::task<void> amain() {
  auto promise = eddy::make_promise<void>();
  auto future = promise.get_future();
  pippo(future);
  pluto(promise);
  co_await future;  // the done callback has run on the loop by the time this returns
  co_await eddy::yield();
}

int main() { eddy::run(amain()); }
