// SPDX-License-Identifier: MIT
#pragma once
// A property check for fuzz targets: a violated property aborts with a message, which
// libFuzzer reports as a crash (and saves the input), and the replay test reports as a
// failure. Unlike assert, it is on in every build type.
#include <cstdio>
#include <cstdlib>

#define EDDY_FUZZ_CHECK(cond)                                                          \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "%s:%d: fuzz property violated: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                    \
    }                                                                                  \
  } while (0)
