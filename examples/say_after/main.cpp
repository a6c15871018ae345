// SPDX-License-Identifier: MIT
// say_after twice: awaited one after the other (3 s), then as two tasks (2 s).
#include <eddy/eddy.hpp>

#include <string>

#include "../common/story.hpp"

namespace say_after_example {

eddy::task<void> say_after(double delay, std::string what) {
  co_await eddy::sleep_for(story::delay(delay));
  story::say(what);
}

eddy::task<void> one_after_the_other() {
  story::say("started at " + story::now());
  co_await say_after(1, "hello");
  co_await say_after(2, "world");
  story::say("finished at " + story::now());
}

eddy::task<void> as_tasks() {
  auto task1 = eddy::spawn(say_after(1, "hello"));
  auto task2 = eddy::spawn(say_after(2, "world"));
  story::say("started at " + story::now());
  // Wait until both tasks are completed (should take around 2 seconds.)
  co_await task1;
  co_await task2;
  story::say("finished at " + story::now());
}

void main() {
  eddy::run(one_after_the_other());
  eddy::run(as_tasks());
}

}  // namespace say_after_example

#ifndef EDDY_TOUR
int main(int argc, char** argv) { return story::main(argc, argv, say_after_example::main); }
#endif
