// The state behind a pysock::socket and the timed system-call loop, shared by the sources of
// the socket layer (socket.cpp, sendfile.cpp). Internal.
#pragma once

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <mutex>
#include <optional>
#include <span>

#include "detail/poll.hpp"
#include "pysock/error.hpp"
#include "pysock/socket.hpp"  // msg_flags

namespace pysock::detail {

// Timeouts are kept as seconds in a double: negative means None (blocking).
constexpr double no_timeout = -1.0;

// The state a socket shares with the files makefile() made from it (Python keeps the socket
// object alive through them; here they share this).
struct socket_core {
  socket_core(int descriptor, int fam, int typ, int pro)
      : fd(descriptor), family(fam), type(typ), proto(pro) {}

  std::atomic<int> fd;
  const int family;
  const int type;
  const int proto;
  std::atomic<double> timeout{no_timeout};

  std::mutex close_mutex;  // guards io_refs and closed
  int io_refs = 0;
  std::atomic<bool> closed{false};
};

[[noreturn]] inline void raise_errno(const char* operation) {
  raise_os_error(errno, operation);
}

// Waits until `fd` is ready for `events`; false when the deadline passed first.
inline bool wait_ready(int fd, short events, clock::time_point deadline) {
  pollfd entry{fd, events, 0};
  return poll_until(std::span(&entry, 1), deadline);
}

// The error of a call that ran out of the socket's own timeout: not the kernel's ETIMEDOUT,
// whose message names the errno.
constexpr int socket_timed_out = -1;

// Runs `call` (a system call returning -1 and errno on failure) under the socket's timeout:
// blocking sockets just retry EINTR; with a timeout, EAGAIN waits for readiness until
// `deadline`. A failure returns -1 with `error` set to the errno (EAGAIN for a non-blocking
// socket) or socket_timed_out. Throws nothing: the non-throwing overloads are built on it.
template <class Call>
auto try_timed_call(const socket_core& core, short events, Call call, int& error,
                    std::optional<clock::time_point> deadline = std::nullopt) noexcept {
  const double limit = core.timeout;
  for (;;) {
    const auto result = call(core.fd.load(std::memory_order_relaxed));
    if (result >= 0) return result;
    error = errno;
    if (error == EINTR) continue;
    if (limit <= 0 || (error != EAGAIN && error != EWOULDBLOCK)) return result;
    if (!deadline) deadline = deadline_after(limit);
    pollfd entry{core.fd, events, 0};
    const int ready = try_poll_until(std::span(&entry, 1), *deadline);
    if (ready <= 0) {
      error = ready < 0 ? -ready : socket_timed_out;
      return decltype(result)(-1);
    }
  }
}

// Raises a try_timed_call error: timeout_error, or the os_error for the errno.
[[noreturn]] void raise_call_error(int error, const char* operation);

// try_timed_call raising its error.
template <class Call>
auto timed_call(const socket_core& core, short events, const char* operation, Call call,
                std::optional<clock::time_point> deadline = std::nullopt) {
  int error = 0;
  const auto result = try_timed_call(core, events, call, error, deadline);
  if (result < 0) raise_call_error(error, operation);
  return result;
}

// send(2) with MSG_NOSIGNAL under the socket's timeout (until `deadline` when given).
std::size_t send_core(const socket_core& core, std::span<const std::byte> data, msg_flags flags,
                      std::optional<clock::time_point> deadline = std::nullopt);

}  // namespace pysock::detail
