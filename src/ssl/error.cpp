#include "ssl/error.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cerrno>
#include <tuple>

namespace pysock {
namespace detail {
namespace {

struct library_name {
  int library;
  const char* name;
};
struct reason_name {
  int library;
  int reason;
  const char* name;
};
#include "ssl/error_table.inc"

class ssl_category_impl : public std::error_category {
 public:
  const char* name() const noexcept override { return "ssl"; }
  std::string message(int code) const override {
    switch (code) {
      case SSL_ERROR_WANT_READ:
        return "The operation did not complete (read)";
      case SSL_ERROR_WANT_WRITE:
        return "The operation did not complete (write)";
      case SSL_ERROR_SYSCALL:
        return "Some I/O error occurred";
      case SSL_ERROR_ZERO_RETURN:
        return "TLS/SSL connection has been closed (EOF)";
      case ssl_code_eof:
        return "EOF occurred in violation of protocol";
      default:
        return "SSL error " + std::to_string(code);
    }
  }
};

// Python's "[LIB: REASON] text[: verify message]", "[LIB] text" or "text".
std::string python_message(unsigned long packed, const std::string& text,
                           const std::string& verify_message) {
  const auto library = packed ? ssl_library_name(packed) : std::nullopt;
  const auto reason = packed ? ssl_reason_name(packed) : std::nullopt;
  if (library && reason) {
    std::string message = "[" + *library + ": " + *reason + "] " + text;
    return verify_message.empty() ? message : message + ": " + verify_message;
  }
  if (library) return "[" + *library + "] " + text;
  return text;
}

// The reason string of the queued error, "unknown error" when there is none.
std::string queued_text(unsigned long packed) {
  const char* text = packed ? ERR_reason_error_string(packed) : nullptr;
  return text ? text : "unknown error";
}

std::string verify_message_for(SSL* ssl, long code, const std::optional<std::string>& hostname) {
  switch (code) {
    case X509_V_ERR_HOSTNAME_MISMATCH:
      return "Hostname mismatch, certificate is not valid for '" + hostname.value_or("") + "'.";
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return "IP address mismatch, certificate is not valid for '" + hostname.value_or("") + "'.";
    default:
      return ssl ? X509_verify_cert_error_string(code) : "";
  }
}

template <class Error>
std::exception_ptr make(int code, unsigned long packed, const std::string& text) {
  return std::make_exception_ptr(Error(code, python_message(packed, text, {}),
                                       packed ? ssl_library_name(packed) : std::nullopt,
                                       packed ? ssl_reason_name(packed) : std::nullopt));
}

bool is_ssl_reason(unsigned long packed, int reason) {
  return ERR_GET_LIB(packed) == ERR_LIB_SSL && ERR_GET_REASON(packed) == reason;
}

}  // namespace

std::optional<std::string> ssl_library_name(unsigned long packed) {
  const int library = ERR_GET_LIB(packed);
  for (const auto& entry : ssl_library_names)
    if (entry.library == library) return entry.name;
  return std::nullopt;
}

std::optional<std::string> ssl_reason_name(unsigned long packed) {
  const auto key = std::make_pair(ERR_GET_LIB(packed), ERR_GET_REASON(packed));
  const auto* end = std::end(ssl_reason_names);
  const auto* found = std::lower_bound(std::begin(ssl_reason_names), end, key,
                                       [](const reason_name& entry, const auto& k) {
                                         return std::make_pair(entry.library, entry.reason) < k;
                                       });
  if (found == end || found->library != key.first || found->reason != key.second) return {};
  return found->name;
}

std::exception_ptr ssl_io_exception(const ssl_io_failure& failure, SSL* ssl,
                                    const std::optional<std::string>& hostname) {
  const unsigned long packed = failure.queued;
  ERR_clear_error();
  switch (failure.ssl_error) {
    case SSL_ERROR_ZERO_RETURN:
      return make<ssl_zero_return_error>(SSL_ERROR_ZERO_RETURN, packed,
                                         "TLS/SSL connection has been closed (EOF)");
    case SSL_ERROR_WANT_READ:
      return make<ssl_want_read_error>(SSL_ERROR_WANT_READ, packed,
                                       "The operation did not complete (read)");
    case SSL_ERROR_WANT_WRITE:
      return make<ssl_want_write_error>(SSL_ERROR_WANT_WRITE, packed,
                                        "The operation did not complete (write)");
    case SSL_ERROR_SYSCALL:
      if (packed == 0) {
        // The transport failed: an errno is an OSError; no errno is a ragged EOF. (The *_ex
        // calls return 0 on failure, so the return value tells nothing here, as in 3.13.)
        if (failure.saved_errno != 0) {
          try {
            raise_os_error(failure.saved_errno);
          } catch (...) {
            return std::current_exception();
          }
        }
        return make<ssl_eof_error>(ssl_code_eof, 0, "EOF occurred in violation of protocol");
      }
      if (is_ssl_reason(packed, SSL_R_UNEXPECTED_EOF_WHILE_READING))
        return make<ssl_eof_error>(ssl_code_eof, packed, "EOF occurred in violation of protocol");
      return make<ssl_syscall_error>(SSL_ERROR_SYSCALL, packed, queued_text(packed));
    case SSL_ERROR_SSL:
      if (packed == 0)
        return make<ssl_error>(SSL_ERROR_SSL, 0, "A failure in the SSL library occurred");
      if (is_ssl_reason(packed, SSL_R_UNEXPECTED_EOF_WHILE_READING))
        return make<ssl_eof_error>(ssl_code_eof, packed, "EOF occurred in violation of protocol");
      if (is_ssl_reason(packed, SSL_R_CERTIFICATE_VERIFY_FAILED)) {
        const long code = SSL_get_verify_result(ssl);
        const auto verify = verify_message_for(ssl, code, hostname);
        return std::make_exception_ptr(ssl_cert_verification_error(
            SSL_ERROR_SSL, python_message(packed, queued_text(packed), verify),
            ssl_library_name(packed), ssl_reason_name(packed), code, verify));
      }
      return make<ssl_error>(SSL_ERROR_SSL, packed, queued_text(packed));
    default:
      return make<ssl_error>(failure.ssl_error, packed, queued_text(packed));
  }
}

void raise_ssl_library_error() {
  const unsigned long packed = ERR_peek_last_error();
  ERR_clear_error();
  std::rethrow_exception(make<ssl_error>(ERR_GET_REASON(packed), packed, queued_text(packed)));
}

void raise_ssl_file_error(int saved_errno) {
  if (saved_errno != 0) {
    ERR_clear_error();
    raise_os_error(saved_errno);
  }
  raise_ssl_library_error();
}

}  // namespace detail

const std::error_category& ssl_category() noexcept {
  static const detail::ssl_category_impl category;
  return category;
}

ssl_error::ssl_error(int code, std::string message, std::optional<std::string> library,
                     std::optional<std::string> reason)
    : os_error(std::error_code(code, ssl_category()), std::move(message), plain_text_t{}),
      library_(std::move(library)),
      reason_(std::move(reason)) {}

ssl_error::ssl_error(std::string message)
    : os_error(std::error_code(), std::move(message), std::nullopt) {}

ssl_cert_verification_error::ssl_cert_verification_error(int code, std::string message,
                                                         std::optional<std::string> library,
                                                         std::optional<std::string> reason,
                                                         long verify_code,
                                                         std::string verify_message)
    : ssl_error(code, std::move(message), std::move(library), std::move(reason)),
      verify_code_(verify_code),
      verify_message_(std::move(verify_message)) {}

}  // namespace pysock
