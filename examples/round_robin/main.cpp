// SPDX-License-Identifier: MIT
// Time slicing with generators: a loop takes turns resuming two of them until both finish,
// the smallest possible event loop.
#include <eddy/eddy.hpp>

#include <deque>
#include <utility>
#include <string>

#include "../common/story.hpp"

namespace round_robin_example {

eddy::generator<std::string> pippo() {
  co_yield "Hi, who are you?";
  co_yield "Nice to meet you.";
  co_yield "I am Pippo";
}

eddy::generator<std::string> pluto() {
  co_yield "Hi, I am Pluto";
  co_yield "What's your name?";
}

void main() {
  std::deque<eddy::generator<std::string>> loop;
  loop.push_back(pippo());
  loop.push_back(pluto());
  while (!loop.empty()) {
    auto el = std::move(loop.front());
    loop.pop_front();
    if (auto line = el.next()) {  // Python's next(el); nullopt once it has finished
      story::say(*line);
      loop.push_back(std::move(el));
    }
  }
}

}  // namespace round_robin_example

#ifndef EDDY_TOUR
int main(int argc, char** argv) { return story::main(argc, argv, round_robin_example::main); }
#endif
