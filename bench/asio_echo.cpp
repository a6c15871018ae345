// SPDX-License-Identifier: MIT
// Boost.Asio C++20-coroutine TCP echo server for bench/run_echo_bench.sh: one thread, one
// io_context, a coroutine per connection (async_read_some into 16 KiB, async_write back).
//
//   asio_echo PORT        (listens on 127.0.0.1; runs until killed)
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

asio::awaitable<void> echo(tcp::socket s) {
  std::array<char, 16 * 1024> buf;
  boost::system::error_code ec;
  auto token = asio::redirect_error(asio::use_awaitable, ec);
  for (;;) {
    std::size_t n = co_await s.async_read_some(asio::buffer(buf), token);
    if (ec) co_return;
    co_await asio::async_write(s, asio::buffer(buf.data(), n), token);
    if (ec) co_return;
  }
}

asio::awaitable<void> listen(tcp::acceptor& acceptor) {
  boost::system::error_code ec;
  auto token = asio::redirect_error(asio::use_awaitable, ec);
  for (;;) {
    tcp::socket s = co_await acceptor.async_accept(token);
    if (ec) continue;
    s.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(acceptor.get_executor(), echo(std::move(s)), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: asio_echo PORT\n");
    return 2;
  }
  char* end = nullptr;
  long port = std::strtol(argv[1], &end, 10);
  if (*argv[1] == '\0' || *end != '\0' || port < 0 || port > 65535) {
    std::fprintf(stderr, "asio_echo: bad port '%s'\n", argv[1]);
    return 2;
  }
  try {
    asio::io_context io(1);
    tcp::acceptor acceptor(io);
    tcp::endpoint at(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
    acceptor.open(at.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(at);
    acceptor.listen(4096);
    asio::co_spawn(io, listen(acceptor), asio::detached);
    io.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "asio_echo: %s\n", e.what());
    return 1;
  }
}
