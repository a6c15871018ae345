// SPDX-License-Identifier: MIT
// Resolves names concurrently with c-ares on the event loop — no resolver threads.
//   cares_resolve example.com debian.org              # servers from /etc/resolv.conf
//   cares_resolve --server 127.0.0.1:5353 db.test     # a specific server
#include <cstdio>
#include <string>

#include <eddy/eddy.hpp>
#include <vector>

#include "cares_resolver.hpp"

eddy::task<void> amain(std::string server, std::vector<std::string> names) {
  cares_resolver resolver(server);
  std::vector<eddy::task<std::vector<std::string>>> lookups;
  for (auto& n : names) lookups.push_back(resolver.resolve(n));
  auto outcomes = co_await eddy::when_all_settled(std::move(lookups));
  for (std::size_t i = 0; i < names.size(); ++i) {
    try {
      for (auto& a : outcomes[i].value()) std::printf("%s\t%s\n", names[i].c_str(), a.c_str());
    } catch (const std::exception& e) {
      std::printf("%s\terror: %s\n", names[i].c_str(), e.what());
    }
  }
}

int main(int argc, char** argv) {
  std::string server;
  std::vector<std::string> names;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--server" && i + 1 < argc) server = argv[++i];
    else names.emplace_back(argv[i]);
  }
  if (names.empty()) {
    std::fprintf(stderr, "usage: cares_resolve [--server host:port] name...\n");
    return 2;
  }
  eddy::run(amain(server, names));
}
