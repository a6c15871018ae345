// SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "eddy/core/result.hpp"
#include "eddy/core/task.hpp"
#include "eddy/http/client.hpp"

namespace eddy::http {

/// An `http::client` for programs with several event loops (one per thread): each loop gets
/// its own client, made from the same options on that loop's first request, and a request
/// goes through the client of the loop it runs on. Connections are never shared between
/// loops. Thread-safe: any loop thread may call any member at the same time.
///
///     http::shared_client web({.max_per_host = 4});
///     // on any thread running an eddy loop:
///     auto r = co_await web.get("http://127.0.0.1:8080/cats");
///
/// A loop's client lives until that loop ends (`eddy::run` returning, or the loop's
/// destruction), where it is destroyed on the loop's thread; finish reading responses before
/// then. The `shared_client` may be destroyed before or after the loops: the clients hold
/// what they need.
class shared_client {
 public:
  /// Throws what `client`'s constructor throws (a missing CA file, an unusable proxy URL).
  explicit shared_client(client_options options = {});
  ~shared_client();
  shared_client(const shared_client&) = delete;
  shared_client& operator=(const shared_client&) = delete;

  /// The calling loop's client, created on first use. Call on a thread running an eddy loop.
  client& local();
  /// Clients made so far (one per loop that used this object and has not ended).
  std::size_t loops() const;

  /// `local().request(...)`, resolved when the task starts (on the loop that runs it).
  task<result<client_response>> request(method m, std::string url, request_options options = {});
  /// `request(method::get, ...)`.
  task<result<client_response>> get(std::string_view url, request_options options = {});
  /// `request(method::head, ...)`.
  task<result<client_response>> head(std::string_view url, request_options options = {});
  /// `request(method::post, ...)`.
  task<result<client_response>> post(std::string_view url, request_options options = {});
  /// `request(method::put, ...)`.
  task<result<client_response>> put(std::string_view url, request_options options = {});
  /// `request(method::patch, ...)`.
  task<result<client_response>> patch(std::string_view url, request_options options = {});
  /// `request(method::del, ...)`.
  task<result<client_response>> del(std::string_view url, request_options options = {});

  /// The options and the per-loop registry, shared with the loops' clients (internal).
  struct state;

 private:
  std::shared_ptr<state> state_;
};

}  // namespace eddy::http
