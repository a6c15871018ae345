// SPDX-License-Identifier: MIT
// Three tasks run concurrently; main awaits them one by one (20 s in all, not 45).
#include <eddy/eddy.hpp>

#include <string>

#include "../common/story.hpp"

namespace three_tasks_example {

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

  story::display("Waiting for task1 to finish");
  co_await task1;

  story::display("Waiting for task2 to finish");
  co_await task2;

  story::display("Waiting for task3 to finish");
  co_await task3;

  story::display("*****End of main*****");
}

void main() { eddy::run(amain()); }

}  // namespace three_tasks_example

#ifndef EDDY_TOUR
int main(int argc, char** argv) { return story::main(argc, argv, three_tasks_example::main); }
#endif
