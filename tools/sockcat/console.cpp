#include "console.hpp"

#include <cstdio>

#include <pysock/error.hpp>
#include <pysock/ssl.hpp>

namespace sockcat {

void console::note(std::string_view text) {
  if (!verbose_) return;
  std::lock_guard lock(mutex_);
  write_line(text);
}

void console::error(std::string_view text) {
  std::lock_guard lock(mutex_);
  write_line(text);
}

void console::status(std::string_view text) {
  std::lock_guard lock(mutex_);
  // Pad over the previous, possibly longer, line instead of relying on terminal escapes, so a
  // redirected stderr gets plain text too.
  std::string padding(status_width_ > text.size() ? status_width_ - text.size() : 0, ' ');
  std::fprintf(stderr, "\rsockcat: %.*s%s", static_cast<int>(text.size()), text.data(),
               padding.c_str());
  std::fflush(stderr);
  status_width_ = text.size();
}

void console::end_status() {
  std::lock_guard lock(mutex_);
  if (status_width_ == 0) return;
  std::fputc('\n', stderr);
  status_width_ = 0;
}

void console::write_line(std::string_view text) {
  if (status_width_ != 0) std::fputc('\n', stderr);
  status_width_ = 0;
  std::fprintf(stderr, "sockcat: %.*s\n", static_cast<int>(text.size()), text.data());
  std::fflush(stderr);
}

std::string describe(const std::exception& e) {
  // An os_error's what() may end in ": <operation>"; sockcat says what it was doing itself, so
  // it prints what Python's str(e) would: "[Errno N] strerror", or an SSLError's text
  // "[SSL: REASON] text" (without _ssl.c's source location).
  if (dynamic_cast<const pysock::ssl_error*>(&e)) return e.what();
  if (const auto* os = dynamic_cast<const pysock::os_error*>(&e); os && os->errno_value())
    return "[Errno " + std::to_string(*os->errno_value()) + "] " + os->strerror();
  return e.what();
}

}  // namespace sockcat
