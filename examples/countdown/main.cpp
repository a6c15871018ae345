// SPDX-License-Identifier: MIT
// A generator that also consumes data: `new_value = (yield n)` lets the caller reset the
// countdown with send(). Prints 5 2 1 0, exactly as Python does: the value send() returns
// (3) goes to the caller of send, not to the for loop.
#include <eddy/eddy.hpp>

#include <optional>
#include <string>

#include "../common/story.hpp"

namespace countdown_example {

eddy::generator<int, int> countdown(int n) {
  while (n >= 0) {
    std::optional<int> new_value = co_yield n;
    if (new_value) {
      n = *new_value;
    } else {
      n -= 1;
    }
  }
}

void main() {
  auto c = countdown(5);
  for (int n : c) {
    story::say(std::to_string(n));
    if (n == 5) c.send(3);
  }
}

}  // namespace countdown_example

#ifndef EDDY_TOUR
int main(int argc, char** argv) { return story::main(argc, argv, countdown_example::main); }
#endif
