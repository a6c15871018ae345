// SPDX-License-Identifier: MIT
#include "eddy/http/app.hpp"

#include <cstdio>
#include <thread>

#include "eddy/http/detail/request_access.hpp"
#include "eddy/http/metrics.hpp"
#include "eddy/http/static_files.hpp"

namespace eddy::http {

task<response> next_handler::operator()(request& req) const {
  if (index_ < chain_->size()) {
    next_handler rest = *this;
    ++rest.index_;
    return app_->middleware_[(*chain_)[index_]](req, rest);
  }
  return (*final_)(req);
}

app::app(std::string name) : name_(std::move(name)) {}
app::~app() = default;

app& app::get(std::string_view p, handler h, route_options o) { return route(router::bit(method::get), p, std::move(h), std::move(o)); }
app& app::post(std::string_view p, handler h, route_options o) { return route(router::bit(method::post), p, std::move(h), std::move(o)); }
app& app::put(std::string_view p, handler h, route_options o) { return route(router::bit(method::put), p, std::move(h), std::move(o)); }
app& app::patch(std::string_view p, handler h, route_options o) { return route(router::bit(method::patch), p, std::move(h), std::move(o)); }
app& app::del(std::string_view p, handler h, route_options o) { return route(router::bit(method::del), p, std::move(h), std::move(o)); }
app& app::options(std::string_view p, handler h, route_options o) { return route(router::bit(method::options), p, std::move(h), std::move(o)); }

app& app::route(std::uint32_t methods, std::string_view pattern, handler h, route_options o) {
  add_route(methods, std::string(pattern), std::move(h), std::move(o), nullptr);
  return *this;
}

std::size_t app::add_route(std::uint32_t methods, std::string pattern, handler h, route_options o,
                           const std::vector<std::size_t>* group_middleware) {
  if (!h) throw std::invalid_argument("route '" + pattern + "': empty handler");
  std::size_t id = router_.add(methods, pattern, o.name);
  route_entry e{std::move(h), global_middleware_, o.stream_body, o.max_body_bytes};
  if (o.stream_body || o.max_body_bytes) has_body_policies_ = true;
  if (group_middleware) e.chain.insert(e.chain.end(), group_middleware->begin(), group_middleware->end());
  if (routes_.size() <= id) routes_.resize(id + 1);
  routes_[id] = std::move(e);
  return id;
}

app& app::use(middleware m) {
  if (frozen_) throw std::invalid_argument("app.use: the app has started");
  // Middleware wraps routes registered after it as well as before: chains are completed at
  // freeze time for earlier routes.
  middleware_.push_back(std::move(m));
  global_middleware_.push_back(middleware_.size() - 1);
  for (auto& r : routes_) r.chain.insert(r.chain.begin() + static_cast<std::ptrdiff_t>(global_middleware_.size() - 1), middleware_.size() - 1);
  return *this;
}

blueprint& app::group(std::string prefix) {
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (prefix.empty() || prefix.front() != '/') throw std::invalid_argument("group prefix '" + prefix + "' must start with '/'");
  groups_.push_back(std::unique_ptr<blueprint>(new blueprint(*this, std::move(prefix))));
  return *groups_.back();
}

blueprint& blueprint::route(std::uint32_t methods, std::string_view pattern, handler h, route_options o) {
  // A prefix always starts with '/', so `full` is never empty.
  std::string full = prefix_;
  if (pattern != "/") full += pattern;
  route_ids_.push_back(app_->add_route(methods, std::move(full), std::move(h), std::move(o), &middleware_));
  return *this;
}
blueprint& blueprint::get(std::string_view p, handler h, route_options o) { return route(router::bit(method::get), p, std::move(h), std::move(o)); }
blueprint& blueprint::post(std::string_view p, handler h, route_options o) { return route(router::bit(method::post), p, std::move(h), std::move(o)); }
blueprint& blueprint::put(std::string_view p, handler h, route_options o) { return route(router::bit(method::put), p, std::move(h), std::move(o)); }
blueprint& blueprint::patch(std::string_view p, handler h, route_options o) { return route(router::bit(method::patch), p, std::move(h), std::move(o)); }
blueprint& blueprint::del(std::string_view p, handler h, route_options o) { return route(router::bit(method::del), p, std::move(h), std::move(o)); }
blueprint& blueprint::use(middleware m) {
  app_->middleware_.push_back(std::move(m));
  std::size_t index = app_->middleware_.size() - 1;
  middleware_.push_back(index);
  // Routes of this group registered earlier get it too (innermost position).
  for (std::size_t id : route_ids_) app_->routes_[id].chain.push_back(index);
  return *this;
}

app& app::on(lifecycle when, std::function<task<void>()> fn) {
  listeners_.emplace_back(when, std::move(fn));
  return *this;
}

task<void> app::fire(lifecycle when) const {
  for (const auto& [w, fn] : listeners_)
    if (w == when) co_await fn();
}

app& app::static_files(std::string prefix, std::string dir, bool index_files) {
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  std::string pattern = prefix + "/<file:path>";
  auto serve = [dir, index_files](request& req) -> task<response> {
    auto rel = req.param<std::string_view>("file");
    auto path = resolve_static_path(dir, rel, index_files);
    if (path && !resolve_static_path(dir, rel, false)) {
      // A directory: serve its index.html if there is one.
      path = resolve_static_path(*path, "index.html");
    }
    if (!path) throw error(404);
    co_return file_response(req, *path);
  };
  route(router::bit(method::get) | router::bit(method::head), pattern, serve);
  return *this;
}

std::string app::url_for(std::string_view name, const std::vector<std::pair<std::string, std::string>>& params) const {
  return router_.url_for(name, params);
}

app::body_policy app::body_policy_for(method m, std::string_view path) const {
  route_match match = router_.match(m, path);
  if (match.result != route_match::kind::found) return {};
  const route_entry& e = routes_[match.route];
  return {e.stream_body, e.max_body_bytes, true};
}

void app::freeze() noexcept {
  // run() freezes before starting its workers, whose serve() calls land here too: they must
  // only read (several threads at once).
  if (frozen_) return;
  frozen_ = true;
  router_.freeze();
  if (metrics_) {
    try {
      metrics_->set_routes(router_);
    } catch (...) {
      // Out of memory building a label table: metrics keep the labels they had.
    }
  }
}

app& app::health_checks(std::string liveness, std::string readiness) {
  get(liveness, [](request&) -> task<response> { co_return response::text("ok\n"); });
  get(readiness, [this](request&) -> task<response> {
    if (ready()) co_return response::text("ready\n");
    co_return response::text("not ready\n", 503);
  });
  return *this;
}

app& app::expose_metrics(std::string path) {
  if (frozen_) throw std::invalid_argument("app.expose_metrics: the app has started");
  if (!metrics_) metrics_ = std::make_unique<metrics>();
  get(path, [this](request&) -> task<response> {
    co_return response::bytes(metrics_->render(ready()), metrics::content_type);
  });
  return *this;
}

bool app::ready() const noexcept {
  const unsigned accepting = accepting_.load(std::memory_order_acquire);
  const unsigned expected = workers_expected_.load(std::memory_order_acquire);
  return !stopping_.load(std::memory_order_acquire) && accepting > 0 && accepting >= expected;
}

namespace {

const handler not_found_handler = [](request&) -> task<response> { throw error(404); };
const handler method_not_allowed_handler = [](request&) -> task<response> { throw error(405); };
// OPTIONS to a path that has routes but none for OPTIONS (RFC 9110 9.3.7): what it allows.
const handler options_handler = [](request& req) -> task<response> {
  response r(204);
  r.headers().add("Allow", allow_header(detail::request_access::allowed_methods(req)));
  co_return r;
};

response default_error_response(const request& req, const std::exception_ptr& e, std::uint32_t allowed) {
  try {
    std::rethrow_exception(e);
  } catch (const error& ex) {
    response r = response::text(std::string(ex.what()) + "\n", ex.status());
    if (ex.status() == 405 && allowed) r.headers().add("Allow", allow_header(allowed));
    return r;
  } catch (const cancelled_error&) {
    throw;
  } catch (const std::exception& ex) {
    // Internals stay in the log; the client learns only that it failed.
    std::fprintf(stderr, "eddy: %.*s %.*s failed: %s\n", static_cast<int>(req.method_name().size()),
                 req.method_name().data(), static_cast<int>(req.target().size()), req.target().data(), ex.what());
  } catch (...) {
    std::fprintf(stderr, "eddy: %.*s %.*s failed with a non-standard exception\n",
                 static_cast<int>(req.method_name().size()), req.method_name().data(),
                 static_cast<int>(req.target().size()), req.target().data());
  }
  return response::text("Internal Server Error\n", 500);
}

}  // namespace

task<response> app::dispatch(request& req, route_match& m) const {
  router_.match(req.method(), req.path(), m);
  const handler* final = &not_found_handler;
  const std::vector<std::size_t>* chain = &global_middleware_;
  if (m.result == route_match::kind::found) {
    final = &routes_[m.route].fn;
    chain = &routes_[m.route].chain;
    detail::request_access::set_route(req, &m, router_.pattern(m.route));
  } else if (m.result == route_match::kind::method_not_allowed) {
    // Every routed path answers OPTIONS, through the middleware (where CORS headers go).
    m.allowed |= router::bit(method::options);
    final = req.method() == method::options ? &options_handler : &method_not_allowed_handler;
    detail::request_access::set_route(req, &m, {});
  }
  next_handler next;
  next.app_ = this;
  next.chain_ = chain;
  next.final_ = final;
  return next(req);
}

task<response> app::recover(request& req, std::exception_ptr failure, std::uint32_t allowed) const {
  // Exception handlers run outside the catch block (C++ forbids co_await inside one).
  for (const auto& h : exception_handlers_) {
    if (auto t = h(req, failure)) {
      std::exception_ptr handler_failure;
      try {
        co_return co_await std::move(*t);
      } catch (...) {
        handler_failure = std::current_exception();
      }
      // The exception handler failed too: answer for its exception (an `http::error` it threw
      // keeps its status; anything else is a 500), never leave the client without a response.
      failure = handler_failure;
      break;
    }
  }
  co_return default_error_response(req, failure, allowed);
}

task<response> app::handle(request& req) const {
  route_match m;
  std::exception_ptr failure;
  try {
    co_return co_await dispatch(req, m);
  } catch (...) {
    failure = std::current_exception();
  }
  co_return co_await recover(req, std::move(failure), m.allowed);
}

}  // namespace eddy::http
