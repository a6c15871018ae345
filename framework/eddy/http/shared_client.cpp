// SPDX-License-Identifier: MIT
#include "eddy/http/shared_client.hpp"

#include <mutex>
#include <unordered_map>
#include <utility>

#include "eddy/runtime/event.hpp"
#include "eddy/runtime/event_loop.hpp"
#include "eddy/runtime/spawn.hpp"

namespace eddy::http {

struct shared_client::state {
  explicit state(client_options o) : options(std::move(o)) {}
  const client_options options;
  mutable std::mutex mutex;
  std::unordered_map<event_loop*, client*> clients;
};

namespace {

// Owns one loop's client. Its destructor runs on that loop's thread when the keeper task is
// cancelled at the loop's end (or its frame destroyed with the loop): it unregisters the
// client first, so that a new loop at the same address never finds a dead one.
struct loop_client {
  std::shared_ptr<shared_client::state> shared;
  event_loop* loop;
  std::unique_ptr<client> c;
  loop_client(std::shared_ptr<shared_client::state> s, event_loop* l, std::unique_ptr<client> cl)
      : shared(std::move(s)), loop(l), c(std::move(cl)) {}
  loop_client(loop_client&& o) noexcept = default;
  ~loop_client() {
    if (!shared) return;
    {
      std::lock_guard lock(shared->mutex);
      shared->clients.erase(loop);
    }
    c.reset();
  }
};

task<void> keep(loop_client owner) {
  event never;  // set by nobody: the task ends by cancellation when the loop ends
  co_await never.wait();
  (void)owner;
}

}  // namespace

}  // namespace eddy::http

namespace eddy::http {

shared_client::shared_client(client_options options) : state_(std::make_shared<state>(std::move(options))) {
  client probe(state_->options);  // configuration errors surface here, not on a loop thread
}

shared_client::~shared_client() = default;

client& shared_client::local() {
  event_loop& loop = eddy::detail::this_loop();
  {
    std::lock_guard lock(state_->mutex);
    if (auto it = state_->clients.find(&loop); it != state_->clients.end()) return *it->second;
  }
  // Only this thread creates this loop's client, so no other thread can race us to it.
  auto c = std::make_unique<client>(state_->options);
  client* raw = c.get();
  {
    std::lock_guard lock(state_->mutex);
    state_->clients.emplace(&loop, raw);
  }
  spawn(loop, keep(loop_client(state_, &loop, std::move(c))));
  return *raw;
}

std::size_t shared_client::loops() const {
  std::lock_guard lock(state_->mutex);
  return state_->clients.size();
}

task<result<client_response>> shared_client::request(method m, std::string url, request_options options) {
  co_return co_await local().request(m, std::move(url), std::move(options));
}
task<result<client_response>> shared_client::get(std::string_view u, request_options o) {
  return request(method::get, std::string(u), std::move(o));
}
task<result<client_response>> shared_client::head(std::string_view u, request_options o) {
  return request(method::head, std::string(u), std::move(o));
}
task<result<client_response>> shared_client::post(std::string_view u, request_options o) {
  return request(method::post, std::string(u), std::move(o));
}
task<result<client_response>> shared_client::put(std::string_view u, request_options o) {
  return request(method::put, std::string(u), std::move(o));
}
task<result<client_response>> shared_client::patch(std::string_view u, request_options o) {
  return request(method::patch, std::string(u), std::move(o));
}
task<result<client_response>> shared_client::del(std::string_view u, request_options o) {
  return request(method::del, std::string(u), std::move(o));
}

}  // namespace eddy::http
