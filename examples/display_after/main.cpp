// SPDX-License-Identifier: MIT
// asyncio.run(displayAfter("Hei", 3)); asyncio.run(displayAfter("Bye", 5)):
// each eddy::run creates a loop, runs one coroutine to completion and closes the loop.
#include <eddy/eddy.hpp>

#include <string>

#include "../common/story.hpp"

namespace display_after_example {

eddy::task<void> display_after(std::string msg, double delay) {
  co_await eddy::sleep_for(story::delay(delay));
  story::display(msg);
}

void main() {
  story::say("*****Start of main*****");
  eddy::run(display_after("Hei", 3));
  eddy::run(display_after("Bye", 5));  // starts only after "Hei": 8 s in all
  story::say("*****End of main*****");
}

}  // namespace display_after_example

#ifndef EDDY_TOUR
int main(int argc, char** argv) { return story::main(argc, argv, display_after_example::main); }
#endif
