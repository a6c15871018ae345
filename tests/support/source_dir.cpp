// SPDX-License-Identifier: MIT
// The source tree's path for tests that read fixtures (see EDDY_SOURCE_DIR in
// tests/CMakeLists.txt): the only object file whose compile command names the checkout.
#include "support/source_dir.hpp"

const char* const eddy_test_source_dir = EDDY_SOURCE_DIR_PATH;
