// SPDX-License-Identifier: MIT
#include "echo_command.hpp"

#include <CLI/CLI.hpp>
#include <sys/resource.h>

#include <array>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <list>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <eddy/net/resolver.hpp>
#include <eddy/net/tcp_listener.hpp>
#include <eddy/net/tls_context.hpp>
#include <eddy/net/tls_stream.hpp>
#include <eddy/net/transport.hpp>
#include <eddy/net/udp_socket.hpp>
#include <eddy/runtime/run.hpp>
#include <eddy/runtime/signals.hpp>
#include <eddy/runtime/sleep.hpp>
#include <eddy/runtime/spawn.hpp>
#include <eddy/runtime/timeout.hpp>
#include <eddy/stream/write_all.hpp>

#include "command.hpp"

namespace eddy::tools {
namespace {

using namespace std::chrono_literals;

struct server_state {
  const echo_options& options;
  std::atomic<std::size_t> connections{0};
  std::optional<tls_context> tls{};
};

// Read buffers of streams mode, leased only while bytes are in flight: an idle connection
// holds none (it waits for readability, not inside a read), which keeps 10,000 idle
// connections cheap. One pool per worker (its loop thread only), so that a lease is a pop and
// a push, with no thread_local guard; the pool frees its buffers when the worker ends.
constexpr std::size_t chunk_size = 16 * 1024;
class buffer_pool {
 public:
  buffer_pool() = default;
  ~buffer_pool() {
    for (std::size_t i = 0; i < kept_; ++i) delete[] free_[i];
  }
  buffer_pool(const buffer_pool&) = delete;
  buffer_pool& operator=(const buffer_pool&) = delete;
  char* take() { return kept_ > 0 ? free_[--kept_] : new char[chunk_size]; }
  void give(char* b) noexcept {
    if (kept_ < free_.size()) {
      free_[kept_++] = b;
    } else {
      delete[] b;
    }
  }

 private:
  std::array<char*, 256> free_{};  // the first kept_ hold spare buffers
  std::size_t kept_ = 0;
};

class buffer_lease {
 public:
  explicit buffer_lease(buffer_pool& pool) : pool_(pool), buf_(pool.take()) {}
  ~buffer_lease() { pool_.give(buf_); }
  buffer_lease(const buffer_lease&) = delete;
  buffer_lease& operator=(const buffer_lease&) = delete;
  std::span<char> span() noexcept { return {buf_, chunk_size}; }

 private:
  buffer_pool& pool_;
  char* buf_;
};

// Loop-thread state of one worker; `loop` and `done` are read by the main thread.
struct worker {
  std::thread thread;
  std::atomic<event_loop*> loop{nullptr};
  std::atomic<bool> done{false};
  std::optional<join_handle<void>> acceptor;
  std::optional<join_handle<void>> udp;
  std::list<join_handle<void>> connections;  // streams mode
  buffer_pool buffers;                        // streams mode, loop thread only
  bool stopping = false;
};


// The idle timeout of one streams-mode connection, checked lazily: the connection only
// records when bytes last moved (a load of the loop's cached time), and one timer per idle
// period looks at that and either cancels the connection's task or sleeps until the new
// deadline. No timer is armed or removed per message.
class idle_watch {
 public:
  idle_watch(std::chrono::seconds limit, join_handle<void>& task)
      : loop_(*event_loop::current()), limit_(limit), task_(task), last_(loop_.now()) {
    arm();
  }
  ~idle_watch() { timer_.cancel(); }
  idle_watch(const idle_watch&) = delete;
  idle_watch& operator=(const idle_watch&) = delete;
  void touch() noexcept { last_ = loop_.now(); }

