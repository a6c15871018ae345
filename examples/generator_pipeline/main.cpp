// SPDX-License-Identifier: MIT
// Generators as a pipeline, twice: pulled (each stage iterates the previous one) and pushed
// (each stage receives values with send(), Python's `num = (yield)`).
#include <eddy/eddy.hpp>

#include <optional>
#include <string>
#include <utility>

#include "../common/story.hpp"

namespace generator_pipeline_example {

// Pulled: for line in mul(odd(range(10)), 2).
namespace pulled {

eddy::generator<int> range(int end) {
  for (int i = 0; i < end; ++i) co_yield i;
}

eddy::generator<int> odd(eddy::generator<int> prev) {
  for (int el : prev) {
    if (el % 2 == 1) co_yield el;
  }
}

eddy::generator<int> mul(eddy::generator<int> prev, int factor) {
  for (int el : prev) co_yield el * factor;
}

}  // namespace pulled

// Pushed: o.send(i) flows through odd → mul → printer.
// A stage is a generator<void, int>: it yields nothing and receives ints. Each stage owns
// the next one and primes it (Python needs p.send(None) for that).
namespace pushed {

using consumer = eddy::generator<void, int>;

consumer printer() {
  while (true) {
    std::optional<int> num = co_yield {};
    if (num) story::say(std::to_string(*num));
  }
}

consumer mul(int factor, consumer next) {
  next.start();
  while (true) {
    std::optional<int> num = co_yield {};
    if (num) next.send(*num * factor);
  }
}

consumer odd(consumer next) {
  next.start();
  while (true) {
    std::optional<int> num = co_yield {};
    if (num && *num % 2 == 1) next.send(*num);
  }
}

}  // namespace pushed

void main() {
  story::say("Pulled through generators:");
  for (int line : pulled::mul(pulled::odd(pulled::range(10)), 2)) {
    story::say(std::to_string(line));
  }

  story::say("Pushed through coroutines with send():");
  pushed::consumer o = pushed::odd(pushed::mul(2, pushed::printer()));
  o.start();
  for (int i = 0; i < 10; ++i) o.send(i);
}

}  // namespace generator_pipeline_example

#ifndef EDDY_TOUR
int main(int argc, char** argv) { return story::main(argc, argv, generator_pipeline_example::main); }
#endif
