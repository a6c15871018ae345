// SPDX-License-Identifier: MIT
// The eddy tour: every asyncio teaching example, in one process, with its delays divided by
// 20 (about 5 s in all). Each section is the very code of examples/<name>/main.cpp.
#define EDDY_TOUR
#include "../async_generator/main.cpp"
#include "../cancel_task/main.cpp"
#include "../countdown/main.cpp"
#include "../create_task/main.cpp"
#include "../display_after/main.cpp"
#include "../generator_pipeline/main.cpp"
#include "../poll_task/main.cpp"
#include "../round_robin/main.cpp"
#include "../say_after/main.cpp"
#include "../task_result/main.cpp"
#include "../three_tasks/main.cpp"
#include "../when_all/main.cpp"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string_view>
#include <system_error>

namespace {

struct section {
  std::string_view example;  // examples/<example>/main.cpp
  std::string_view idea;
  std::function<void()> run;
};

/// The cancel example reads its answers from a pipe here: "n", then "y".
void cancel_with_scripted_answers() {
  int fds[2];
  if (::pipe(fds) != 0) throw std::system_error(errno, std::system_category(), "pipe");
  constexpr std::string_view answers = "n\ny\n";
  bool written = ::write(fds[1], answers.data(), answers.size()) == ssize_t(answers.size());
  ::close(fds[1]);
  if (!written) {
    ::close(fds[0]);
    throw std::system_error(errno, std::system_category(), "write");
  }
  try {
    cancel_task_example::main(fds[0]);
  } catch (...) {
    ::close(fds[0]);
    throw;
  }
  ::close(fds[0]);
}

}  // namespace

int main(int argc, char** argv) {
  story::speed = 20;  // --speed / EDDY_EXAMPLE_SPEED override it
  if (!story::parse_args(argc, argv)) return 2;

  const section sections[] = {
      {"display_after", "eddy::run runs one coroutine to completion, twice in a row",
       display_after_example::main},
      {"say_after", "awaiting one by one takes 3 s; two tasks take 2 s",
       say_after_example::main},
      {"create_task", "eddy::spawn starts a task that runs while main keeps working",
       create_task_example::main},
      {"three_tasks", "three tasks run at once; main awaits them one by one",
       three_tasks_example::main},
      {"when_all", "asyncio.gather is eddy::when_all", when_all_example::main},
      {"task_result", "co_await on a task gives its result", task_result_example::main},
      {"poll_task", "poll done(), then take result()", poll_task_example::main},
      {"cancel_task", "cancel() a task when the user says so (answers piped in: n, y)",
       cancel_with_scripted_answers},
      {"round_robin", "a tiny loop takes turns resuming two eddy::generators",
       round_robin_example::main},
      {"generator_pipeline", "eddy::generator stages, pulled and pushed with send()",
       generator_pipeline_example::main},
      {"countdown", "a generator that takes a new value through send()",
       countdown_example::main},
      {"async_generator", "co_yield inside async code; consume with co_await gen.next()",
       async_generator_example::main},
  };

  auto start = std::chrono::steady_clock::now();
  int number = 0;
  int failed = 0;
  for (const section& s : sections) {
    std::printf("\n== %d/%zu  %.*s: %.*s ==\n", ++number, std::size(sections),
                static_cast<int>(s.example.size()), s.example.data(),
                static_cast<int>(s.idea.size()), s.idea.data());
    std::fflush(stdout);
    try {
      s.run();
    } catch (const std::exception& e) {
      ++failed;
      std::fprintf(stderr, "tour: %.*s failed: %s\n", static_cast<int>(s.example.size()),
                   s.example.data(), e.what());
    }
  }
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  std::printf("\nTour done: %d of %zu examples ran in %.1f s (delays divided by %g); "
              "run one at full speed with build/release/examples/<name>.\n",
              number - failed, std::size(sections), took.count(), story::speed);
  return failed == 0 ? 0 : 1;
}
