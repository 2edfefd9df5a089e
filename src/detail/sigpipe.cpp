#include "detail/sigpipe.hpp"

#include "detail/test_hooks.hpp"

#include <pthread.h>

#include <cerrno>
#include <ctime>

namespace pysock::detail {
namespace {

sigset_t sigpipe_set() noexcept {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  return set;
}

bool sigpipe_pending() noexcept {
  sigset_t pending;
  sigpending(&pending);
  return sigismember(&pending, SIGPIPE) == 1;
}

}  // namespace

std::atomic<std::uint64_t> sigpipe_guards_taken{0};

sigpipe_guard::sigpipe_guard() noexcept {
  sigpipe_guards_taken.fetch_add(1, std::memory_order_relaxed);
  const sigset_t pipe = sigpipe_set();
  pthread_sigmask(SIG_BLOCK, &pipe, &old_mask_);
  was_blocked_ = sigismember(&old_mask_, SIGPIPE) == 1;
  // Only a thread that blocked SIGPIPE itself can have one pending that is not ours.
  if (was_blocked_) was_pending_ = sigpipe_pending();
}

sigpipe_guard::~sigpipe_guard() {
  const int saved_errno = errno;
  if (!was_pending_ && sigpipe_pending()) {
    const sigset_t pipe = sigpipe_set();
    const timespec no_wait{};
    while (sigtimedwait(&pipe, nullptr, &no_wait) < 0 && errno == EINTR) {
    }
  }
  if (!was_blocked_) pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  errno = saved_errno;
}

}  // namespace pysock::detail
