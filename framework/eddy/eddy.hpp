// SPDX-License-Identifier: MIT
// The umbrella header: everything public in eddy.
#pragma once

#include "eddy/core/async_generator.hpp"
#include "eddy/core/awaitable_traits.hpp"
#include "eddy/core/cancellation.hpp"
#include "eddy/core/errors.hpp"
#include "eddy/core/generator.hpp"
#include "eddy/core/outcome.hpp"
#include "eddy/core/result.hpp"
#include "eddy/core/task.hpp"
#include "eddy/core/unique_function.hpp"
#include "eddy/core/when_all.hpp"
#include "eddy/core/when_any.hpp"
#include "eddy/runtime/event_loop.hpp"
#include "eddy/runtime/io.hpp"
#include "eddy/runtime/run.hpp"
#include "eddy/runtime/signals.hpp"
#include "eddy/runtime/sleep.hpp"
#include "eddy/runtime/spawn.hpp"
#include "eddy/runtime/task_group.hpp"
#include "eddy/runtime/timeout.hpp"
