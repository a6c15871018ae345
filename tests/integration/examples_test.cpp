// SPDX-License-Identifier: MIT
// eddy-test-labels: integration
// Runs every example binary with a high speed factor and checks the story it prints. The
// binaries are found in ../examples next to this test (or in $EDDY_EXAMPLES_DIR).
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

constexpr const char* speed = "50";

fs::path examples_dir() {
  if (const char* dir = std::getenv("EDDY_EXAMPLES_DIR")) return dir;
  // build/<preset>/tests/<this test> → build/<preset>/examples (Linux; elsewhere set the
  // variable above).
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return self.parent_path().parent_path() / "examples";
}

struct run_result {
  int exit_code = -1;
  std::vector<std::string> lines;
};

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// How the example's stdin is connected.
enum class input_kind { pipe, dev_null };

/// Runs `name` with `args`, feeding `input` through a pipe (or /dev/null). A hang ends after
/// 30 s with exit code 124 (coreutils `timeout`).
run_result run_example(const std::string& name, const std::string& args = std::string("--speed ") + speed,
                       const std::string& input = "", input_kind kind = input_kind::pipe,
                       const std::string& env = "") {
  run_result r;
  fs::path exe = examples_dir() / name;
  if (!fs::exists(exe)) {
    ADD_FAILURE() << "example binary not built: " << exe;
    return r;
  }
  std::string command = env + " timeout 30 " + quote(exe.string()) + " " + args + " 2>&1";
  if (kind == input_kind::dev_null) {
    command += " </dev/null";
  } else {
    char path[] = "/tmp/eddy-example-input-XXXXXX";
    int fd = ::mkstemp(path);
    if (fd < 0) {
      ADD_FAILURE() << "mkstemp failed";
      return r;
    }
    ::close(fd);
    std::ofstream(path) << input;
    command = "cat " + quote(path) + " | " + command + "; status=$?; rm -f " + quote(path) +
              "; exit $status";
  }
  FILE* out = ::popen(command.c_str(), "r");
  if (!out) {
    ADD_FAILURE() << "popen failed for " << command;
    return r;
  }
  std::string text;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, out)) text.append(buf, n);
  int status = ::pclose(out);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    r.lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return r;
}

const std::regex timestamp(R"(^\d\d:\d\d:\d\d )");

/// Removes leading "HH:MM:SS " timestamps (the poll example prints two).
std::string untimed(std::string line) {
  while (std::regex_search(line, timestamp)) line.erase(0, 9);
  return line;
}

std::vector<std::string> untimed(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  for (const auto& l : lines) out.push_back(untimed(l));
  return out;
}

bool skip_if_examples_not_built() {
  fs::path dir = examples_dir();
  return dir.empty() || !fs::is_directory(dir);
}

#define REQUIRE_EXAMPLES()                                                              \
  if (skip_if_examples_not_built()) GTEST_SKIP() << "no examples directory at " << examples_dir()

using lines = std::vector<std::string>;

}  // namespace

TEST(Examples, DisplayAfterRunsTwoLoopsOneAfterTheOther) {
  REQUIRE_EXAMPLES();
  auto r = run_example("display_after");
  EXPECT_EQ(r.exit_code, 0);
  ASSERT_EQ(r.lines.size(), 4u);
  EXPECT_TRUE(std::regex_search(r.lines[1], timestamp)) << r.lines[1];
  EXPECT_EQ(untimed(r.lines),
            (lines{"*****Start of main*****", "Hei", "Bye", "*****End of main*****"}));
}

TEST(Examples, SayAfterPrintsHelloWorldTwice) {
  REQUIRE_EXAMPLES();
  auto r = run_example("say_after");
  EXPECT_EQ(r.exit_code, 0);
  ASSERT_EQ(r.lines.size(), 8u);
  const std::regex started(R"(^started at \d\d:\d\d:\d\d$)");
  const std::regex finished(R"(^finished at \d\d:\d\d:\d\d$)");
  for (int i : {0, 4}) {
    EXPECT_TRUE(std::regex_match(r.lines[i], started)) << r.lines[i];
    EXPECT_EQ(r.lines[i + 1], "hello");
    EXPECT_EQ(r.lines[i + 2], "world");
    EXPECT_TRUE(std::regex_match(r.lines[i + 3], finished)) << r.lines[i + 3];
  }
}

TEST(Examples, RoundRobinInterleavesTwoGenerators) {
  REQUIRE_EXAMPLES();
  auto r = run_example("round_robin");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.lines, (lines{"Hi, who are you?", "Hi, I am Pluto", "Nice to meet you.",
                            "What's your name?", "I am Pippo"}));
}

TEST(Examples, CreateTaskRunsWhileMainDoesSomethingUseful) {
  REQUIRE_EXAMPLES();
  auto r = run_example("create_task");
  EXPECT_EQ(r.exit_code, 0);
  const std::string useful = "Doing something useful...";
  EXPECT_EQ(untimed(r.lines),
            (lines{"*****Start of main*****", useful, "START: Hello", useful, useful, useful, useful,
                   "Finished doing useful work, now I'll wait for task to finish", "END: Hello",
                   "*****End of main*****"}));
}

