// SPDX-License-Identifier: MIT
#include "load_worker.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include <eddy/core/errors.hpp>
#include <eddy/core/when_any.hpp>
#include <eddy/http/parser.hpp>
#include <eddy/runtime/event.hpp>
#include <eddy/runtime/run.hpp>
#include <eddy/runtime/sleep.hpp>
#include <eddy/runtime/spawn.hpp>

namespace eddy::tools {

using namespace std::chrono_literals;

namespace {

// The sweeper's period: timeouts are detected within this, `stop()` is seen within this.
constexpr auto tick = 50ms;
constexpr int ticks_per_publish = 5;  // 250 ms: the live display's rate (<= 4 Hz)
constexpr std::size_t read_buffer_bytes = 16 * 1024;

load_error classify(std::error_code ec, load_error otherwise) {
  if (ec == std::errc::connection_reset || ec == std::errc::broken_pipe ||
      ec == std::errc::connection_aborted) {
    return load_error::reset;
  }
  return otherwise;
}

std::uint64_t micros(duration d) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  return ns <= 0 ? 0 : static_cast<std::uint64_t>((ns + 500) / 1000);
}

}  // namespace

struct load_worker::connection {
  // A request written and not yet answered.
  struct in_flight {
    time_point due;  // rate mode: when it was due; closed loop: when it was sent
    time_point sent;
    std::uint32_t kind;  // index into plan.requests
    bool recording;      // inside the measured window
  };

  connection(const load_setup& s, unsigned global_index)
      : global(global_index),
        in(read_buffer_bytes),
        ring(s.pipeline),
        single(s.plan->requests.size() == 1) {
    const auto& reqs = s.plan->requests;
    if (single) {
      // One request: the batch is built once, and every write sends a prefix of it.
      for (unsigned i = 0; i < s.pipeline; ++i) out += reqs.front().bytes;
    } else {
      std::size_t longest = 0;
      for (const auto& r : reqs) longest = std::max(longest, r.bytes.size());
      out.reserve(longest * s.pipeline);
    }
    if (s.rate > 0) {
      // Request m of the whole run is due at start + m / rate; this connection sends requests
      // global, global + C, global + 2C, ...
      interval = std::chrono::duration_cast<duration>(
          std::chrono::duration<double>(static_cast<double>(s.connections) / s.rate));
      next_due = s.start + std::chrono::duration_cast<duration>(
                               std::chrono::duration<double>(static_cast<double>(global) / s.rate));
    }
  }

  // Starts a batch: the requests added next go out as one contiguous write.
  void begin_batch() noexcept {
    if (!single) out.clear();  // keeps its capacity: no allocation once warm
    batch_bytes = 0;
  }
  // Adds request `r` of the plan to the batch; returns it.
  std::uint32_t add(const load_plan& plan, std::uint32_t r) {
    if (!single) out += plan.requests[r].bytes;
    batch_bytes += plan.requests[r].bytes.size();
    return r;
  }
  std::string_view batch() const noexcept { return {out.data(), batch_bytes}; }

  // The requests in flight, oldest first (at most `pipeline`).
  void push(const in_flight& r) noexcept {
    ring[(head + inflight) % ring.size()] = r;
    ++inflight;
  }
  const in_flight& oldest() const noexcept { return ring[head]; }
  void pop() noexcept {
    head = head + 1 == ring.size() ? 0 : head + 1;
    --inflight;
  }
  void forget_in_flight() noexcept {
    head = 0;
    inflight = 0;
  }

  void reset_input() {
    parser = http::parser(http::parser::kind::response, http::parser_limits{.max_body_bytes = ~std::uint64_t{0}});
    parser.skip_header_fields(true);  // only status and framing matter here
    start = end = 0;
    in_body = false;
    drained = false;
    sending_over = false;
    forget_in_flight();
  }

