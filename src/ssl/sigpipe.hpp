// Internal: no SIGPIPE from OpenSSL's writes, without touching the process's disposition.
//
// OpenSSL 3.0's socket BIO writes with write(2), not send(MSG_NOSIGNAL), so a write to a gone
// peer raises SIGPIPE. A custom BIO could use MSG_NOSIGNAL, but it would also turn kernel TLS
// off (kTLS is set up through the socket BIO). So each OpenSSL call runs with SIGPIPE blocked in
// the calling thread (the signal of a failed write is directed at that thread); a SIGPIPE that
// became pending during the call is taken back with sigtimedwait before the mask is restored.
// Cost: three system calls per OpenSSL call (block, sigpending, restore); see bench/.
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
