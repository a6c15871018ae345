// SPDX-License-Identifier: MIT
#include "load_worker.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include <eddy/core/errors.hpp>
#include <eddy/http/parser.hpp>
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
  connection(const load_setup& s, unsigned global_index)
      : global(global_index),
        in(read_buffer_bytes),
        kinds(s.pipeline, 0),
        order_pos(s.plan->order.empty() ? 0 : (global_index * 7919u) % s.plan->order.size()) {
    const auto& reqs = s.plan->requests;
    if (reqs.size() == 1) {
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
      sent_due = 0;
    }
  }

  // The next `k` requests of the weighted order, as one contiguous write.
  std::string_view batch(const load_plan& plan, unsigned k) {
    if (plan.requests.size() == 1) return std::string_view(out).substr(0, plan.requests.front().bytes.size() * k);
    out.clear();  // keeps its capacity: no allocation once warm
    for (unsigned i = 0; i < k; ++i) {
      const std::uint32_t r = plan.order[order_pos];
      order_pos = order_pos + 1 == plan.order.size() ? 0 : order_pos + 1;
      kinds[i] = r;
      out += plan.requests[r].bytes;
    }
    return out;
  }

  void reset_input() {
    parser = http::parser(http::parser::kind::response, http::parser_limits{.max_body_bytes = ~std::uint64_t{0}});
    parser.skip_header_fields(true);  // only status and framing matter here
    start = end = 0;
    in_body = false;
    drained = false;
    inflight = 0;
  }

  unsigned global;
  std::vector<char> in;
  std::size_t start = 0, end = 0;  // unparsed input
  bool in_body = false;            // the current response's head is parsed; its body is not
  bool drained = false;            // the last read emptied the socket (see drive)
  http::parser parser{http::parser::kind::response, http::parser_limits{.max_body_bytes = ~std::uint64_t{0}}};
  std::string out;
  std::vector<std::uint32_t> kinds;  // request index of each response in the batch
  std::size_t order_pos;
  unsigned batch_size = 0;
  unsigned inflight = 0;
  time_point sent_at{};   // when the batch was written (steady clock)
  time_point read_at{};   // when the last bytes were read
  time_point due_at{};    // rate mode: when the request was due
  duration interval{};    // rate mode: between this connection's requests
  time_point next_due{};  // rate mode
  std::uint64_t sent_due = 0;
  bool recording = false;  // the batch belongs to the measured window
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
      if (c->inflight > 0 && now - c->sent_at > setup_.timeout && !c->timed_out) {
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
  try {
    while (!stopping_) {
      auto s = co_await tcp_stream::connect(setup_.target, {.timeout = setup_.timeout});
      if (!s) {
        if (s.error() == errc::operation_canceled) break;
        stats_.count(load_error::connect);
        if (!first_connect_error_) first_connect_error_ = s.error();
        if (!c.ever_connected && !any_connected_ && ++first_failures_ == connections_.size()) {
          // Not one connection of this worker got through: the target is unreachable.
          unreachable_ = true;
          stopping_ = true;
          for (auto& other : connections_) {
            if (other.get() != &c) other->task->cancel();
          }
          break;
        }
        if (steady_clock::now() >= setup_.end) break;
        co_await sleep_for(100ms);  // back off before trying again
        continue;
      }
      c.ever_connected = true;
      any_connected_ = true;
      ++stats_.connects;
      c.reset_input();
      const bool again = co_await drive(c, *s);
      c.inflight = 0;
      s->close();
      if (!again) break;
    }
  } catch (const cancelled_error&) {
  }
  c.inflight = 0;
  if (c.timed_out && !stopping_) c.restart = true;
}

void load_worker::complete(connection& c, int status) noexcept {
  const time_point done = c.read_at;
  last_response_ = done;
  --c.inflight;
  const bool rate_mode = setup_.rate > 0;
  const std::uint64_t from_due = micros(done - (rate_mode && setup_.correction ? c.due_at : c.sent_at));
  if (setup_.live) window_.record(from_due);  // the live display shows the warm-up too
  if (!c.recording) {
    ++stats_.warmup_requests;
    return;
  }
  ++stats_.requests;
  ++stats_.status[status > 0 && status < 1000 ? status : 0];
  stats_.latency.record(from_due);
  if (rate_mode) stats_.uncorrected.record(micros(done - c.sent_at));
}

