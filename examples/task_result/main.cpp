// SPDX-License-Identifier: MIT
// Awaiting a task gives its result: `result = await task`.
#include <eddy/eddy.hpp>

#include <string>

#include "../common/story.hpp"

namespace task_result_example {

eddy::task<std::string> create_string_after(std::string msg, double delay) {
  co_await eddy::sleep_for(story::delay(delay));
  co_return story::now() + " " + msg;
}

eddy::task<void> amain() {
  story::say("*****Start of main*****");
  auto task = eddy::spawn(create_string_after("Bonjour", 10));
  std::string result = co_await task;  // or in one statement: co_await eddy::spawn(...)
  story::say(result);
  story::say("*****End of main*****");
}

void main() { eddy::run(amain()); }

}  // namespace task_result_example

#ifndef EDDY_TOUR
int main(int argc, char** argv) { return story::main(argc, argv, task_result_example::main); }
#endif
