// Internal: the state behind ssl_context and ssl_socket.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <exception>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include "pysock/ssl.hpp"

namespace pysock::detail {

struct ssl_context_core {
  explicit ssl_context_core(ssl_protocol p);
  ~ssl_context_core();
  ssl_context_core(const ssl_context_core&) = delete;
  ssl_context_core& operator=(const ssl_context_core&) = delete;

  SSL_CTX* ctx = nullptr;
  ssl_protocol protocol;
  bool check_hostname = false;
  std::string alpn_wire;  // set_alpn_protocols in wire format (length-prefixed names)
  // keylog_filename, and the file opened with O_APPEND: one write() per key line, so sockets
  // of this context on many threads never interleave their lines.
  std::optional<std::filesystem::path> keylog_filename;
  int keylog_fd = -1;
};

}  // namespace pysock::detail

namespace pysock::detail {

// Which Python call an OpenSSL operation serves: picks the timeout text.
enum class ssl_operation { handshake, read, write, shutdown };

// The outcome of one OpenSSL call made under the socket's mutex.
struct ssl_step {
  int ret = 0;                  // > 0: done
  int want = 0;                 // SSL_ERROR_WANT_READ / _WRITE: wait and call again
  bool closed_by_peer = false;  // read: close_notify received, the read returns 0 bytes
  std::exception_ptr error;     // anything else

  static ssl_step done(int ret) { return {ret, 0, false, nullptr}; }
  static ssl_step wait_for(int want) { return {0, want, false, nullptr}; }
  static ssl_step peer_closed() { return {0, 0, true, nullptr}; }
  static ssl_step failed(std::exception_ptr error) { return {0, 0, false, std::move(error)}; }
};

struct ssl_core {
  ssl_core(ssl_context context, socket sock, wrap_options options);
  ~ssl_core();
  ssl_core(const ssl_core&) = delete;
  ssl_core& operator=(const ssl_core&) = delete;

  // Creates the SSL object on the connected socket and makes the fd non-blocking.
  void start_tls();
  // Runs `call` (int(SSL*), > 0 on success) under the mutex until it succeeds, waiting for the
  // fd outside the mutex whenever OpenSSL wants it, with one deadline for the whole call.
  template <class Call>
  ssl_step run(ssl_operation op, Call call);

  void do_handshake();
  std::size_t read(std::span<std::byte> buffer);  // suppress_ragged_eofs applied
  std::size_t write(std::span<const std::byte> data);
  void unwrap_tls();
  // One non-blocking SSL_shutdown: close_notify if the send buffer has room; errors ignored.
  void send_close_notify() noexcept;
  bool ktls_send();
  // After the handshake: OpenSSL's socket BIO stays (with its per-call guard) only if the kernel
  // took the keys of either direction; otherwise pysock's MSG_NOSIGNAL BIO replaces it.
  void settle_transport();

  ssl_context context;
  socket sock;  // its timeout is 0 while TLS is active; `timeout` is the user's
  wrap_options options;
  pysock::timeout timeout;
  std::mutex mutex;  // every OpenSSL call on `ssl`
  SSL* ssl = nullptr;
  int fd = -1;
  bool guard_sigpipe = false;      // OpenSSL's socket BIO (kTLS): each call under a sigpipe_guard
  bool transport_settled = false;  // settle_transport() ran
  std::atomic<bool> tls_active{false};
  std::atomic<bool> closed{false};
  // The first fatal error, latched (under `mutex`): OpenSSL's later codes mislead (tls.md 2.2).
  std::exception_ptr fatal;
  bool fatal_is_eof = false;

 private:
  template <class Call>
  ssl_step attempt(ssl_operation op, Call& call);
};

}  // namespace pysock::detail