// Sends batches and reads their responses until the run ends (false) or the connection must
// be replaced (true: the server closed it, an error, a timeout).
task<bool> load_worker::drive(connection& c, tcp_stream& s) {
  const load_plan& plan = *setup_.plan;
  const bool rate_mode = setup_.rate > 0;
  for (;;) {
    if (stopping_ || c.timed_out) co_return false;
    unsigned k = setup_.pipeline;
    if (steady_clock::now() < setup_.start) {
      co_await sleep_until(setup_.start);  // all threads start together
      c.drained = false;
    }
    if (rate_mode) {
      k = 1;
      // Past the deadline nothing more is sent, even requests that were due before it: a
      // server slower than the rate would otherwise keep the run going on the backlog.
      if (c.next_due >= setup_.end || steady_clock::now() >= setup_.end) co_return false;
      if (steady_clock::now() < c.next_due) {
        co_await sleep_until(c.next_due);
        c.drained = false;  // edges reported while sleeping went to nobody
      }
      c.due_at = c.next_due;
    } else if (steady_clock::now() >= setup_.end) {
      co_return false;
    }
    const bool measured = (rate_mode ? c.due_at : steady_clock::now()) >= setup_.measure_from;
    if (setup_.requests != 0 && measured) {  // the warm-up does not use up -n
      if (budget_ == 0) co_return false;
      k = static_cast<unsigned>(std::min<std::uint64_t>(k, budget_));
      budget_ -= k;
    }
    if (rate_mode) c.next_due += c.interval;
    const std::string_view bytes = c.batch(plan, k);
    c.batch_size = k;
    c.sent_at = steady_clock::now();
    c.recording = measured;
    c.inflight = k;
    // Try the write at once; only when the socket buffer is full does the task wait, and
    // then whatever it knew about readability is stale.
    std::span<const char> rest(bytes.data(), bytes.size());
    auto w = eddy::detail::sock_send(s.native_handle(), rest);
    if (w && *w < rest.size()) rest = rest.subspan(*w);
    if (!w || *w < bytes.size()) {
      if (!w && !eddy::detail::is_would_block(w)) {
        stats_.count(classify(w.error(), load_error::write), c.inflight);
        co_return true;
      }
      c.drained = false;
      auto more = co_await s.write(rest);
      if (!more) {
        if (more.error() == errc::operation_canceled) co_return false;
        stats_.count(classify(more.error(), load_error::write), c.inflight);
        co_return true;
      }
    }
    if (c.recording) stats_.bytes_out += bytes.size();

    while (c.inflight > 0) {
      if (c.start < c.end) {
        if (c.parser.idle()) c.parser.expect_no_body(plan.requests[c.kinds[c.batch_size - c.inflight]].head);
        const auto st = c.parser.feed(c.in.data(), c.start, c.end);
        c.start += st.consumed;
        if (st.what == http::parser::event::head) {
          c.in_body = true;
          continue;
        }
        if (st.what == http::parser::event::error) {
          stats_.count(load_error::protocol, c.inflight);
          co_return true;
        }
        if (st.what == http::parser::event::message_end) {
          c.in_body = false;
          const auto& head = c.parser.head();
          if (head.status >= 100 && head.status < 200) {
            if (head.status == 101) {  // nobody asked for an upgrade
              stats_.count(load_error::protocol, c.inflight);
              co_return true;
            }
            continue;  // an interim response: the final one follows
          }
          complete(c, head.status);
          if (!head.keep_alive) {
            // The server closes after this response: requests after it were not answered.
            if (c.inflight > 0) stats_.count(load_error::read, c.inflight);
            co_return true;
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
      // After a short read the socket was empty, and nothing has waited since: no readiness
      // edge can have been missed, so wait for the next one instead of paying a read that
      // would only say EAGAIN.
      if (c.drained) {
        auto ready = co_await s.wait_readable();
        if (!ready) {
          if (ready.error() == errc::operation_canceled) co_return false;
          stats_.count(load_error::read, c.inflight);
          co_return true;
        }
      }
      const std::size_t space = c.in.size() - c.end;
      auto n = s.try_read_some(std::span<char>(c.in.data() + c.end, space));
      if (!n && eddy::detail::is_would_block(n)) {
        c.drained = true;
        continue;
      }
      if (!n) {
        stats_.count(classify(n.error(), load_error::read), c.inflight);
        co_return true;
      }
      c.drained = *n < space;
      if (*n == 0) {
        // End of stream: completes a close-delimited body, else requests went unanswered.
        c.read_at = steady_clock::now();
        const auto st = c.parser.finish();
        if (st.what == http::parser::event::message_end && c.parser.head().status >= 200) {
          complete(c, c.parser.head().status);
        }
        if (c.inflight > 0) stats_.count(st.what == http::parser::event::error ? load_error::protocol : load_error::read, c.inflight);
        co_return true;
      }
      // Every response completed by these bytes completed now: one clock read per read, not
      // per response (pipelined batches arrive many to a read).
      c.read_at = steady_clock::now();
      c.end += *n;
      if (c.recording) stats_.bytes_in += *n;
    }
    if (c.start < c.end) {
      // Bytes after the last response asked for: the server is out of step with us.
      stats_.count(load_error::protocol);
      co_return true;
    }
  }
}

}  // namespace eddy::tools
