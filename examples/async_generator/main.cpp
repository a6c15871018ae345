// SPDX-License-Identifier: MIT
// An async generator (Python's `async def ticker(): ... yield i ... await asyncio.sleep()`,
// consumed with `async for`): it may await between values, and the consumer awaits each one.
#include <eddy/eddy.hpp>

#include <string>

#include "../common/story.hpp"

namespace async_generator_example {

eddy::async_generator<int> ticker(double delay, int to) {
  for (int i = 0; i < to; ++i) {
    co_yield i;
    co_await eddy::sleep_for(story::delay(delay));
  }
}

eddy::task<void> amain() {
  story::display("*****Start of main*****");
  auto ticks = ticker(1, 5);
  while (auto i = co_await ticks.next()) {  // async for i in ticker(1, 5):
    story::display("tick " + std::to_string(*i));
  }
  story::display("*****End of main*****");
}

void main() { eddy::run(amain()); }

}  // namespace async_generator_example

#ifndef EDDY_TOUR
int main(int argc, char** argv) { return story::main(argc, argv, async_generator_example::main); }
#endif