  unsigned global;
  std::vector<char> in;
  std::size_t start = 0, end = 0;  // unparsed input
  bool in_body = false;            // the current response's head is parsed; its body is not
  bool drained = false;            // the last read emptied the transport (see receive)
  http::parser parser{http::parser::kind::response, http::parser_limits{.max_body_bytes = ~std::uint64_t{0}}};
  std::string out;
  std::size_t batch_bytes = 0;
  std::vector<in_flight> ring;
  std::size_t head = 0;
  unsigned inflight = 0;
  bool single;
  time_point read_at{};   // when the last bytes were read
  duration interval{};    // rate mode: between this connection's requests
  time_point next_due{};  // rate mode
  // Rate mode with pipelining: the sending and the receiving half wake each other.
  event has_work;  // the receiver waits here while nothing is in flight
  event has_room;  // the sender waits here while `pipeline` requests are in flight
  bool sending_over = false;  // the sender has sent its last request
  bool timed_out = false;
  bool restart = false;
  bool ever_connected = false;
  std::optional<join_handle<void>> task;
};

load_worker::load_worker(const load_setup& setup, unsigned index) : setup_(setup), index_(index) {
  const unsigned t = setup.threads;
  for (unsigned g = index; g < setup.connections; g += t) {
    connections_.push_back(std::make_unique<connection>(setup, g));
  }
  if (setup.requests != 0) budget_ = setup.requests / t + (index < setup.requests % t ? 1 : 0);
}

// The run's requests follow the weighted order as one sequence: worker w of t sends its
// k-th request as number w + k*t of it. With -n the workers' budgets cover numbers 0..n-1
// exactly, so the measured mix is the order's, however the budget falls on connections.
// The warm-up follows the order on a count of its own, and does not shift the measured one.
std::uint32_t load_worker::next_kind(bool measured) noexcept {
  const auto& order = setup_.plan->order;
  if (order.size() <= 1) return order.empty() ? 0 : order.front();
  std::uint64_t& k = measured ? picks_ : warmup_picks_;
  return order[(index_ + k++ * setup_.threads) % order.size()];
}

load_worker::~load_worker() {
  if (thread_.joinable()) {
    stop();
    thread_.join();
  }
}

void load_worker::start() {
  thread_ = std::thread([this] {
    try {
      eddy::run(main(), {.cancel_on_sigint = false});
    } catch (const std::exception& e) {
      std::fprintf(stderr, "eddy load: worker %u failed: %s\n", index_, e.what());
    }
    done_.store(true, std::memory_order_release);
  });
}

void load_worker::join() {
  if (thread_.joinable()) thread_.join();
}

void load_worker::publish_live() noexcept {
  live_requests_.store(stats_.requests + stats_.warmup_requests, std::memory_order_relaxed);
  live_errors_.store(stats_.error_total(), std::memory_order_relaxed);
  live_p99_us_.store(window_.value_at_percentile(99), std::memory_order_relaxed);
  window_.reset();
}

task<> load_worker::main() {
  for (auto& c : connections_) c->task.emplace(spawn(run_connection(*c)));
  for (int n = 1;; ++n) {
    co_await sleep_for(tick);
    if (stop_requested_.load(std::memory_order_relaxed) && !stopping_) {
      stopping_ = true;
      for (auto& c : connections_) c->task->cancel();
    }
    const time_point now = steady_clock::now();
    bool running = false;
    for (auto& c : connections_) {
      if (c->inflight > 0 && now - c->oldest().sent > setup_.timeout && !c->timed_out) {
        // Counted once per request; the connection is replaced (its task ends on the
        // cancellation and is started again below).
        c->timed_out = true;
        stats_.count(load_error::timeout, c->inflight);
        c->task->cancel();
      }
      if (c->task->done() && c->restart && !stopping_) c->task.emplace(spawn(run_connection(*c)));
      running = running || !c->task->done();
    }
    if (setup_.live && n % ticks_per_publish == 0) publish_live();
    if (!running) break;
  }
  publish_live();
}

