// Fault injection for system calls. A test executable that links tests/support/faults.cpp
// replaces libc's recv, send, recvmsg, sendmsg, read, accept4, connect, sendfile, fcntl and close
// for every caller in the process (pysock included): each call first asks the active fault plan
// whether to fail with an errno, be cut short, or go through. The real call is made through
// dlsym(RTLD_NEXT).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <random>

namespace pysock_test::faults {

enum class call {
  recv,
  send,
  recvmsg,
  sendmsg,
  read,
  accept4,
  connect,
  sendfile,
  fcntl,
  close,  // counted (to prove an fd is closed exactly once); only errors can be injected
  count
};

// What one intercepted call does.
struct action {
  int error = 0;                     // non-zero: fail with this errno, touch nothing
  std::optional<std::size_t> limit;  // cut the byte count to at most this (at least 1)
  static action pass() { return {}; }
  static action fail(int errno_value) { return {errno_value, std::nullopt}; }
  static action shorten(std::size_t bytes) { return {0, bytes}; }
};

// A plan decides each intercepted call on the file descriptor under test. Calls on other fds
// (and calls made while no plan is active) go straight through.
class plan {
 public:
  virtual ~plan() = default;
  virtual action next(call c) = 0;
};

// Scripted: per call kind, a queue of actions; an empty queue passes.
class script : public plan {
 public:
  script& then(call c, action a);
  action next(call c) override;

 private:
  std::deque<action> queues_[static_cast<int>(call::count)];
};

// Random: each call fails with EINTR/EAGAIN or is cut short with the given probabilities,
// deterministically from the seed. Errors like ECONNRESET are scripted, not random, because a
// random reset would make "every byte arrives" unprovable.
class random_plan : public plan {
 public:
  random_plan(std::uint64_t seed, double p_eintr, double p_eagain, double p_short);
  action next(call c) override;

 private:
  std::mt19937_64 rng_;
  double p_eintr_, p_eagain_, p_short_;
};

// Installs `p` for calls on `fd` until destroyed (one at a time). Counts what was injected.
class scope {
 public:
  scope(int fd, plan& p);
  ~scope();
  scope(const scope&) = delete;
  scope& operator=(const scope&) = delete;

  std::size_t injected_errors() const;
  std::size_t shortened() const;
  std::size_t calls(call c) const;
};

}  // namespace pysock_test::faults