TEST(Examples, ThreeTasksAreAwaitedOneByOne) {
  REQUIRE_EXAMPLES();
  auto r = run_example("three_tasks");
  EXPECT_EQ(r.exit_code, 0);
  for (const auto& l : r.lines) EXPECT_TRUE(std::regex_search(l, timestamp)) << l;
  const std::string useful = "Doing something useful...";
  EXPECT_EQ(untimed(r.lines),
            (lines{"*****Start of main*****", useful, "START: Bonjour", "START: Bore da",
                   "START: Hei hei", useful, useful, useful, useful,
                   "Waiting for task1 to finish", "END: Bonjour", "Waiting for task2 to finish",
                   "END: Bore da", "Waiting for task3 to finish", "END: Hei hei",
                   "*****End of main*****"}));
}

TEST(Examples, WhenAllAwaitsThreeTasksAtOnce) {
  REQUIRE_EXAMPLES();
  auto r = run_example("when_all");
  EXPECT_EQ(r.exit_code, 0);
  const std::string useful = "Doing something useful...";
  EXPECT_EQ(untimed(r.lines),
            (lines{"*****Start of main*****", useful, "START: Bonjour", "START: Bore da",
                   "START: Hei hei", useful, useful, useful, useful,
                   "Waiting multiple tasks to complete", "END: Bonjour", "END: Bore da",
                   "END: Hei hei", "*****End of main*****"}));
}

TEST(Examples, TaskResultPrintsTheAwaitedValue) {
  REQUIRE_EXAMPLES();
  auto r = run_example("task_result");
  EXPECT_EQ(r.exit_code, 0);
  ASSERT_EQ(r.lines.size(), 3u);
  EXPECT_TRUE(std::regex_search(r.lines[1], timestamp));
  EXPECT_EQ(untimed(r.lines), (lines{"*****Start of main*****", "Bonjour", "*****End of main*****"}));
}

TEST(Examples, PollTaskChecksDoneUntilTheResultIsThere) {
  REQUIRE_EXAMPLES();
  auto r = run_example("poll_task");
  EXPECT_EQ(r.exit_code, 0);
  auto got = untimed(r.lines);
  ASSERT_GE(got.size(), 4u);
  EXPECT_EQ(got.front(), "*****Start of main*****");
  EXPECT_EQ(got.back(), "*****End of main*****");
  EXPECT_EQ(got[got.size() - 2], "Bonjour");
  std::size_t polls = got.size() - 3;
  // One poll per second of a ten-second task; timer ties may add or drop one.
  EXPECT_GE(polls, 9u);
  EXPECT_LE(polls, 11u);
  for (std::size_t i = 1; i + 2 < got.size(); ++i) EXPECT_EQ(got[i], "Doing something useful...");
}

namespace {
const std::string prompt = "Task not complete yet. Do you want to cancel it? ";
const std::string cancel_line = "OK I'll cancel the task and we'll all just move on in life.";
const std::string wait_line = "OK I'll wait another second and do something useful...";
const std::string closed_line = "No more answers (stdin is closed), so I'll wait for the task.";
}  // namespace

TEST(Examples, CancelTaskCancelsWhenTheUserTypesY) {
  REQUIRE_EXAMPLES();
  auto r = run_example("cancel_task", std::string("--speed ") + speed, "y\n");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(untimed(r.lines),
            (lines{"*****Start of main*****", prompt + "y", cancel_line, "*****End of main*****"}));
}

TEST(Examples, CancelTaskWaitsAfterNoThenCancels) {
  REQUIRE_EXAMPLES();
  auto r = run_example("cancel_task", std::string("--speed ") + speed, "n\ny\n");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(untimed(r.lines), (lines{"*****Start of main*****", prompt + "n", wait_line,
                                     prompt + "y", cancel_line, "*****End of main*****"}));
}

TEST(Examples, CancelTaskWaitsForTheTaskWhenStdinIsClosed) {
  REQUIRE_EXAMPLES();
  lines expected{"*****Start of main*****", prompt, closed_line, "Bonjour", "*****End of main*****"};
  auto piped = run_example("cancel_task", std::string("--speed ") + speed, "");
  EXPECT_EQ(piped.exit_code, 0);
  EXPECT_EQ(untimed(piped.lines), expected);
  auto dev_null = run_example("cancel_task", std::string("--speed ") + speed, "", input_kind::dev_null);
  EXPECT_EQ(dev_null.exit_code, 0);
  EXPECT_EQ(untimed(dev_null.lines), expected);
}

TEST(Examples, CancelTaskTreatsAClosedStdinAsEndOfInput) {
  REQUIRE_EXAMPLES();
  auto r = run_example("cancel_task", std::string("--speed ") + speed + " <&-");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(untimed(r.lines), (lines{"*****Start of main*****", prompt, closed_line, "Bonjour",
                                     "*****End of main*****"}));
}