task<> load_worker::run_connection(connection& c) {
  c.restart = false;
  c.timed_out = false;
  const load_plan& plan = *setup_.plan;
  try {
    while (!stopping_) {
      bool failed = false;
      auto s = co_await tcp_stream::connect(setup_.target, {.timeout = setup_.timeout});
      if (!s) {
        if (s.error() == errc::operation_canceled) break;
        if (connect_failed(c, s.error(), false)) break;
        failed = true;
      } else {
        load_transport io(std::move(*s), plan.tls ? &*plan.tls : nullptr, plan.host);
        if (io.is_tls()) {
          // Once per connection, and timed apart: the requests' latency starts after it.
          const time_point begun = steady_clock::now();
          auto h = co_await io.handshake();
          if (!h) {
            if (h.error() == errc::operation_canceled) break;
            if (connect_failed(c, h.error(), true)) break;
            failed = true;
          } else {
            stats_.handshake.record(micros(steady_clock::now() - begun));
            if (tls_protocol_.empty()) {
              tls_protocol_ = io.protocol_version();
              tls_alpn_ = io.alpn_selected();
            }
          }
        }
        if (!failed) {
          c.ever_connected = true;
          any_connected_ = true;
          ++stats_.connects;
          c.reset_input();
          bool again = false;
          if (setup_.rate > 0 && setup_.pipeline > 1) {
            // Whichever half ends first (the receiver after the last answer, either on an
            // error) cancels the other; both are done before the transport closes.
            auto first = co_await when_any(send_paced(c, io), receive_paced(c, io));
            again = first.value;
          } else {
            again = co_await drive(c, io);
          }
          c.forget_in_flight();
          if (!again) break;
        }
      }
      if (failed) co_await sleep_for(100ms);  // back off before trying again
    }
  } catch (const cancelled_error&) {
  }
  c.forget_in_flight();
  if (c.timed_out && !stopping_) c.restart = true;
}

bool load_worker::connect_failed(connection& c, std::error_code ec, bool in_handshake) {
  stats_.count(load_error::connect);
  if (!first_connect_error_) {
    first_connect_error_ = ec;
    first_error_in_handshake_ = in_handshake;
  }
  if (!c.ever_connected && !any_connected_ && ++first_failures_ == connections_.size()) {
    // Not one connection of this worker got through: the target is unreachable.
    unreachable_ = true;
    stopping_ = true;
    for (auto& other : connections_) {
      if (other.get() != &c) other->task->cancel();
    }
    return true;
  }
  return steady_clock::now() >= setup_.end;
}

void load_worker::complete(connection& c, int status) noexcept {
  const time_point done = c.read_at;
  last_response_ = done;
  const connection::in_flight r = c.oldest();
  c.pop();
  const bool rate_mode = setup_.rate > 0;
  if (rate_mode && setup_.pipeline > 1 && c.inflight + 1 == setup_.pipeline) c.has_room.set();
  const std::uint64_t from_due = micros(done - (rate_mode && setup_.correction ? r.due : r.sent));
  if (setup_.live) window_.record(from_due);  // the live display shows the warm-up too
  if (!r.recording) {
    ++stats_.warmup_requests;
    return;
  }
  ++stats_.requests;
  ++stats_.status[status > 0 && status < 1000 ? status : 0];
  stats_.latency.record(from_due);
  if (rate_mode) stats_.uncorrected.record(micros(done - r.sent));
}

