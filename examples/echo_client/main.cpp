// SPDX-License-Identifier: MIT
// The client side (asyncio's open_connection example): send one line, print the echo.
// Usage: echo_client [host] [port] [message]
#include <eddy/net/tcp_listener.hpp>
#include <eddy/net/tcp_stream.hpp>
#include <eddy/runtime/run.hpp>
#include <eddy/runtime/spawn.hpp>
#include <eddy/stream/buffered_reader.hpp>

#include <cstdio>
#include <string>

using namespace eddy;

task<int> talk(std::string host, std::uint16_t port, std::string message) {
  auto stream = co_await tcp_stream::connect(host, port, {.timeout = std::chrono::seconds(5)});
  if (!stream) {
    std::fprintf(stderr, "connect to %s:%u: %s\n", host.c_str(), port, stream.error().message().c_str());
    co_return 1;
  }
  std::printf("Send: %s\n", message.c_str());
  message += '\n';
  if (auto sent = co_await stream->write(message); !sent) co_return 1;

  buffered_reader reader(*stream);
  auto line = co_await reader.read_line();
  if (!line) {
    std::fprintf(stderr, "read: %s\n", line.error().message().c_str());
    co_return 1;
  }
  std::printf("Received: %s", line->c_str());
  co_return 0;
}

int main(int argc, char** argv) {
  std::string host = argc > 1 ? argv[1] : "127.0.0.1";
  auto port = static_cast<std::uint16_t>(argc > 2 ? std::stoi(argv[2]) : 8888);
  std::string message = argc > 3 ? argv[3] : "Hello World!";
  return eddy::run(talk(std::move(host), port, std::move(message)));
}
