// SPDX-License-Identifier: MIT
// The `eddy` command line: subcommands come from the registry (command.hpp).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <functional>

#include "command.hpp"

int main(int argc, char** argv) {
  CLI::App app{"eddy: asyncio + Sanic + aiohttp for C++20, from the command line", "eddy"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "eddy 0.1.0");
  std::function<int()> chosen;
  for (auto& c : eddy::tools::registered_commands()) {
    CLI::App* sub = app.add_subcommand(c.name, c.description);
    auto run = c.setup(*sub);
    sub->callback([&chosen, run = std::move(run)] { chosen = run; });
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    return chosen ? chosen() : 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eddy: %s\n", e.what());
    return 1;
  }
}
