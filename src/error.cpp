#include "pysock/error.hpp"

#include <netdb.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace pysock {
namespace {

class gai_category_impl : public std::error_category {
 public:
  const char* name() const noexcept override { return "getaddrinfo"; }
  std::string message(int code) const override { return ::gai_strerror(code); }
};

class herror_category_impl : public std::error_category {
 public:
  const char* name() const noexcept override { return "resolver"; }
  std::string message(int code) const override { return ::hstrerror(code); }
};

std::string errno_text(std::error_code code, const std::string& strerror,
                       const std::string& context) {
  std::string text = "[Errno " + std::to_string(code.value()) + "] " + strerror;
  if (!context.empty()) text += ": " + context;
  return text;
}

// Decodes the code point of generalized UTF-8 (lone surrogates allowed) at byte `at`.
char32_t code_point_at(const std::string& text, std::size_t& at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  int length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
  if (at + length > text.size()) length = 1;
  char32_t value = length == 1 ? lead : lead & (0x7F >> length);
  for (int i = 1; i < length; ++i)
    value = (value << 6) | (byte(at + i) & 0x3F);
  at += length;
  return value;
}

// The Python repr of one character inside quotes, as UnicodeEncodeError prints it.
std::string escaped_character(char32_t c) {
  char buffer[16];
  if (c >= 0x20 && c < 0x7F && c != '\\' && c != '\'') return std::string(1, static_cast<char>(c));
  if (c <= 0xFF) {
    std::snprintf(buffer, sizeof buffer, "\\x%02x", static_cast<unsigned>(c));
  } else if (c <= 0xFFFF) {
    std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(c));
  } else {
    std::snprintf(buffer, sizeof buffer, "\\U%08x", static_cast<unsigned>(c));
  }
  return buffer;
}

char32_t nth_code_point(const std::string& text, std::size_t index) {
  std::size_t at = 0;
  char32_t c = 0;
  for (std::size_t i = 0; i <= index && at < text.size(); ++i)
    c = code_point_at(text, at);
  return c;
}

std::string position_text(std::size_t start, std::size_t end) {
  return end == start + 1 ? "position " + std::to_string(start)
                          : "position " + std::to_string(start) + "-" + std::to_string(end - 1);
}

std::string decode_error_text(const std::string& encoding, const std::string& object,
                              std::size_t start, std::size_t end, const std::string& reason) {
  std::string text = "'" + encoding + "' codec can't decode ";
  if (end == start + 1 && start < object.size()) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "0x%02x", static_cast<unsigned char>(object[start]));
    text += std::string("byte ") + buffer + " in ";
  } else {
    text += "bytes in ";
  }
  return text + position_text(start, end) + ": " + reason;
}

std::string encode_error_text(const std::string& encoding, const std::string& object,
                              std::size_t start, std::size_t end, const std::string& reason) {
  std::string text = "'" + encoding + "' codec can't encode ";
  if (end == start + 1) {
    text += "character '" + escaped_character(nth_code_point(object, start)) + "' in ";
  } else {
    text += "characters in ";
  }
  return text + position_text(start, end) + ": " + reason;
}

}  // namespace

const std::error_category& gai_category() noexcept {
  static const gai_category_impl category;
  return category;
}

const std::error_category& herror_category() noexcept {
  static const herror_category_impl category;
  return category;
}

os_error::os_error(std::error_code code, std::string strerror, std::string context)
    : std::system_error(code),
      strerror_(std::move(strerror)),
      context_(std::move(context)),
      what_(errno_text(this->code(), strerror_, context_)) {}

os_error::os_error(int errno_value, std::string context)
    : os_error(std::error_code(errno_value, std::generic_category()),
               std::generic_category().message(errno_value), std::move(context)) {}

os_error::os_error(std::string message)
    : os_error(std::error_code(), std::move(message), std::nullopt) {}

os_error::os_error(std::error_code code, std::string message, std::nullopt_t)
    : std::system_error(code), what_(std::move(message)), has_errno_(false) {}

os_error::os_error(std::error_code code, std::string strerror, plain_text_t)
    : std::system_error(code), strerror_(strerror), what_(std::move(strerror)) {}

std::optional<int> os_error::errno_value() const noexcept {
  if (!has_errno_) return std::nullopt;
  return code().value();
}

blocking_io_error::blocking_io_error(int errno_value, std::string strerror,
                                     std::size_t characters_written)
    : os_error(std::error_code(errno_value, std::generic_category()), std::move(strerror)),
      characters_written_(characters_written) {}

timeout_error::timeout_error() : timeout_error("timed out") {}

