// SPDX-License-Identifier: MIT
// asyncio.gather(task1, task2, task3) is eddy::when_all: one wait for all three tasks.
#include <eddy/eddy.hpp>

#include <string>

#include "../common/story.hpp"

namespace when_all_example {

eddy::task<void> display_after(std::string msg, double delay) {
  story::display("START: " + msg);
  co_await eddy::sleep_for(story::delay(delay));
  story::display("END: " + msg);
}

eddy::task<void> amain() {
  story::display("*****Start of main*****");
  auto task1 = eddy::spawn(display_after("Bonjour", 10));
  auto task2 = eddy::spawn(display_after("Bore da", 15));
  auto task3 = eddy::spawn(display_after("Hei hei", 20));

  for (int i = 0; i < 5; ++i) {
    story::display("Doing something useful...");
    co_await eddy::sleep_for(story::delay(1));
  }

  story::display("Waiting multiple tasks to complete");
  // when_all takes tasks; as_task turns each running task's handle into one that awaits it.
  co_await eddy::when_all(eddy::as_task(std::move(task1)), eddy::as_task(std::move(task2)),
                          eddy::as_task(std::move(task3)));

  story::display("*****End of main*****");
}

void main() { eddy::run(amain()); }

}  // namespace when_all_example

#ifndef EDDY_TOUR
int main(int argc, char** argv) { return story::main(argc, argv, when_all_example::main); }
#endif
