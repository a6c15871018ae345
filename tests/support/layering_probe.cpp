// SPDX-License-Identifier: MIT
// Built only by the layering test, which expects this include to fail: eddy::core may not see
// the runtime layer's headers.
#include <eddy/runtime/event_loop.hpp>
