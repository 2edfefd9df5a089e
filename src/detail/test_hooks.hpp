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

// pysock::ssl (defined in src/ssl/socket.cpp): the bytes ssl_socket::sendfile moved with
// SSL_sendfile (kernel TLS, zero_copy_bytes) and with read + SSL_write (fallback_bytes).
sendfile_counters& ssl_sendfile_stats() noexcept;
// What ssl_socket::sendfile takes for BIO_get_ktls_send on the socket's write BIO: -1 (the
// default) asks OpenSSL; 0 or 1 forces the answer, so a test can show the choice both ways on a
// kernel without the tls module.
extern std::atomic<int> ktls_send_reported;
// How many sigpipe_guards (detail/sigpipe.hpp) were made since the process started: one per
// sendfile(2) loop and one per OpenSSL call on OpenSSL's socket BIO.
extern std::atomic<std::uint64_t> sigpipe_guards_taken;
// Whether new TLS sessions get SSL_MODE_RELEASE_BUFFERS (true, the default, as CPython): false
// only for bench/ssl_idle_memory.cpp's comparison.
extern std::atomic<bool> ssl_release_buffers;

// Called by fallback_socketpair once its listener listens, with the listener's address: a test
// connects an intruder here (CPython's test_injected_authentication_failure). Not thread-safe;
// null (the default) does nothing.
using listening_hook = void (*)(const address& listener);
extern listening_hook fallback_socketpair_listening;

}  // namespace pysock::detail

#pragma GCC visibility pop
