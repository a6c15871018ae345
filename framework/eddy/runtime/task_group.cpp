// SPDX-License-Identifier: MIT
#include "eddy/runtime/task_group.hpp"

namespace eddy {

task_group::~task_group() {
  for (auto& m : members_) {
    if (m->done) continue;
    m->promise->root_.source.request_cancel();
    // Unhook our waiter node: the child outlives the group.
    auto** link = &m->promise->root_.waiters;
    while (*link && *link != m.get()) link = &(*link)->next;
    if (*link) *link = m->next;
  }
}

void task_group::adopt(detail::task_promise_base& p) {
  auto m = std::make_unique<member>();
  m->group = this;
  m->promise = &p;
  m->notify = &on_member_done;
  m->next = p.root_.waiters;
  p.root_.waiters = m.get();
  members_.push_back(std::move(m));
  ++running_;
  // A group that already failed cancels newcomers at once (asyncio.TaskGroup does too).
  if (failed_) p.root_.source.request_cancel();
}

void task_group::on_member_done(detail::root_waiter* w) noexcept {
  auto* m = static_cast<member*>(w);
  task_group* g = m->group;
  m->done = true;
  --g->running_;
  detail::task_promise_base& p = *m->promise;
  if (p.failed() && !p.ended_cancelled()) {
    p.root_.retrieved = true;  // the group reports it through join()
    try {
      g->errors_.push_back(p.exception());
    } catch (...) {
      // Out of memory while recording: the failure still cancels the siblings below.
    }
    if (!g->failed_) {
      g->failed_ = true;
      g->cancel();
    }
  }
  if (g->running_ == 0) g->wake_joiner();
}

void task_group::cancel() noexcept {
  for (auto& m : members_) {
    if (!m->done) m->promise->root_.source.request_cancel();
  }
}

void task_group::wake_joiner() noexcept {
  if (auto h = std::exchange(joiner_, {})) detail::this_loop().schedule(h);
}

void task_group::join_awaiter::await_resume() {
  disarm();
  group_->joined_ = true;
  group_->members_.clear();
  if (!group_->errors_.empty()) std::rethrow_exception(group_->errors_.front());
  if (cancelled_) throw cancelled_error();
}

}  // namespace eddy