 private:
  void arm() {
    timer_ = loop_.call_at(last_ + limit_, [this] {
      if (loop_.now() - last_ >= limit_) {
        task_.cancel();  // the parked read or write ends with operation_canceled
      } else {
        arm();
      }
    });
  }
  event_loop& loop_;
  std::chrono::seconds limit_;
  join_handle<void>& task_;
  time_point last_;
  callback_handle timer_;
};

// Echoes until EOF, an error, or cancellation (shutdown deadline, idle timeout). While the
// client does not read, `write` waits and nothing more is read: memory stays at one chunk.
task<> echo_plain(tcp_stream& s, buffer_pool& pool, idle_watch* idle) {
  for (;;) {
    // The last read drained the socket and nothing was reported since: wait without a
    // buffer (and without leasing one only to be told EAGAIN).
    if (s.read_would_block()) {
      if (!co_await s.wait_readable()) co_return;
      continue;
    }
    buffer_lease buf(pool);
    auto n = s.try_read_some(buf.span());
    if (!n) {
      if (detail::is_would_block(n)) continue;  // now marked drained: the next turn waits
      co_return;
    }
    if (*n == 0) break;
    if (idle) idle->touch();
    // write_some is an awaiter, not a task: a client that keeps the socket busy does not
    // nest coroutine frames on the stack.
    for (auto rest = std::span<const char>(buf.span().first(*n)); !rest.empty();) {
      auto w = co_await s.write_some(rest);
      if (!w) co_return;
      rest = rest.subspan(*w);
      if (idle) idle->touch();
    }
  }
  (void)s.shutdown_write();  // the client half-closed; we have echoed everything
}

task<> echo_tls(tcp_stream s, const tls_context& ctx, std::chrono::seconds idle) {
  tls_stream<tcp_stream> t(std::move(s), ctx);
  if (!co_await t.handshake()) co_return;
  std::vector<char> buf(chunk_size);
  for (;;) {
    std::optional<result<std::size_t>> n;
    if (idle.count() > 0) {
      n = co_await move_on_after(idle, t.read_some(buf));
      if (!n) co_return;
    } else {
      n = co_await t.read_some(buf);
    }
    if (!*n || **n == 0) break;
    if (!co_await write_all(t, std::span<const char>(buf.data(), **n))) co_return;
  }
  (void)co_await t.shutdown();
}

task<> serve_stream(server_state& st, worker& w, tcp_stream s, std::list<join_handle<void>>::iterator self) {
  if (st.tls) {
    co_await echo_tls(std::move(s), *st.tls, st.options.idle_timeout);
  } else if (st.options.idle_timeout.count() > 0) {
    idle_watch idle(st.options.idle_timeout, *self);
    co_await echo_plain(s, w.buffers, &idle);
  } else {
    co_await echo_plain(s, w.buffers, nullptr);
  }
  s.close();
  --st.connections;
  w.connections.erase(self);  // drops our own handle: the task is detached from here on
}

class echo_protocol final : public protocol {
 public:
  explicit echo_protocol(server_state& st) : st_(st), loop_(*event_loop::current()) {}
  void connection_made(transport& t) override {
    t_ = &t;
    last_ = loop_.now();
    arm_idle_timer();
  }
  void data_received(std::span<const char> data) override {
    last_ = loop_.now();
    t_->write(data);
  }
  // Backpressure end to end: a client that does not read stops being read from.
  void pause_writing() override { t_->pause_reading(); }
  void resume_writing() override { t_->resume_reading(); }
  void connection_lost(std::error_code) override {
    idle_timer_.cancel();
    --st_.connections;
  }

