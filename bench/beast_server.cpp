// SPDX-License-Identifier: MIT
// Boost.Beast peer for the HTTP benchmark: one thread, one io_context, C++20 coroutines
// (asio::awaitable), one coroutine per connection. Answers GET /plaintext and GET /json
// with keep-alive; pipelined requests are read from the connection's buffer one by one.
// Usage: beast_server [port]   (prints "listening on PORT" once ready; 0 = any port)
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <cstdlib>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

http::response<http::string_body> answer(const http::request<http::string_body>& req) {
  http::response<http::string_body> res;
  res.version(req.version());
  res.keep_alive(req.keep_alive());
  res.set(http::field::server, "beast");
  if (req.method() == http::verb::get && req.target() == "/plaintext") {
    res.result(http::status::ok);
    res.set(http::field::content_type, "text/plain");
    res.body() = "Hello, World!";
  } else if (req.method() == http::verb::get && req.target() == "/json") {
    res.result(http::status::ok);
    res.set(http::field::content_type, "application/json");
    res.body() = R"({"message":"Hello, World!"})";
  } else {
    res.result(http::status::not_found);
  }
  res.prepare_payload();
  return res;
}

asio::awaitable<void> serve(tcp::socket socket) {
  beast::flat_buffer buffer;
  socket.set_option(tcp::no_delay(true));
  for (;;) {
    http::request<http::string_body> req;
    auto [rec, rn] = co_await http::async_read(socket, buffer, req, asio::as_tuple(asio::use_awaitable));
    if (rec) break;
    auto res = answer(req);
    auto [wec, wn] = co_await http::async_write(socket, res, asio::as_tuple(asio::use_awaitable));
    if (wec || !res.keep_alive()) break;
  }
  beast::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> listen(tcp::acceptor& acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) continue;
    asio::co_spawn(acceptor.get_executor(), serve(std::move(socket)), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int port = argc > 1 ? std::atoi(argv[1]) : 8080;
  if (port < 0 || port > 65535) {
    std::fprintf(stderr, "usage: %s [port]\n", argv[0]);
    return 2;
  }
  asio::io_context ctx{1};
  tcp::acceptor acceptor{ctx, {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)}};
  acceptor.listen(4096);
  std::printf("listening on %u\n", acceptor.local_endpoint().port());
  std::fflush(stdout);
  asio::co_spawn(ctx, listen(acceptor), asio::detached);
  ctx.run();
}
