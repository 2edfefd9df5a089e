// Internal observation points that tests use to prove which path a call took or to inject a
// race. Internal: not part of the public API, and not exported from a shared libpysock (hidden
// visibility; tests/exports.cmake checks): the tests of a shared build link pysock's object
// files (tests/CMakeLists.txt).
#pragma once

#include <atomic>
#include <cstdint>

#include "pysock/address.hpp"

#pragma GCC visibility push(hidden)

namespace pysock::detail {

// Bytes socket::sendfile moved with the zero-copy sendfile(2) call and with the read/send
// fallback, since the process started (relaxed counters; one increment per call).
struct sendfile_counters {
  std::atomic<std::uint64_t> zero_copy_bytes{0};
  std::atomic<std::uint64_t> fallback_bytes{0};
};
sendfile_counters& sendfile_stats() noexcept;
// False makes socket::sendfile take the read/send fallback, as CPython's tests call
// _sendfile_use_send directly. True (the default) outside tests.
extern std::atomic<bool> sendfile_zero_copy_allowed;

// Called by fallback_socketpair once its listener listens, with the listener's address: a test
// connects an intruder here (CPython's test_injected_authentication_failure). Not thread-safe;
// null (the default) does nothing.
using listening_hook = void (*)(const address& listener);
extern listening_hook fallback_socketpair_listening;

}  // namespace pysock::detail

#pragma GCC visibility pop
