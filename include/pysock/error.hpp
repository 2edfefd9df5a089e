// pysock/error.hpp: Python's OSError tree as C++ exceptions.
//
// Every OS-level failure is an `os_error` (a std::system_error), so C++ code can test
// `e.code() == std::errc::connection_refused` while Python-minded code catches the subclass
// (`connection_refused_error`). `what()` reads like Python's `str(e)`: "[Errno 111] Connection
// refused", with the operation appended as ": connect" where pysock knows it.
#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace pysock {

// The error category of getaddrinfo()'s EAI_* codes (negative on glibc), messages from
// gai_strerror().
const std::error_category& gai_category() noexcept;
// The error category of the resolver's h_errno codes (gethostbyaddr), messages from hstrerror().
const std::error_category& herror_category() noexcept;

// Python's OSError. `code()` carries the errno (generic category) or a resolver code. An error
// built from a message alone (Python's `OSError('msg')`) has errno() == std::nullopt.
class os_error : public std::system_error {
 public:
  // OSError(errno, strerror): what() is "[Errno N] <strerror>", plus ": <context>" when given.
  os_error(std::error_code code, std::string strerror, std::string context = {});
  // OSError(errno) with strerror(errno) as the text.
  explicit os_error(int errno_value, std::string context = {});
  // OSError('message'): no errno; what() is the message.
  explicit os_error(std::string message);

  const char* what() const noexcept override { return what_.c_str(); }
  // Python's e.errno: the number, or nullopt for a message-only error.
  std::optional<int> errno_value() const noexcept;
  // Python's e.strerror (empty for a message-only error).
  const std::string& strerror() const noexcept { return strerror_; }
  // The operation or address pysock appended ("connect", "bind", ...), empty when none.
  const std::string& context() const noexcept { return context_; }

 protected:
  // For subclasses whose message-only form still has a meaningful code (e.g. timeouts).
  os_error(std::error_code code, std::string message, std::nullopt_t no_errno);
  // For errors whose str() is the strerror alone although errno is set (Python's SSLError:
  // errno = args[0], str(e) = args[1]).
  struct plain_text_t {};
  os_error(std::error_code code, std::string strerror, plain_text_t);

 private:
  std::string strerror_;
  std::string context_;
  std::string what_;
  bool has_errno_ = true;
};

// BlockingIOError: EAGAIN, EWOULDBLOCK, EALREADY, EINPROGRESS. A buffered writer that could
// only take part of a write reports how much it took in characters_written().
class blocking_io_error : public os_error {
 public:
  using os_error::os_error;
  blocking_io_error(int errno_value, std::string strerror, std::size_t characters_written);
  std::size_t characters_written() const noexcept { return characters_written_; }

 private:
  std::size_t characters_written_ = 0;
};

// TimeoutError. A socket timeout has what() == "timed out", no errno (as in Python) and
// code() == std::errc::timed_out for C++ callers; an OS ETIMEDOUT keeps its errno.
class timeout_error : public os_error {
 public:
  using os_error::os_error;
  timeout_error();  // the socket timeout: "timed out"
  // A timeout with its own text (TLS: "The read operation timed out"), no errno, code()
  // std::errc::timed_out.
  explicit timeout_error(std::string message);
};

class connection_error : public os_error {
 public:
  using os_error::os_error;
};
class broken_pipe_error : public connection_error {
 public:
  using connection_error::connection_error;
};
class connection_aborted_error : public connection_error {
 public:
  using connection_error::connection_error;
};
class connection_refused_error : public connection_error {
 public:
  using connection_error::connection_error;
};
class connection_reset_error : public connection_error {
 public:
  using connection_error::connection_error;
};

#define PYSOCK_OS_ERROR_SUBCLASS(name) \
  class name : public os_error {       \
   public:                             \
    using os_error::os_error;          \
  }
