// SPDX-License-Identifier: MIT
#pragma once

#include <coroutine>
#include <type_traits>
#include <utility>

#include "eddy/core/task.hpp"

namespace eddy {
namespace detail {

template <class A>
decltype(auto) get_awaiter(A&& a) {
  if constexpr (requires { std::forward<A>(a).operator co_await(); }) {
    return std::forward<A>(a).operator co_await();
  } else if constexpr (requires { operator co_await(std::forward<A>(a)); }) {
    return operator co_await(std::forward<A>(a));
  } else {
    return std::forward<A>(a);
  }
}

}  // namespace detail

/// The type `co_await std::declval<A>()` produces.
template <class A>
using await_result_t = decltype(detail::get_awaiter(std::declval<A>()).await_resume());

/// Anything with the awaitable shape (await_ready/await_suspend/await_resume, or
/// operator co_await).
template <class A>
concept awaitable = requires { typename await_result_t<A>; };

/// Wraps any awaitable in a `task` (combinators and timeouts take tasks). A task is
/// returned unchanged.
template <class A>
  requires awaitable<A>
auto as_task(A aw) -> task<await_result_t<A>> {
  co_return co_await std::move(aw);
}
template <class T>
task<T> as_task(task<T> t) noexcept {
  return t;
}

}  // namespace eddy
