// SPDX-License-Identifier: MIT
#include "command.hpp"

#include <algorithm>

namespace eddy::tools {

namespace {
// A function-local static: registration runs during static initialisation of other files,
// whose order relative to this one is unspecified.
std::vector<command>& registry() {
  static std::vector<command> commands;
  return commands;
}
}  // namespace

bool register_command(command c) {
  registry().push_back(std::move(c));
  return true;
}

std::vector<command> registered_commands() {
  auto all = registry();
  std::sort(all.begin(), all.end(), [](const command& a, const command& b) { return a.name < b.name; });
  return all;
}

}  // namespace eddy::tools