timeout_error::timeout_error(std::string message)
    : os_error(std::make_error_code(std::errc::timed_out), std::move(message), std::nullopt) {}

unicode_error::unicode_error(std::string message, std::string encoding, std::string object,
                             std::size_t start, std::size_t end, std::string reason)
    : value_error(std::move(message)),
      encoding_(std::move(encoding)),
      object_(std::move(object)),
      start_(start),
      end_(end),
      reason_(std::move(reason)) {}

unicode_error::unicode_error(std::string message)
    : unicode_error(std::move(message), {}, {}, 0, 0, {}) {}

unicode_decode_error::unicode_decode_error(std::string encoding, std::string object,
                                           std::size_t start, std::size_t end, std::string reason)
    // Arguments are evaluated in any order: the message is built from copies, never moved-from.
    : unicode_error(decode_error_text(encoding, object, start, end, reason), encoding, object,
                    start, end, reason) {}

unicode_encode_error::unicode_encode_error(std::string encoding, std::string object,
                                           std::size_t start, std::size_t end, std::string reason)
    : unicode_error(encode_error_text(encoding, object, start, end, reason), encoding, object,
                    start, end, reason) {}

namespace {

std::error_code last_code(const std::vector<std::exception_ptr>& exceptions) {
  if (exceptions.empty()) return {};
  try {
    std::rethrow_exception(exceptions.back());
  } catch (const std::system_error& e) {
    return e.code();
  } catch (...) {
    return {};
  }
}

}  // namespace

exception_group::exception_group(std::string message, std::vector<std::exception_ptr> exceptions)
    : os_error(last_code(exceptions),
               message + " (" + std::to_string(exceptions.size()) + " sub-exception" +
                   (exceptions.size() == 1 ? "" : "s") + ")",
               std::nullopt),
      exceptions_(std::move(exceptions)) {}

namespace {

template <class Error>
[[noreturn]] void raise_as(int errno_value, std::string strerror, std::string context) {
  throw Error(std::error_code(errno_value, std::generic_category()), std::move(strerror),
              std::move(context));
}

}  // namespace

void raise_os_error(int errno_value, std::string context) {
  raise_os_error(errno_value, std::generic_category().message(errno_value), std::move(context));
}

void raise_os_error(int errno_value, std::string strerror, std::string context) {
  switch (errno_value) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case EALREADY:
    case EINPROGRESS:
      raise_as<blocking_io_error>(errno_value, std::move(strerror), std::move(context));
    case EPIPE:
    case ESHUTDOWN:
      raise_as<broken_pipe_error>(errno_value, std::move(strerror), std::move(context));
    case ECONNABORTED:
      raise_as<connection_aborted_error>(errno_value, std::move(strerror), std::move(context));
    case ECONNREFUSED:
      raise_as<connection_refused_error>(errno_value, std::move(strerror), std::move(context));
    case ECONNRESET:
      raise_as<connection_reset_error>(errno_value, std::move(strerror), std::move(context));
    case ETIMEDOUT:
      raise_as<timeout_error>(errno_value, std::move(strerror), std::move(context));
    case EINTR:
      raise_as<interrupted_error>(errno_value, std::move(strerror), std::move(context));
    case EACCES:
    case EPERM:
      raise_as<permission_error>(errno_value, std::move(strerror), std::move(context));
    case ENOENT:
      raise_as<file_not_found_error>(errno_value, std::move(strerror), std::move(context));
    case EEXIST:
      raise_as<file_exists_error>(errno_value, std::move(strerror), std::move(context));
    case ECHILD:
      raise_as<child_process_error>(errno_value, std::move(strerror), std::move(context));
    case ESRCH:
      raise_as<process_lookup_error>(errno_value, std::move(strerror), std::move(context));
    case EISDIR:
      raise_as<is_a_directory_error>(errno_value, std::move(strerror), std::move(context));
    case ENOTDIR:
      raise_as<not_a_directory_error>(errno_value, std::move(strerror), std::move(context));
    default:
      raise_as<os_error>(errno_value, std::move(strerror), std::move(context));
  }
}

void raise_os_error(const std::error_code& ec, std::string context) {
  if (ec == std::errc::timed_out) throw timeout_error();
  if (ec.category() == std::generic_category() || ec.category() == std::system_category())
    raise_os_error(ec.value(), std::move(context));
  throw os_error(ec, ec.message(), std::move(context));
}

void raise_gai_error(int eai_code, int saved_errno) {
  if (eai_code == EAI_SYSTEM) raise_os_error(saved_errno);
  const std::error_code code(eai_code, gai_category());
  throw gai_error(code, code.message());
}

}  // namespace pysock
