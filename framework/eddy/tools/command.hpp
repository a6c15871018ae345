// SPDX-License-Identifier: MIT
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace eddy::tools {

/// A subcommand of the `eddy` executable (`eddy echo`, `eddy serve`, ...). Each lives in its
/// own `<name>_command.cpp` and registers itself at static-initialisation time:
///
///     namespace { const bool registered = eddy::tools::register_command({
///         "serve", "Serve a directory over HTTP", [](CLI::App& app) {
///           auto opts = std::make_shared<serve_options>();
///           app.add_option("--port", opts->port, "TCP port");
///           return [opts] { return run_serve(*opts); };
///         }}); }
struct command {
  /// The word after `eddy`.
  std::string name;
  /// One line for `eddy --help`.
  std::string description;
  /// Declares the subcommand's options on `app` and returns what to run when it is chosen
  /// (after parsing); the returned function's value is the process exit status.
  std::function<std::function<int()>(CLI::App& app)> setup;
};

/// Adds `c` to the registry. Returns true (for use in a static initialiser).
bool register_command(command c);

/// Every registered command, sorted by name.
std::vector<command> registered_commands();

}  // namespace eddy::tools
