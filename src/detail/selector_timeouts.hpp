// How each selector class turns select()'s timeout into the wait it passes to the kernel, with
// CPython's rounding and errors (selectors.md 4). Internal; tests check the table of the spec.
#pragma once

#include <chrono>
#include <climits>
#include <cmath>
#include <cstdint>
#include <optional>
#include <stdexcept>

#include "pysock/error.hpp"
#include "pysock/socket.hpp"

namespace pysock::detail {

// A wait's length after the class's rounding: nullopt blocks.
using wait_time = std::optional<std::chrono::nanoseconds>;

inline constexpr double max_nanoseconds = 9223372036854775807.0;  // PyTime_t's range

// Python's math.ceil on a float, with its errors.
inline double checked_ceil(double value) {
  if (std::isnan(value)) throw value_error("cannot convert float NaN to integer");
  if (std::isinf(value)) throw std::overflow_error("cannot convert float infinity to integer");
  return std::ceil(value);
}

// Seconds to PyTime_t nanoseconds, rounded up (_PyTime_FromSecondsObject, ROUND_CEILING).
inline std::int64_t seconds_to_ns(double seconds) {
  const double ns = std::ceil(seconds * 1e9);
  if (!(ns >= -max_nanoseconds && ns < max_nanoseconds))
    throw std::overflow_error("timestamp out of range for platform time_t");
  return static_cast<std::int64_t>(ns);
}

// Milliseconds as the poll and epoll objects accept them: at most INT_MAX.
inline wait_time milliseconds_wait(std::int64_t ms) {
  if (ms > INT_MAX) throw std::overflow_error("timeout is too large");
  return std::chrono::nanoseconds(ms * 1000000);
}

// EpollSelector.select: ceil(t * 1e3) * 1e-3 seconds, which epoll.poll rounds up to ms again
// (0.7 s becomes 0.7000000000000001 s and then 701 ms, as in CPython).
inline wait_time epoll_wait_time(const timeout& t) {
  if (!t) return std::nullopt;
  const double value = t->count();
  if (value <= 0) return std::chrono::nanoseconds(0);
  const std::int64_t ns = seconds_to_ns(checked_ceil(value * 1e3) * 1e-3);
  return milliseconds_wait((ns + 999999) / 1000000);
}

// PollSelector.select: ceil(t * 1e3) ms.
inline wait_time poll_wait_time(const timeout& t) {
  if (!t) return std::nullopt;
  const double value = t->count();
  if (value <= 0) return std::chrono::nanoseconds(0);
  const double ms = checked_ceil(value * 1e3);
  if (ms * 1e6 >= max_nanoseconds)
    throw std::overflow_error("timestamp too large to convert to C PyTime_t");
  return milliseconds_wait(static_cast<std::int64_t>(ms));
}

// SelectSelector.select: max(t, 0) seconds, rounded up to microseconds.
inline wait_time select_wait_time(const timeout& t) {
  if (!t) return std::nullopt;
  const double value = t->count();
  if (std::isnan(value)) throw value_error("Invalid value NaN (not a number)");
  const std::int64_t ns = seconds_to_ns(std::max(value, 0.0));
  return std::chrono::nanoseconds((ns + 999) / 1000 * 1000);
}

}  // namespace pysock::detail
