// SPDX-License-Identifier: MIT
// asyncio.create_task: the task runs while main does something useful, then main awaits it.
#include <eddy/eddy.hpp>

#include <string>

#include "../common/story.hpp"

namespace create_task_example {

eddy::task<void> display_after(std::string msg, double delay) {
  story::display("START: " + msg);
  co_await eddy::sleep_for(story::delay(delay));
  story::display("END: " + msg);
}

eddy::task<void> amain() {
  story::say("*****Start of main*****");
  auto task = eddy::spawn(display_after("Hello", 10));  // starts on the loop's next turn

  for (int i = 0; i < 5; ++i) {
    story::say("Doing something useful...");
    co_await eddy::sleep_for(story::delay(1));
  }

  story::say("Finished doing useful work, now I'll wait for task to finish");
  co_await task;
  story::say("*****End of main*****");
}

void main() { eddy::run(amain()); }

}  // namespace create_task_example

#ifndef EDDY_TOUR
int main(int argc, char** argv) { return story::main(argc, argv, create_task_example::main); }
#endif
