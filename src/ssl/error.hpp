// Internal: turning OpenSSL's error state into pysock's ssl_error tree, as _ssl.c does.
#pragma once

#include <openssl/ssl.h>

#include <exception>
#include <optional>
#include <string>

#include "pysock/ssl.hpp"

namespace pysock::detail {

// Python's SSL_ERROR_* codes (args[0]); 8 is Python's own PY_SSL_ERROR_EOF.
inline constexpr int ssl_code_want_read = SSL_ERROR_WANT_READ;
inline constexpr int ssl_code_want_write = SSL_ERROR_WANT_WRITE;
inline constexpr int ssl_code_eof = 8;

// The library and reason names of a packed OpenSSL error code (from the generated table).
std::optional<std::string> ssl_library_name(unsigned long packed);
std::optional<std::string> ssl_reason_name(unsigned long packed);

// What an I/O call (SSL_read_ex, SSL_do_handshake, ...) failed with, captured right after it,
// in the same thread and before any other OpenSSL call.
struct ssl_io_failure {
  int ssl_error = 0;         // SSL_get_error
  int ret = 0;               // the call's return value
  int saved_errno = 0;       // errno right after the call
  unsigned long queued = 0;  // ERR_peek_last_error
};

// The exception for `failure` on `ssl` (Python's PySSL_SetError): ssl_want_*_error,
// ssl_zero_return_error, ssl_eof_error, ssl_cert_verification_error (with the verify code and
// Python's hostname/IP texts for `hostname`), an os_error from errno, or ssl_error. Clears the
// error queue.
std::exception_ptr ssl_io_exception(const ssl_io_failure& failure, SSL* ssl,
                                    const std::optional<std::string>& hostname);

// The error of a failed library call (Python's _setSSLError): code = the reason, text from
// the last queued error. Clears the queue.
[[noreturn]] void raise_ssl_library_error();
// The same, but an os_error when the call left errno set (file not found, ...), as _ssl.c does
// for file loading.
[[noreturn]] void raise_ssl_file_error(int saved_errno);

}  // namespace pysock::detail