PYSOCK_OS_ERROR_SUBCLASS(interrupted_error);      // EINTR
PYSOCK_OS_ERROR_SUBCLASS(permission_error);       // EACCES, EPERM
PYSOCK_OS_ERROR_SUBCLASS(file_not_found_error);   // ENOENT
PYSOCK_OS_ERROR_SUBCLASS(file_exists_error);      // EEXIST
PYSOCK_OS_ERROR_SUBCLASS(child_process_error);    // ECHILD
PYSOCK_OS_ERROR_SUBCLASS(process_lookup_error);   // ESRCH
PYSOCK_OS_ERROR_SUBCLASS(is_a_directory_error);   // EISDIR
PYSOCK_OS_ERROR_SUBCLASS(not_a_directory_error);  // ENOTDIR
// socket.gaierror: EAI_* codes in gai_category(). glibc declares a function gai_error() and
// herror() in <netdb.h>: spell these two pysock::gai_error and pysock::herror.
PYSOCK_OS_ERROR_SUBCLASS(gai_error);
PYSOCK_OS_ERROR_SUBCLASS(herror);  // socket.herror: h_errno in herror_category()
// io.UnsupportedOperation. Python derives it from both OSError and ValueError; here it is an
// os_error only, because a second std::exception base would make catch (std::exception&)
// ambiguous (see docs/differences.md).
PYSOCK_OS_ERROR_SUBCLASS(unsupported_operation);
#undef PYSOCK_OS_ERROR_SUBCLASS

// ValueError.
class value_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// TypeError, for the argument errors Python reports by type (e.g. readinto on a text file, an
// encode-only error handler given to a decoder). One class wherever pysock raises TypeError.
class type_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};
namespace io {
using type_error = pysock::type_error;  // the io name it had first
}

// UnicodeError: what a codec failed on. what() is Python's str(e), e.g.
// "'utf-8' codec can't decode byte 0xff in position 3: invalid start byte".
class unicode_error : public value_error {
 public:
  // A plain UnicodeError that names no codec position (CPython's "pending buffer too large"):
  // encoding(), object() and reason() are empty, start() and end() 0.
  explicit unicode_error(std::string message);

  const std::string& encoding() const noexcept { return encoding_; }
  // The bytes being decoded, or the UTF-8 text being encoded.
  const std::string& object() const noexcept { return object_; }
  // Byte offsets into object() when decoding; code point offsets when encoding, as in Python.
  std::size_t start() const noexcept { return start_; }
  std::size_t end() const noexcept { return end_; }
  const std::string& reason() const noexcept { return reason_; }

 protected:
  unicode_error(std::string message, std::string encoding, std::string object, std::size_t start,
                std::size_t end, std::string reason);

 private:
  std::string encoding_, object_;
  std::size_t start_, end_;
  std::string reason_;
};

class unicode_decode_error : public unicode_error {
 public:
  unicode_decode_error(std::string encoding, std::string object, std::size_t start, std::size_t end,
                       std::string reason);
};

class unicode_encode_error : public unicode_error {
 public:
  unicode_encode_error(std::string encoding, std::string object, std::size_t start, std::size_t end,
                       std::string reason);
};

// NotImplementedError (e.g. wrapping a datagram socket in TLS).
class not_implemented_error : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// LookupError: an unknown encoding or error handler name.
class lookup_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// ExceptionGroup of create_connection(all_errors=True): every attempt's error, in order.
// Unlike Python's ExceptionGroup it is an os_error (with the last attempt's code), so code that
// catches os_error around create_connection keeps working when all_errors is switched on.
class exception_group : public os_error {
 public:
  exception_group(std::string message, std::vector<std::exception_ptr> exceptions);
  const std::vector<std::exception_ptr>& exceptions() const noexcept { return exceptions_; }

 private:
  std::vector<std::exception_ptr> exceptions_;
};

// Throws the os_error subclass that Python's PEP 3151 map picks for `errno_value` (like
// PyErr_SetFromErrno), with `context` appended to the message when not empty.
[[noreturn]] void raise_os_error(int errno_value, std::string context = {});
// Python's OSError(errno, strerror): the subclass for `errno_value`, with `strerror` as the text.
[[noreturn]] void raise_os_error(int errno_value, std::string strerror, std::string context);
// What a throwing call raises for the error a non-throwing overload reported in `ec`: the socket
// timeout (std::errc::timed_out) as timeout_error() ("timed out"), an errno as above, anything
// else as an os_error with the code's message.
[[noreturn]] void raise_os_error(const std::error_code& ec, std::string context = {});
// The same for an EAI_* code from getaddrinfo (EAI_SYSTEM defers to errno).
[[noreturn]] void raise_gai_error(int eai_code, int saved_errno = 0);

}  // namespace pysock