 private:
  void arm_idle_timer() {
    const auto idle = st_.options.idle_timeout;
    if (idle.count() <= 0) return;
    idle_timer_ = loop_.call_at(last_ + idle, [this, idle] {
      if (loop_.now() - last_ >= idle) {
        t_->close();
      } else {
        arm_idle_timer();
      }
    });
  }
  server_state& st_;
  event_loop& loop_;
  transport* t_ = nullptr;
  time_point last_{};
  callback_handle idle_timer_;
};

task<> accept_loop(server_state& st, worker& w, tcp_listener& l) {
  const auto max = st.options.max_connections;
  for (;;) {
    auto s = co_await l.accept();
    if (!s) {
      if (s.error() == errc::operation_canceled || s.error() == errc::not_connected) co_return;
      std::fprintf(stderr, "eddy echo: accept: %s\n", s.error().message().c_str());
      co_await sleep_for(10ms);
      continue;
    }
    if (max != 0 && st.connections.load() >= max) {
      s->close();
      continue;
    }
    ++st.connections;
    if (st.options.mode == echo_mode::protocol) {
      if (!transport::start(std::move(*s), std::make_unique<echo_protocol>(st))) --st.connections;
    } else {
      auto it = w.connections.emplace(w.connections.end());
      *it = spawn(serve_stream(st, w, std::move(*s), it));
    }
  }
}

task<> udp_loop(udp_socket& u) {
  std::vector<char> buf(64 * 1024);
  for (;;) {
    address from;
    auto n = co_await u.receive_from(buf, from);
    if (!n) {
      if (n.error() == errc::operation_canceled) co_return;
      continue;  // e.g. ICMP errors reported for an earlier send
    }
    (void)co_await u.send_to(std::span<const char>(buf.data(), *n), from);
  }
}

std::size_t live_connections(const server_state& st, const worker& w) {
  return st.options.mode == echo_mode::protocol ? transport::live_count() : w.connections.size();
}

task<> worker_main(server_state& st, worker& w, address at, std::promise<address>& ready) {
  std::optional<tcp_listener> listener;
  std::optional<udp_socket> udp;
  try {
    listener.emplace(at, listen_options{.backlog = 4096, .reuse_port = true});
    if (st.options.udp) udp.emplace(listener->local_address(), udp_options{.reuse_port = true});
  } catch (...) {
    ready.set_exception(std::current_exception());
    co_return;
  }
  w.loop = event_loop::current();
  ready.set_value(listener->local_address());
  w.acceptor = spawn(accept_loop(st, w, *listener));
  if (udp) w.udp = spawn(udp_loop(*udp));
  co_await *w.acceptor;  // ends when the main thread asks us to stop
  listener->close();     // new connections are refused from here on
  if (w.udp) co_await *w.udp;
  udp.reset();
  auto& loop = *event_loop::current();
  const time_point deadline = loop.now() + st.options.shutdown_grace;
  while (live_connections(st, w) > 0 && loop.now() < deadline) co_await sleep_for(10ms);
  if (st.options.mode == echo_mode::protocol) {
    transport::close_all();
  } else {
    for (auto& h : w.connections) h.cancel();
  }
  const time_point hard = loop.now() + 1s;
  while (live_connections(st, w) > 0 && loop.now() < hard) co_await sleep_for(10ms);
  if (st.options.mode == echo_mode::protocol) transport::abort_all();
  co_await sleep_for(0ms);  // let the aborted transports report connection_lost
}

void request_stop(worker& w) {
  if (w.stopping) return;
  w.stopping = true;
  if (w.acceptor) w.acceptor->cancel();
  if (w.udp) w.udp->cancel();
}

void raise_descriptor_limit() {
  // 10,000 connections need more descriptors than the usual soft limit of 1024.
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &lim);
  }
}

task<int> main_task(server_state& st, address at, unsigned count) {
  // Watch signals before any thread starts, so an early Ctrl-C is a graceful one.
  signals sig({SIGINT, SIGTERM});
  std::vector<std::unique_ptr<worker>> workers;
  auto start = [&](address where) -> address {
    auto w = std::make_unique<worker>();
    std::promise<address> ready;
    auto bound = ready.get_future();
    w->thread = std::thread([&st, &w = *w, where, &ready] {
      try {
        eddy::run(worker_main(st, w, where, ready), {.cancel_on_sigint = false});
      } catch (const std::exception& e) {
        std::fprintf(stderr, "eddy echo: worker failed: %s\n", e.what());
      }
      w.done = true;
    });
    workers.push_back(std::move(w));
    return bound.get();  // blocks briefly: binding is quick; rethrows a bind failure
  };
  address bound;
  try {
    bound = start(at);
    for (unsigned i = 1; i < count; ++i) start(bound);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eddy echo: %s\n", e.what());
    for (auto& w : workers) {
      if (auto* l = w->loop.load()) l->post([&w = *w] { request_stop(w); });
    }
    for (auto& w : workers) w->thread.join();
    co_return 1;
  }
  std::printf("eddy echo: listening on %s (tcp%s%s, %u worker%s, %s mode)\n", bound.to_string().c_str(),
              st.options.udp ? "+udp" : "", st.tls ? "+tls" : "", count, count == 1 ? "" : "s",
              st.options.mode == echo_mode::protocol ? "protocol" : "streams");
  std::fflush(stdout);

  const int first = co_await sig.wait();
  std::fprintf(stderr, "eddy echo: signal %d: shutting down (again to force)\n", first);
  for (auto& w : workers) w->loop.load()->post([&w = *w] { request_stop(w); });
  auto force = spawn([](signals& s) -> task<> {
    const int second = co_await s.wait();
    std::fprintf(stderr, "eddy echo: signal %d: exiting now\n", second);
    std::_Exit(128 + second);
  }(sig));
  for (auto& w : workers) {
    while (!w->done) co_await sleep_for(10ms);
    w->thread.join();
  }
  force.cancel();
  std::fprintf(stderr, "eddy echo: stopped\n");
  co_return 0;
}

}  // namespace

