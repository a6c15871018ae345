// SPDX-License-Identifier: MIT
// An echo server on the protocol/transport layer (asyncio's create_server(EchoProtocol)):
// callbacks instead of coroutines, no coroutine frame and no read buffer per connection.
#include <eddy/net/tcp_listener.hpp>
#include <eddy/net/tcp_stream.hpp>
#include <eddy/runtime/run.hpp>
#include <eddy/net/serve_protocol.hpp>
#include <eddy/net/transport.hpp>
#include <eddy/runtime/spawn.hpp>

#include <cstdio>
#include <memory>
#include <string>

using namespace eddy;

class echo : public protocol {
 public:
  void connection_made(transport& t) override {
    t_ = &t;
    auto peer = t.peer_address();
    std::printf("Connection from %s\n", peer ? peer->to_string().c_str() : "?");
  }
  void data_received(std::span<const char> data) override { t_->write(data); }
  // Flow control: stop reading while the client does not read its echo.
  void pause_writing() override { t_->pause_reading(); }
  void resume_writing() override { t_->resume_reading(); }
  void connection_lost(std::error_code ec) override {
    std::printf("Connection closed%s%s\n", ec ? ": " : "", ec ? ec.message().c_str() : "");
  }

 private:
  transport* t_ = nullptr;
};

task<> serve(std::uint16_t port) {
  tcp_listener listener(address::ipv4_loopback(port));
  std::printf("Serving on %s\n", listener.local_address().to_string().c_str());
  co_await serve_protocol(listener, [] { return std::make_unique<echo>(); });
}

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::stoi(argv[1]) : 8888);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line by line, even into a pipe
  eddy::run(serve(port));
}