// Closed loop, and rate mode with one request in flight: sends a batch, reads its responses,
// and again, until the run ends (false) or the connection must be replaced (true: the server
// closed it, an error, a timeout).
task<bool> load_worker::drive(connection& c, load_transport& io) {
  const load_plan& plan = *setup_.plan;
  const bool rate_mode = setup_.rate > 0;
  for (;;) {
    if (stopping_ || c.timed_out) co_return false;
    unsigned k = setup_.pipeline;
    // One clock read per batch, and another only after a sleep.
    time_point now = steady_clock::now();
    if (now < setup_.start) {
      co_await sleep_until(setup_.start);  // all threads start together
      c.drained = false;
      now = steady_clock::now();
    }
    if (rate_mode) {
      k = 1;
      // Past the deadline nothing more is sent, even requests that were due before it: a
      // server slower than the rate would otherwise keep the run going on the backlog.
      if (c.next_due >= setup_.end || now >= setup_.end) co_return false;
      if (now < c.next_due) {
        co_await sleep_until(c.next_due);
        c.drained = false;  // edges reported while sleeping went to nobody
        now = steady_clock::now();
      }
    } else if (now >= setup_.end) {
      co_return false;
    }
    const time_point due = c.next_due;
    const bool measured = (rate_mode ? due : now) >= setup_.measure_from;
    if (setup_.requests != 0 && measured) {  // the warm-up does not use up -n
      if (budget_ == 0) co_return false;
      k = static_cast<unsigned>(std::min<std::uint64_t>(k, budget_));
      budget_ -= k;
    }
    if (rate_mode) c.next_due += c.interval;
    const time_point sent = now;
    c.begin_batch();
    for (unsigned i = 0; i < k; ++i) c.push({rate_mode ? due : sent, sent, c.add(plan, next_kind(measured)), measured});
    // Try the write at once; only when the socket buffer is full does the task wait.
    if (auto written = io.send(c.batch()); !written || !*written) {
      const answered a = co_await finish_write(c, io, written);
      if (a != answered::all) co_return a == answered::reconnect;
    }
    if (measured) stats_.bytes_out += c.batch_bytes;
    // (Not `switch (co_await ...)`: GCC 12 got a co_await in a switch condition wrong here,
    // and the paced receiver hung.)
    const answered a = co_await receive(c, io);
    if (a != answered::all) co_return a == answered::reconnect;
  }
}

// The slow path of a write, after `io.send` said "error" or "not all at once": waits for room
// for the rest (and then whatever the connection knew about readability is stale), and counts
// a failure once for every request in flight.
task<load_worker::answered> load_worker::finish_write(connection& c, load_transport& io, result<bool> sent) {
  if (sent) {
    c.drained = false;
    auto rest = co_await io.flush();
    if (rest) co_return answered::all;
    if (rest.error() == errc::operation_canceled) co_return answered::stop;
    sent = rest.error();
  }
  stats_.count(classify(sent.error(), load_error::write), c.inflight);
  co_return answered::reconnect;
}

// Rate mode with pipelining, the sending half: each request goes out when it is due, as long
// as fewer than `pipeline` are in flight; requests that fell due while the connection was
// full go out together as soon as there is room (their latency still counts from when they
// were due). Ends with true when a write fails; after its last request it waits for the
// receiving half, whose end cancels it.
task<bool> load_worker::send_paced(connection& c, load_transport& io) {
  const load_plan& plan = *setup_.plan;
  const unsigned depth = setup_.pipeline;
  bool budget_left = true;
  while (budget_left && !stopping_ && !c.timed_out) {
    // Past the deadline nothing more is sent (as in drive).
    if (c.next_due >= setup_.end || steady_clock::now() >= setup_.end) break;
    if (steady_clock::now() < c.next_due) co_await sleep_until(c.next_due);
    while (c.inflight == depth) {
      c.has_room.clear();
      co_await c.has_room.wait();
    }
    const time_point sent = steady_clock::now();
    c.begin_batch();
    std::uint64_t measured_bytes = 0;
    while (c.inflight < depth && c.next_due <= sent && c.next_due < setup_.end) {
      const bool measured = c.next_due >= setup_.measure_from;
      if (setup_.requests != 0 && measured) {  // the warm-up does not use up -n
        if (budget_ == 0) {
          budget_left = false;
          break;
        }
        --budget_;
      }
      const std::uint32_t r = c.add(plan, next_kind(measured));
      c.push({c.next_due, sent, r, measured});
      if (measured) measured_bytes += plan.requests[r].bytes.size();
      c.next_due += c.interval;
    }
    if (c.batch_bytes == 0) continue;
    c.has_work.set();
    if (auto written = io.send(c.batch()); !written || !*written) {
      const answered a = co_await finish_write(c, io, written);
      if (a != answered::all) co_return a == answered::reconnect;
    }
    stats_.bytes_out += measured_bytes;
  }
  c.sending_over = true;
  c.has_work.set();
  for (;;) {
    c.has_room.clear();
    co_await c.has_room.wait();
  }
}

