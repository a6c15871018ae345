// SPDX-License-Identifier: MIT
// Polling: check done() each second; once it is true, result() gives the value.
#include <eddy/eddy.hpp>

#include <string>

#include "../common/story.hpp"

namespace poll_task_example {

eddy::task<std::string> create_string_after(std::string msg, double delay) {
  co_await eddy::sleep_for(story::delay(delay));
  co_return story::now() + " " + msg;
}

eddy::task<void> amain() {
  story::display("*****Start of main*****");
  auto task = eddy::spawn(create_string_after("Bonjour", 10));

  while (true) {
    if (task.done()) {
      std::string result = task.result();
      story::display(result);
      break;
    }
    story::display("Doing something useful...");
    co_await eddy::sleep_for(story::delay(1));
  }

  story::display("*****End of main*****");
}

void main() { eddy::run(amain()); }

}  // namespace poll_task_example

#ifndef EDDY_TOUR
int main(int argc, char** argv) { return story::main(argc, argv, poll_task_example::main); }
#endif
