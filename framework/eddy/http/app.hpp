// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eddy/core/task.hpp"
#include "eddy/http/error.hpp"
#include "eddy/http/json.hpp"
#include "eddy/http/parser.hpp"
#include "eddy/http/request.hpp"
#include "eddy/http/response.hpp"
#include "eddy/http/response_stream.hpp"
#include "eddy/http/router.hpp"

namespace eddy {
class tcp_listener;
}

namespace eddy::http {

/// A request handler: `task<response>(request&)`.
using handler = std::function<task<response>(request&)>;

class app;
class metrics;

/// The rest of the middleware chain, passed to each middleware (call it to continue).
class next_handler {
 public:
  task<response> operator()(request& req) const;

 private:
  friend class app;
  const app* app_ = nullptr;
  const std::vector<std::size_t>* chain_ = nullptr;  // middleware indices, outermost first
  std::size_t index_ = 0;
  const handler* final_ = nullptr;
};

/// Onion middleware: `[](request& req, next_handler next) -> task<response> { ...; auto r =
/// co_await next(req); ...; co_return r; }`. It may answer without calling `next`.
using middleware = std::function<task<response>(request&, next_handler)>;

/// Lifecycle events (Sanic's listeners).
enum class lifecycle { before_start, after_start, before_stop, after_stop };

/// Per-route options.
struct route_options {
  /// Name for `url_for`.
  std::string name{};
  /// Run the handler as soon as the request head is in and let it read the body as it
  /// arrives, through `req.body_stream()` (uploads of any size in constant memory); `req.body()`
  /// is then empty. Off: the body is read whole before the handler runs.
  bool stream_body = false;
  /// This route's request body limit in bytes; over it, 413 (from Content-Length, before any
  /// body byte is read). 0: the server's `limits.max_body_bytes`.
  std::uint64_t max_body_bytes = 0;
};

/// Server settings. Defaults follow nginx where nginx has one.
struct serve_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;
  /// Worker threads, each with its own loop and SO_REUSEPORT listener; 0 = one per core.
  unsigned workers = 1;
  parser_limits limits = {};
  /// Time to receive a complete request head once it started (slowloris): 408-less close.
  std::chrono::milliseconds header_timeout{60'000};
  /// Time allowed between body reads.
  std::chrono::milliseconds body_timeout{60'000};
  /// A body read whole (not `stream_body`) must also arrive within `body_timeout` plus the
  /// time its bytes take at this rate, in bytes per second (Apache's `MinRate`), so that a
  /// body dripping in a byte now and then cannot hold a connection for hours: 408. 0: no
  /// bound but `body_timeout` between reads. (A streamed body's handler sets its pace.)
  std::uint32_t body_min_rate = 500;
  /// An idle keep-alive connection is closed after this long.
  std::chrono::milliseconds keep_alive_timeout{75'000};
  /// Time allowed for each write of a response to make progress.
  std::chrono::milliseconds write_timeout{60'000};
  /// On SIGINT/SIGTERM, in-flight requests get this long to finish.
  std::chrono::milliseconds graceful_timeout{15'000};
  /// Connections beyond this are accepted and closed at once.
  std::size_t max_connections = 10'000;
  /// Request bodies read whole (routes without `stream_body`) that a worker holds in memory
  /// at once: a body that would take it past this is refused with 503 and its connection
  /// closed, so that many slow uploads (each up to `limits.max_body_bytes`) cannot take the
  /// machine's memory. 0: no limit.
  std::uint64_t max_body_memory = 512ull * 1024 * 1024;
  /// Log one line per request to stdout.
  bool access_log = false;
  /// `Server` header value; empty to omit.
  std::string server_name = "eddy";
  /// Peers whose forwarding headers are believed: addresses or CIDR networks ("127.0.0.1",
  /// "10.0.0.0/8"). `req.remote_address()` and `req.scheme()` come from their `Forwarded` or
  /// `X-Forwarded-For`/`-Proto` headers (see `proxy_trust`); other peers' are ignored. A
  /// malformed entry makes `run`/`serve` throw `std::invalid_argument`.
  std::vector<std::string> trusted_proxies{};
  /// On SIGTERM/SIGINT, `run` first keeps serving this long with `ready()` false (so `/ready`
  /// answers 503 and load balancers stop sending new requests), then stops accepting and
  /// drains for up to `graceful_timeout`.
  std::chrono::milliseconds shutdown_delay{0};
  /// Serve HTTPS with this certificate chain and key (PEM files).
  std::string tls_cert{};
  std::string tls_key{};
};

/// A group of routes under a URL prefix with its own middleware (Sanic's Blueprint).
class blueprint {
 public:
  blueprint& get(std::string_view pattern, handler h, route_options o = {});
  blueprint& post(std::string_view pattern, handler h, route_options o = {});
  blueprint& put(std::string_view pattern, handler h, route_options o = {});
  blueprint& patch(std::string_view pattern, handler h, route_options o = {});
  blueprint& del(std::string_view pattern, handler h, route_options o = {});
  blueprint& route(std::uint32_t methods, std::string_view pattern, handler h, route_options o = {});
  /// Middleware that runs (inside the app's) only for this group's routes.
  blueprint& use(middleware m);
  const std::string& prefix() const noexcept { return prefix_; }

 private:
  friend class app;
  blueprint(app& a, std::string prefix) : app_(&a), prefix_(std::move(prefix)) {}
  app* app_;
  std::string prefix_;
  std::vector<std::size_t> middleware_;  // indices into app::middleware_
  std::vector<std::size_t> route_ids_;
};

/// A Sanic-style web application:
///
///     http::app app;
///     app.get("/users/<id:int>", [](http::request& req) -> task<http::response> {
///       co_return http::response::json({{"id", req.param<int>("id")}});
///     });
///     app.run({.port = 8000});
///
/// Routes are frozen when the app starts; registering a conflicting or malformed pattern
/// throws `std::invalid_argument` at once. Handlers throw `http::error(status, message)` for
/// error responses; exception handlers registered with `on_exception<E>` map other exception
/// types; anything else is a 500 whose details are logged, not sent.
class app {
 public:
  explicit app(std::string name = "eddy");
  ~app();
  app(const app&) = delete;
  app& operator=(const app&) = delete;

  app& get(std::string_view pattern, handler h, route_options o = {});
  app& post(std::string_view pattern, handler h, route_options o = {});
  app& put(std::string_view pattern, handler h, route_options o = {});
  app& patch(std::string_view pattern, handler h, route_options o = {});
  app& del(std::string_view pattern, handler h, route_options o = {});
  app& options(std::string_view pattern, handler h, route_options o = {});
  /// Any set of methods (`router::bit(method::get) | ...`).
  app& route(std::uint32_t methods, std::string_view pattern, handler h, route_options o = {});

  /// A route group under `prefix` (no trailing slash), with its own middleware.
  blueprint& group(std::string prefix);

  /// Adds middleware around every route (outermost first in registration order).
  app& use(middleware m);

  /// Maps exceptions of type `E` (or derived) thrown by handlers or middleware to responses.
  /// The first registered handler that matches wins.
  template <class E>
  app& on_exception(std::function<task<response>(request&, const E&)> h) {
    exception_handlers_.push_back(
        [h = std::move(h)](request& req, const std::exception_ptr& e) -> std::optional<task<response>> {
          try {
            std::rethrow_exception(e);
          } catch (const E& ex) {
            // `e` keeps the exception object alive while the returned task runs.
            return h(req, ex);
          } catch (...) {
            return std::nullopt;
          }
        });
    return *this;
  }

  /// Runs `fn` at a lifecycle point (on each worker's loop).
  app& on(lifecycle when, std::function<task<void>()> fn);

  /// Serves files under `dir` at `prefix` (`/static/<path>`): traversal-proof, Content-Type
  /// from the extension, ETag/Last-Modified with 304, single Range with 206/416.
  app& static_files(std::string prefix, std::string dir, bool index_files = true);

  /// The path of the route named `name` with `params` substituted (extra ones become the
  /// query string).
  std::string url_for(std::string_view name,
                      const std::vector<std::pair<std::string, std::string>>& params = {}) const;

  /// Runs the server until SIGINT/SIGTERM, then shuts down gracefully. Blocks. Throws
  /// `std::system_error` if the address cannot be bound.
  void run(serve_options options = {});

  /// Serves connections from `listener` on the current loop until cancelled; on cancellation
  /// stops accepting, lets in-flight requests finish (up to `graceful_timeout`), then returns.
  task<void> serve(tcp_listener& listener, serve_options options = {});

  /// Dispatches one request through routing, middleware and exception handlers (tests and
  /// other servers may call this; eddy's own server uses `dispatch` and `recover`).
  task<response> handle(request& req) const;

  /// Routes `req` (its parameters are captured in `match`, which must outlive the task) and
  /// returns the task of its middleware chain and handler, without a coroutine frame of its
  /// own. A failure of that task, or an exception thrown here, goes to `recover`.
  task<response> dispatch(request& req, route_match& match) const;

  /// The response for a request whose `dispatch` failed with `failure`: the first exception
  /// handler that takes it, else `http::error`'s status, else 500 (logged, not leaked).
  /// `allowed` is `route_match::allowed` (the `Allow` header of a 405). Rethrows
  /// `cancelled_error`.
  task<response> recover(request& req, std::exception_ptr failure, std::uint32_t allowed) const;

  /// Stops accepting registrations (done by `run`/`serve`).
  void freeze() noexcept;

  /// Registers `GET liveness`, which answers 200 "ok" while the process serves at all (a
  /// liveness probe: restart me if this fails), and `GET readiness`, which answers 200
  /// "ready" while `ready()` and 503 "not ready" otherwise (a readiness probe: send me
  /// traffic only while this succeeds). Opt-in; the paths are ordinary routes.
  app& health_checks(std::string liveness = "/health", std::string readiness = "/ready");

  /// Registers `GET path` answering the app's metrics in the Prometheus text format (see
  /// `http::metrics`). Opt-in: without it, nothing is counted.
  app& expose_metrics(std::string path = "/metrics");

  /// True while the app accepts traffic: every worker of `run` (or at least one `serve`) is
  /// accepting, and no shutdown has begun. False while starting (`before_start` listeners),
  /// during `shutdown_delay` and while draining. Any thread.
  bool ready() const noexcept;

  const std::string& name() const noexcept { return name_; }

  struct impl;

 private:
  friend class blueprint;
  friend class next_handler;
  struct route_entry {
    handler fn;
    std::vector<std::size_t> chain;  // middleware indices
    bool stream_body = false;
    std::uint64_t max_body_bytes = 0;
  };
  std::size_t add_route(std::uint32_t methods, std::string pattern, handler h, route_options o,
                        const std::vector<std::size_t>* group_middleware);

  std::string name_;
  router router_;
  std::vector<route_entry> routes_;
  std::vector<middleware> middleware_;
  std::vector<std::size_t> global_middleware_;
  std::vector<std::unique_ptr<blueprint>> groups_;
  std::vector<std::function<std::optional<task<response>>(request&, const std::exception_ptr&)>>
      exception_handlers_;
  std::vector<std::pair<lifecycle, std::function<task<void>()>>> listeners_;
  bool frozen_ = false;
  bool has_body_policies_ = false;
  std::unique_ptr<metrics> metrics_;  // null unless expose_metrics()
  std::atomic<unsigned> accepting_{0};        // serve() loops accepting now
  std::atomic<unsigned> workers_expected_{0};  // run()'s worker count (0 outside run)
  std::atomic<bool> stopping_{false};          // run() got its stop signal

 public:
  /// How the server reads the body of a request for a route (`route_options`).
  struct body_policy {
    bool stream = false;
    std::uint64_t max_bytes = 0;  // 0: the server's limit
    bool routed = false;          // a route matches the method and path
  };
  /// The policy of the route that `m` and the decoded `path` select (the default policy if
  /// none matches). Used by the server before it reads a body.
  body_policy body_policy_for(method m, std::string_view path) const;
  /// True if some route streams its body or has its own body limit.
  bool has_body_policies() const noexcept { return has_body_policies_; }
  // Used by the server.
  task<void> fire(lifecycle when) const;
  const std::vector<std::size_t>& global_chain() const noexcept { return global_middleware_; }
  /// What `OPTIONS *` allows: every routed method, and OPTIONS (every routed path answers it).
  std::uint32_t allowed_methods() const noexcept { return router_.methods() | router::bit(method::options); }
};

}  // namespace eddy::http
