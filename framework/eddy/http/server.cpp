// SPDX-License-Identifier: MIT
// The server side of `http::app`: the accept loop with graceful drain (`serve`) and the
// multi-worker runner with signal handling (`run`).
#include <sys/resource.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <list>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "eddy/http/app.hpp"
#include "eddy/http/detail/connection.hpp"
#include "eddy/http/detail/metrics_scope.hpp"
#include "eddy/net/address.hpp"
#include "eddy/net/tcp_listener.hpp"
#include "eddy/net/tcp_stream.hpp"
#include "eddy/net/tls_context.hpp"
#include "eddy/net/tls_stream.hpp"
#include "eddy/runtime/run.hpp"
#include "eddy/runtime/signals.hpp"
#include "eddy/runtime/sleep.hpp"
#include "eddy/runtime/spawn.hpp"
#include "eddy/runtime/timeout.hpp"

namespace eddy::http {
namespace {

struct conn_slot {
  join_handle<void> handle;
  bool idle = false;  // waiting for a request to start: safe to close when draining
};
using conn_list = std::list<conn_slot>;

// The bookkeeping of an open connection: counted while its task runs; at the end the task
// drops its own slot (and handle: the task finishes detached).
void connection_opened(detail::server_state& state) {
  ++state.open_connections;
  if (state.metrics) state.metrics->connection_opened();
}
void connection_closed(detail::server_state& state, conn_list& conns, conn_list::iterator self) {
  --state.open_connections;
  if (state.metrics) state.metrics->connection_closed();
  conns.erase(self);
}

std::string peer_of(const tcp_stream& stream) {
  std::string remote;
  if (auto a = stream.peer_address()) remote = a->to_string();
  return remote;
}

// Plain and TLS connections are separate coroutines so that a plain connection's frame does
// not carry the TLS objects (frames hold every local of every branch). A plain connection's
// task is all that an idle keep-alive connection has besides its socket: it parks here
// between requests (see `connection::run`), without the connection's state, which exists
// only while it serves.
task<void> serve_plain(tcp_stream stream, detail::server_state& state, conn_list& conns, conn_list::iterator self) {
  using connection = detail::connection<tcp_stream>;
  connection_opened(state);
  {
    const std::string remote = peer_of(stream);
    time_point keep_alive_until{};  // of a parked connection
    for (;;) {
      auto c = std::make_unique<connection>(stream, state, remote, keep_alive_until);
      c->set_idle_flag(&self->idle);
      if (!co_await c->run()) break;
      keep_alive_until = c->keep_alive_until();
      c.reset();
      // Parked. A draining server closes idle connections instead of waiting for them.
      self->idle = true;
      const bool woke = static_cast<bool>(co_await stream.wait_readable_until(keep_alive_until));
      self->idle = false;
      if (!woke) break;  // the keep-alive timeout, shutdown, a failed socket
    }
  }
  stream.close();
  connection_closed(state, conns, self);
}

task<void> serve_tls(tcp_stream stream, detail::server_state& state, conn_list& conns, conn_list::iterator self,
                     const tls_context& tls) {
  connection_opened(state);
  std::string remote = peer_of(stream);
  {
    tls_stream<tcp_stream> secure(std::move(stream), tls);
    if (co_await secure.handshake()) {
      detail::connection<tls_stream<tcp_stream>> c(secure, state, remote);
      c.set_idle_flag(&self->idle);
      co_await c.run();
      co_await shield(secure.shutdown());
    }
  }
  connection_closed(state, conns, self);
}

task<void> drain(conn_list& conns, std::chrono::milliseconds grace) {
  auto until = eddy::detail::this_loop().now() + std::chrono::ceil<duration>(grace);
  while (!conns.empty() && eddy::detail::this_loop().now() < until) {
    // Idle keep-alive connections are parked in a read and would otherwise hold the drain
    // until their keep-alive timeout: close them now. Busy ones see `draining` when done.
    for (auto& c : conns)
      if (c.idle) c.handle.cancel();
    co_await sleep_for(std::chrono::milliseconds(5));
  }
  // Past the deadline: cancel whatever is still running and wait for it to unwind.
  for (auto& c : conns) c.handle.cancel();
  while (!conns.empty()) co_await sleep_for(std::chrono::milliseconds(1));
}

}  // namespace

task<void> app::serve(tcp_listener& listener, serve_options options) {
  freeze();
  detail::server_state state;
  state.application = this;
  state.options = options;
  std::optional<tls_context> tls;
  if (!options.tls_cert.empty()) {
    tls_server_options t;
    t.certificate_chain_file = options.tls_cert;
    t.private_key_file = options.tls_key;
    t.alpn = {"http/1.1"};
    tls = tls_context::server(t);
  }
  state.proxies = proxy_trust(options.trusted_proxies);
  state.scheme = tls ? "https" : "http";
  detail::metrics_scope counted(metrics_.get(), state.metrics);
  conn_list conns;
  accepting_.fetch_add(1, std::memory_order_acq_rel);
  for (;;) {
    auto accepted = co_await listener.accept();
    if (!accepted) {
      if (accepted.error() == errc::operation_canceled || accepted.error() == errc::not_connected) break;
      continue;  // per-connection failures (ECONNABORTED...); EMFILE is handled by the listener
    }
    if (state.open_connections >= options.max_connections) {
      accepted->close();  // over the limit: refuse quickly rather than queue without bound
      continue;
    }
    conns.emplace_back();
    auto it = std::prev(conns.end());
    it->handle = tls ? spawn(serve_tls(std::move(*accepted), state, conns, it, *tls))
                     : spawn(serve_plain(std::move(*accepted), state, conns, it));
  }
  accepting_.fetch_sub(1, std::memory_order_acq_rel);
  // New connections are refused from now on rather than left in the backlog until the
  // process exits: a proxy in front fails over at once instead of waiting for a timeout.
  listener.close();
  // Graceful shutdown: idle keep-alive connections close at their next turn (they see
  // `draining`), busy ones finish their request, up to the grace period.
  state.draining = true;
  co_await shield(drain(conns, options.graceful_timeout));
}

namespace {

struct worker {
  std::unique_ptr<event_loop> loop;
  std::unique_ptr<tcp_listener> listener;
  std::optional<join_handle<void>> serving;
  bool stop_requested = false;
  std::thread thread;
};

task<void> worker_main(const app& a, worker& w, const serve_options& options, app& mutable_app) {
  co_await a.fire(lifecycle::before_start);
  if (!w.stop_requested) {
    w.serving.emplace(spawn(mutable_app.serve(*w.listener, options)));
    co_await a.fire(lifecycle::after_start);
    try {
      co_await *w.serving;
    } catch (const cancelled_error&) {
    }
  }
  co_await a.fire(lifecycle::before_stop);
  co_await a.fire(lifecycle::after_stop);
}

}  // namespace

void app::run(serve_options options) {
  freeze();
  // A server wants as many descriptors as it is allowed: raise the soft limit to the hard one
  // (the default soft limit, 1024, would cap a worker near a thousand connections).
  if (rlimit lim{}; ::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
#if defined(__GLIBC__)
  // Large buffers (request bodies, big responses) are mapped and unmapped one by one rather
  // than carved from the heap. glibc's adaptive threshold otherwise moves up to the largest
  // buffer freed, and the memory of a burst stays resident after it: 200 concurrent 1 MiB
  // uploads left the web app at 200 MB, and at 20 MB with this. MALLOC_MMAP_THRESHOLD_ in
  // the environment still decides when set.
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") == nullptr) ::mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#endif
  unsigned n = options.workers ? options.workers : std::max(1u, std::thread::hardware_concurrency());
  (void)proxy_trust(options.trusted_proxies);  // a bad entry throws here, not in a worker
  auto addr = address::parse(options.host, options.port);
  if (!addr) throw std::invalid_argument("app.run: '" + options.host + "' is not a numeric IP address");
  listen_options lo;
  lo.reuse_port = n > 1;
  std::vector<std::unique_ptr<worker>> workers;
  stopping_ = false;
  workers_expected_ = n;
  for (unsigned i = 0; i < n; ++i) {
    auto w = std::make_unique<worker>();
    w->loop = std::make_unique<event_loop>();
    address at = *addr;
    // The first listener picks the port when 0 was asked; the others join it.
    if (i > 0) at = address::parse(options.host, workers[0]->listener->local_address().port()).value();
    w->listener = std::make_unique<tcp_listener>(*w->loop, at, lo);
    workers.push_back(std::move(w));
  }
  // SIGINT/SIGTERM are caught from before the start is announced: a signal sent as soon as
  // the line is read (or as soon as the first request is answered, which the bound listeners
  // allow) would otherwise find the default action and kill the process without a drain.
  event_loop signal_loop;
  signals stop_signals(signal_loop, {SIGINT, SIGTERM});
  const auto bound = workers[0]->listener->local_address();
  std::printf("eddy: app=%s event=started url=%s://%s workers=%u\n", name_.c_str(),
              options.tls_cert.empty() ? "http" : "https", bound.to_string().c_str(), n);
  std::fflush(stdout);

  for (auto& w : workers) {
    w->thread = std::thread([this, &options, wp = w.get()] {
      try {
        run_until_complete(*wp->loop, worker_main(*this, *wp, options, *this));
        wp->loop->drain();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "eddy: worker failed: %s\n", e.what());
      }
    });
  }

  // The main thread waits for SIGINT/SIGTERM; a second one ends the process at once.
  const int sig = run_until_complete(signal_loop, stop_signals.wait());
  std::printf("eddy: app=%s event=stopping signal=%d\n", name_.c_str(), sig);
  std::fflush(stdout);
  std::signal(SIGINT, [](int) { std::_Exit(130); });
  std::signal(SIGTERM, [](int) { std::_Exit(143); });
  // Not ready from now on; during the delay the app still serves (load balancers and
  // orchestrators see /ready fail and stop sending), then it stops accepting and drains.
  stopping_ = true;
  if (options.shutdown_delay.count() > 0) {
    std::printf("eddy: app=%s event=draining ready=false delay_ms=%lld\n", name_.c_str(),
                static_cast<long long>(options.shutdown_delay.count()));
    std::fflush(stdout);
    std::this_thread::sleep_for(options.shutdown_delay);
  }
  for (auto& w : workers) {
    w->loop->post([wp = w.get()] {
      wp->stop_requested = true;
      if (wp->serving) wp->serving->cancel();
    });
  }
  for (auto& w : workers) w->thread.join();
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  std::printf("eddy: app=%s event=stopped\n", name_.c_str());
  std::fflush(stdout);
}

}  // namespace eddy::http
