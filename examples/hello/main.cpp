// SPDX-License-Identifier: MIT
// The twin of Sanic's teapot hello world.
#include <eddy/eddy.hpp>

using namespace eddy;

int main() {
  http::app app("hello");
  app.get("/", [](http::request&) -> task<http::response> {
    co_return http::response::text("I'm a teapot", 418);
  });
  app.run({.port = 8000});
}
