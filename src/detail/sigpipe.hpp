// Internal: no SIGPIPE from a call that writes to a socket without MSG_NOSIGNAL (sendfile(2),
// OpenSSL's own socket BIO used for kernel TLS), without touching the process's disposition.
// The call runs with SIGPIPE blocked in the calling thread (the signal of a failed write is
// directed at that thread); a SIGPIPE that became pending during the call is taken back with
// sigtimedwait before the mask is restored.
// Cost: three system calls per guarded call (block, sigpending, restore); see
// bench/ssl_sigpipe_cost.cpp.
#pragma once

#include <signal.h>

namespace pysock::detail {

class sigpipe_guard {
 public:
  sigpipe_guard() noexcept;
  ~sigpipe_guard();
  sigpipe_guard(const sigpipe_guard&) = delete;
  sigpipe_guard& operator=(const sigpipe_guard&) = delete;

 private:
  sigset_t old_mask_;
  bool was_blocked_;          // the thread already blocked SIGPIPE: leave its mask alone
  bool was_pending_ = false;  // a SIGPIPE was pending before: not ours to take
};

}  // namespace pysock::detail