// Rate mode with pipelining, the receiving half: reads the answers to what the sender sent.
// Ends with false once the sender is done and everything is answered, true when the
// connection must be replaced.
task<bool> load_worker::receive_paced(connection& c, load_transport& io) {
  for (;;) {
    while (c.inflight == 0) {
      if (c.sending_over || stopping_) co_return false;
      c.has_work.clear();
      co_await c.has_work.wait();
      c.drained = false;  // readiness reported while waiting went to nobody
    }
    const answered a = co_await receive(c, io);
    if (a != answered::all) co_return a == answered::reconnect;
  }
}

// Reads and checks responses until none is in flight. Errors are counted here, once for
// every request that will not be answered.
task<load_worker::answered> load_worker::receive(connection& c, load_transport& io) {
  const load_plan& plan = *setup_.plan;
  while (c.inflight > 0) {
    if (c.start < c.end) {
      if (c.parser.idle()) c.parser.expect_no_body(plan.requests[c.oldest().kind].head);
      const auto st = c.parser.feed(c.in.data(), c.start, c.end);
      c.start += st.consumed;
      if (st.what == http::parser::event::head) {
        c.in_body = true;
        continue;
      }
      if (st.what == http::parser::event::error) {
        stats_.count(load_error::protocol, c.inflight);
        co_return answered::reconnect;
      }
      if (st.what == http::parser::event::message_end) {
        c.in_body = false;
        const auto& head = c.parser.head();
        if (head.status >= 100 && head.status < 200) {
          if (head.status == 101) {  // nobody asked for an upgrade
            stats_.count(load_error::protocol, c.inflight);
            co_return answered::reconnect;
          }
          continue;  // an interim response: the final one follows
        }
        const bool keep_alive = head.keep_alive;
        complete(c, head.status);
        if (!keep_alive) {
          // The server closes after this response: requests after it were not answered.
          if (c.inflight > 0) stats_.count(load_error::read, c.inflight);
          co_return answered::reconnect;
        }
        continue;
      }
      // need_more: everything given was consumed.
    }
    if (c.parser.idle() || c.in_body) {
      c.start = c.end = 0;  // nothing buffered is needed any more
    } else if (c.end == c.in.size()) {
      // A head longer than the buffer: grow (the parser's head limit bounds this). The
      // parser keeps offsets, so the bytes may move with the buffer.
      c.in.resize(c.in.size() * 2);
    }
    // After a short read the transport was empty, and nothing has waited since: no readiness
    // edge can have been missed, so wait for the next one instead of paying a read that
    // would only say EAGAIN.
    if (c.drained) {
      auto ready = co_await io.wait_readable();
      if (!ready) {
        if (ready.error() == errc::operation_canceled) co_return answered::stop;
        stats_.count(load_error::read, c.inflight);
        co_return answered::reconnect;
      }
    }
    const std::size_t space = c.in.size() - c.end;
    auto n = io.try_read(std::span<char>(c.in.data() + c.end, space));
    if (!n && eddy::detail::is_would_block(n)) {
      c.drained = true;
      continue;
    }
    if (!n) {
      stats_.count(classify(n.error(), load_error::read), c.inflight);
      co_return answered::reconnect;
    }
    c.drained = io.drained();
    if (*n == 0) {
      // End of stream: completes a close-delimited body, else requests went unanswered.
      c.read_at = steady_clock::now();
      const auto st = c.parser.finish();
      if (st.what == http::parser::event::message_end && c.parser.head().status >= 200) {
        complete(c, c.parser.head().status);
      }
      if (c.inflight > 0) stats_.count(st.what == http::parser::event::error ? load_error::protocol : load_error::read, c.inflight);
      co_return answered::reconnect;
    }
    // Every response completed by these bytes completed now: one clock read per read, not
    // per response (pipelined batches arrive many to a read).
    c.read_at = steady_clock::now();
    c.end += *n;
    if (c.oldest().recording) stats_.bytes_in += *n;
  }
  if (c.start < c.end) {
    // Bytes after the last response asked for: the server is out of step with us.
    stats_.count(load_error::protocol);
    co_return answered::reconnect;
  }
  co_return answered::all;
}

}  // namespace eddy::tools
