// SPDX-License-Identifier: MIT
#include "load_options.hpp"

#include <cmath>
#include <cstdlib>
#include <stdexcept>

namespace eddy::tools {

std::chrono::nanoseconds parse_duration(const std::string& text, const char* what) {
  const char* begin = text.c_str();
  char* end = nullptr;
  const double v = std::strtod(begin, &end);
  const std::string unit(end == begin ? "" : end);
  double scale = 0;
  if (end == begin || !std::isfinite(v) || v < 0) {
    scale = 0;
  } else if (unit.empty() || unit == "s") {
    scale = 1e9;
  } else if (unit == "ms") {
    scale = 1e6;
  } else if (unit == "us" || unit == "µs") {
    scale = 1e3;
  } else if (unit == "ns") {
    scale = 1;
  } else if (unit == "m" || unit == "min") {
    scale = 60e9;
  } else if (unit == "h") {
    scale = 3600e9;
  }
  if (scale == 0) {
    throw std::invalid_argument(std::string(what) + ": '" + text +
                                "' is not a duration (examples: 10s, 500ms, 2m, 1.5)");
  }
  return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(v * scale)));
}

}  // namespace eddy::tools
