// SPDX-License-Identifier: MIT
// The twin of asyncio's `start_server(handle_echo, '127.0.0.1', 8888)` example: read one
// message, print it and its sender, send it back, close. Try: echo hi | nc 127.0.0.1 8888
#include <eddy/net/tcp_listener.hpp>
#include <eddy/net/tcp_stream.hpp>
#include <eddy/runtime/run.hpp>
#include <eddy/runtime/spawn.hpp>

#include <cstdio>
#include <string>

using namespace eddy;

task<> handle_echo(tcp_stream stream) {
  char data[100];
  auto n = co_await stream.read_some(data);
  if (!n) co_return;
  std::string message(data, *n);
  auto peer = stream.peer_address();
  std::printf("Received %s from %s\n", message.c_str(), peer ? peer->to_string().c_str() : "?");

  std::printf("Send: %s\n", message.c_str());
  (void)co_await stream.write(message);  // completes once the data is handed over (drain)

  std::printf("Close the connection\n");
  stream.close();
}

task<> serve(std::uint16_t port) {
  tcp_listener server(address::ipv4_loopback(port));
  std::printf("Serving on %s\n", server.local_address().to_string().c_str());
  for (;;) {
    auto stream = co_await server.accept();
    if (!stream) break;  // cancelled (Ctrl-C)
    spawn(handle_echo(std::move(*stream)));
  }
}

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::stoi(argv[1]) : 8888);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line by line, even into a pipe
  eddy::run(serve(port));
}
