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

// Waits until one of `fds` has an event (see their revents); false when `deadline` passed
// first. EINTR restarts the wait with what is left of the time (PEP 475).
inline bool poll_until(std::span<pollfd> fds, clock::time_point deadline) {
  for (;;) {
    timespec wait{};
    timespec* wait_ptr = nullptr;
    if (deadline != clock::time_point::max()) {
      const auto left = deadline - clock::now();
      if (left <= clock::duration::zero()) return false;
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
      wait.tv_sec = static_cast<time_t>(ns / 1000000000);
      wait.tv_nsec = static_cast<long>(ns % 1000000000);
      wait_ptr = &wait;
    }
    const int ready = ::ppoll(fds.data(), fds.size(), wait_ptr, nullptr);
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) raise_os_error(errno, "poll");
  }
}

}  // namespace pysock::detail