TEST(Examples, CancelTaskTakesALastAnswerWithoutNewline) {
  REQUIRE_EXAMPLES();
  auto r = run_example("cancel_task", std::string("--speed ") + speed, "y");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(untimed(r.lines),
            (lines{"*****Start of main*****", prompt + "y", cancel_line, "*****End of main*****"}));
}

TEST(Examples, GeneratorPipelinePrintsDoubledOddNumbersBothWays) {
  REQUIRE_EXAMPLES();
  auto r = run_example("generator_pipeline");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.lines, (lines{"Pulled through generators:", "2", "6", "10", "14", "18",
                            "Pushed through coroutines with send():", "2", "6", "10", "14", "18"}));
}

TEST(Examples, CountdownPrintsWhatPythonPrintsAfterSend) {
  REQUIRE_EXAMPLES();
  auto r = run_example("countdown");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.lines, (lines{"5", "2", "1", "0"}));
}

TEST(Examples, AsyncGeneratorTicksFiveTimes) {
  REQUIRE_EXAMPLES();
  auto r = run_example("async_generator");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(untimed(r.lines), (lines{"*****Start of main*****", "tick 0", "tick 1", "tick 2",
                                     "tick 3", "tick 4", "*****End of main*****"}));
}

TEST(Examples, SpeedComesFromTheEnvironmentUnlessGivenOnTheCommandLine) {
  REQUIRE_EXAMPLES();
  auto bad = run_example("countdown", "", "", input_kind::pipe, "EDDY_EXAMPLE_SPEED=abc");
  EXPECT_EQ(bad.exit_code, 2);
  ASSERT_FALSE(bad.lines.empty());
  EXPECT_NE(bad.lines[0].find("EDDY_EXAMPLE_SPEED"), std::string::npos) << bad.lines[0];

  auto overridden = run_example("countdown", "--speed 5", "", input_kind::pipe, "EDDY_EXAMPLE_SPEED=abc");
  EXPECT_EQ(overridden.exit_code, 0);
  EXPECT_EQ(overridden.lines, (lines{"5", "2", "1", "0"}));

  auto from_env = run_example("async_generator", "", "", input_kind::pipe, "EDDY_EXAMPLE_SPEED=100");
  EXPECT_EQ(from_env.exit_code, 0);
  EXPECT_EQ(from_env.lines.size(), 7u);
}

TEST(Examples, RejectBadSpeedsWithAUsageError) {
  REQUIRE_EXAMPLES();
  for (const char* bad : {"--speed 0", "--speed -3", "--speed fast", "--speed", "--frobnicate"}) {
    auto r = run_example("countdown", bad);
    EXPECT_EQ(r.exit_code, 2) << bad;
    ASSERT_FALSE(r.lines.empty()) << bad;
    EXPECT_NE(r.lines[0].find("countdown"), std::string::npos) << r.lines[0];
  }
}

TEST(Examples, TourRunsEveryExampleAndSumsUp) {
  REQUIRE_EXAMPLES();
  auto r = run_example("tour", "--speed 100");
  EXPECT_EQ(r.exit_code, 0);
  ASSERT_FALSE(r.lines.empty());
  int headings = 0;
  for (const auto& l : r.lines) headings += l.starts_with("== ");
  EXPECT_EQ(headings, 12);
  EXPECT_TRUE(r.lines.back().starts_with("Tour done: 12 of 12 examples ran in")) << r.lines.back();
}

TEST(Examples, FetchCatsFetchesEachCatInEverySectionFromItsLocalServer) {
  REQUIRE_EXAMPLES();
  auto r = run_example("fetch_cats", "");
  EXPECT_EQ(r.exit_code, 0);
  const std::regex cat(R"(^cat (200|418|500): HTTP 200, (\d+) bytes, \d+\.\d{3} s$)");
  const std::regex total(R"(^Total \d+\.\d{3} s$)");
  const lines headings{"One after another:", "Tasks made first, then awaited in turn (still one after another):",
                       "Spawned (create_task), then awaited:", "All at once (when_all, asyncio.gather):"};
  ASSERT_EQ(r.lines.size(), 4u * 5 + 3) << ::testing::PrintToString(r.lines);
  for (std::size_t s = 0; s < 4; ++s) {
    const std::size_t at = s * 6;  // heading, three cats, total, blank
    EXPECT_EQ(r.lines[at], headings[s]);
    std::vector<std::string> seen;
    for (std::size_t i = 1; i <= 3; ++i) {
      std::smatch m;
      ASSERT_TRUE(std::regex_match(r.lines[at + i], m, cat)) << r.lines[at + i];
      EXPECT_EQ(std::stoi(m[2]), 2048 + std::stoi(m[1]));  // the whole picture arrived
      seen.push_back(m[1]);
    }
    if (s < 2) {
      EXPECT_EQ(seen, (lines{"200", "418", "500"}));  // one after another: in order
    }
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, (lines{"200", "418", "500"}));
    EXPECT_TRUE(std::regex_match(r.lines[at + 4], total)) << r.lines[at + 4];
  }
}
