// SPDX-License-Identifier: MIT
// What the asyncio teaching examples share: timestamps like strftime("%H:%M:%S"), and a speed
// factor (`--speed N` or EDDY_EXAMPLE_SPEED) that divides every delay so tests and the tour
// run fast. Default: the original timing.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <string>
#include <string_view>

namespace story {

/// Every delay is divided by this (1 = the Python original's timing).
inline double speed = 1.0;

/// `seconds` of story time, scaled by `speed`.
inline std::chrono::nanoseconds delay(double seconds) {
  return std::chrono::nanoseconds(static_cast<long long>(seconds * 1e9 / speed));
}

/// The wall-clock time of day, "HH:MM:SS" (Python's strftime("%H:%M:%S", localtime())).
inline std::string now() {
  std::time_t t = std::time(nullptr);
  std::tm local{};
  localtime_r(&t, &local);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &local);
  return buf;
}

/// Prints one line. Flushed at once, so output interleaves correctly when piped.
inline void say(std::string_view line) {
  std::printf("%.*s\n", static_cast<int>(line.size()), line.data());
  std::fflush(stdout);
}

/// The slides' doDisplay(msg): "HH:MM:SS msg".
inline void display(std::string_view msg) { say(now() + " " + std::string(msg)); }

/// Parses a positive speed factor; false for anything else ("0", "-1", "fast", "2x").
inline bool parse_speed(const char* text, double& out) {
  if (!text || !*text) return false;
  char* end = nullptr;
  double v = std::strtod(text, &end);
  if (*end != '\0' || !(v > 0) || v > 1e9) return false;
  out = v;
  return true;
}

/// Reads `--speed N` / `--speed=N` (or EDDY_EXAMPLE_SPEED) into `speed`. Prints a usage line
/// and returns false on bad arguments.
inline bool parse_args(int argc, char** argv) {
  const char* text = std::getenv("EDDY_EXAMPLE_SPEED");
  std::string_view source = "EDDY_EXAMPLE_SPEED";
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--speed" && i + 1 < argc) {
      text = argv[++i];
      source = "--speed";
    } else if (arg.starts_with("--speed=")) {
      text = argv[i] + 8;
      source = "--speed";
    } else {
      std::fprintf(stderr, "usage: %s [--speed N]   (N > 0 divides every delay; default %g)\n",
                   argv[0], speed);
      return false;
    }
  }
  if (text && !parse_speed(text, speed)) {
    std::fprintf(stderr, "%s: %.*s must be a number greater than 0, got '%s'\n", argv[0],
                 static_cast<int>(source.size()), source.data(), text);
    return false;
  }
  return true;
}

/// The body of every example's main(): parse the speed, run the story, report failures.
template <class Story>
int main(int argc, char** argv, Story story) {
  if (!parse_args(argc, argv)) return 2;
  try {
    story();
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 1;
  }
}

}  // namespace story
