// SPDX-License-Identifier: MIT
#pragma once

#include <sys/resource.h>

#include <cstdio>
#include <cstring>

namespace eddy::bench {

/// Peak resident set size of this process in bytes: the larger of getrusage's ru_maxrss and
/// /proc/self/status VmHWM (Linux; the file is absent elsewhere).
inline double peak_rss_bytes() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
#if defined(__APPLE__)
  double best = static_cast<double>(usage.ru_maxrss);  // bytes on macOS
#else
  double best = static_cast<double>(usage.ru_maxrss) * 1024.0;  // KiB elsewhere
#endif
  if (std::FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    while (std::fgets(line, sizeof line, f)) {
      long kib = 0;
      if (std::strncmp(line, "VmHWM:", 6) == 0 && std::sscanf(line + 6, "%ld", &kib) == 1) {
        if (kib * 1024.0 > best) best = kib * 1024.0;
      }
    }
    std::fclose(f);
  }
  return best;
}

}  // namespace eddy::bench
