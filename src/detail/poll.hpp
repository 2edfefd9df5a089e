// Monotonic deadlines and the poll wait that every timeout uses. Internal.
#pragma once

#include <poll.h>

#include <cerrno>
#include <chrono>
#include <span>

#include "pysock/error.hpp"

namespace pysock::detail {

using clock = std::chrono::steady_clock;

// A deadline `seconds` from now; time_point::max() when that is beyond any real wait.
inline clock::time_point deadline_after(double seconds) {
  constexpr double far_future = 1e8;  // ~3 years: longer waits are as good as infinite
  if (seconds > far_future) return clock::time_point::max();
  return clock::now() +
         std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds));
}

// Waits until one of `fds` has an event (see their revents): 1, or 0 when `deadline` passed
// first, or ppoll's errno negated. EINTR restarts the wait with what is left of the time (PEP 475).
inline int try_poll_until(std::span<pollfd> fds, clock::time_point deadline) noexcept {
  for (;;) {
    timespec wait{};
    timespec* wait_ptr = nullptr;
    if (deadline != clock::time_point::max()) {
      const auto left = deadline - clock::now();
      if (left <= clock::duration::zero()) return 0;
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
      wait.tv_sec = static_cast<time_t>(ns / 1000000000);
      wait.tv_nsec = static_cast<long>(ns % 1000000000);
      wait_ptr = &wait;
    }
    const int ready = ::ppoll(fds.data(), fds.size(), wait_ptr, nullptr);
    if (ready > 0) return 1;
    if (ready < 0 && errno != EINTR) return -errno;
  }
}

// try_poll_until raising its errors: false when the deadline passed first.
inline bool poll_until(std::span<pollfd> fds, clock::time_point deadline) {
  const int result = try_poll_until(fds, deadline);
  if (result < 0) raise_os_error(-result, "poll");
  return result > 0;
}

}  // namespace pysock::detail