int run_echo(const echo_options& o) {
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    std::fprintf(stderr, "eddy echo: --tls-cert and --tls-key go together\n");
    return 2;
  }
  if (!o.tls_cert.empty() && o.mode == echo_mode::protocol) {
    std::fprintf(stderr, "eddy echo: TLS needs --mode streams\n");
    return 2;
  }
  server_state st{o};
  if (!o.tls_cert.empty()) {
    try {
      st.tls = tls_context::server({.certificate_chain_file = o.tls_cert, .private_key_file = o.tls_key});
    } catch (const std::exception& e) {
      std::fprintf(stderr, "eddy echo: %s\n", e.what());
      return 1;
    }
  }
  auto resolved = eddy::run(resolver::resolve(o.host, o.port), {.cancel_on_sigint = false});
  if (!resolved) {
    std::fprintf(stderr, "eddy echo: cannot resolve %s: %s\n", o.host.c_str(), resolved.error().message().c_str());
    return 1;
  }
  raise_descriptor_limit();
  unsigned count = o.workers != 0 ? o.workers : std::max(1u, std::thread::hardware_concurrency());
  return eddy::run(main_task(st, resolved->front(), count), {.cancel_on_sigint = false});
}

namespace {

const bool registered = register_command({
    "echo", "Run an RFC 862 echo server (TCP, optionally UDP)", [](CLI::App& app) {
      auto o = std::make_shared<echo_options>();
      app.add_option("--host", o->host, "Address or name to listen on")->capture_default_str();
      app.add_option("--port", o->port, "Port (0: pick a free one and print it)")->capture_default_str();
      app.add_option("--workers", o->workers, "Threads, each with its own loop and SO_REUSEPORT listener (0: one per core)")
          ->capture_default_str();
      app.add_flag("--udp", o->udp, "Also echo UDP datagrams on the same port");
      auto mode = std::make_shared<std::string>("streams");
      app.add_option("--mode", *mode, "streams (a coroutine per connection) or protocol (callbacks)")
          ->check(CLI::IsMember({"streams", "protocol"}))
          ->capture_default_str();
      app.add_option_function<double>("--idle-timeout", [o](double s) {
            if (s < 0) throw CLI::ValidationError("--idle-timeout", "must not be negative");
            o->idle_timeout = std::chrono::seconds(static_cast<long long>(s));
          }, "Close connections idle for this many seconds (0: never)")->default_str("0");
      app.add_option("--max-connections", o->max_connections, "Close connections beyond this many (0: no limit)")
          ->capture_default_str();
      app.add_option_function<double>("--shutdown-grace", [o](double s) {
            if (s < 0) throw CLI::ValidationError("--shutdown-grace", "must not be negative");
            o->shutdown_grace = std::chrono::milliseconds(static_cast<long long>(s * 1000));
          }, "Seconds connections get to finish after SIGINT/SIGTERM")->default_str("5");
      app.add_option("--tls-cert", o->tls_cert, "PEM certificate chain: serve TLS (with --tls-key)")
          ->check(CLI::ExistingFile);
      app.add_option("--tls-key", o->tls_key, "PEM private key for --tls-cert")->check(CLI::ExistingFile);
      return [o, mode] {
        o->mode = *mode == "protocol" ? echo_mode::protocol : echo_mode::streams;
        return run_echo(*o);
      };
    }});

}  // namespace
}  // namespace eddy::tools
