// SPDX-License-Identifier: MIT
#pragma once

/// The source tree's path (no trailing slash), for tests that read fixtures; spelled
/// `EDDY_SOURCE_DIR` in tests. Defined in source_dir.cpp.
extern const char* const eddy_test_source_dir;
