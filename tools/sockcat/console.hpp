// sockcat's stderr: error messages, -v notes and the progress line, from any thread, without
// tearing each other apart.
#pragma once

#include <exception>
#include <mutex>
#include <string>
#include <string_view>

namespace sockcat {

class console {
 public:
  explicit console(bool verbose) : verbose_(verbose) {}

  // "sockcat: <text>" on its own line, with -v only.
  void note(std::string_view text);
  // "sockcat: <text>" on its own line, always.
  void error(std::string_view text);
  // Replaces the status (progress) line in place; end_status() moves past it.
  void status(std::string_view text);
  void end_status();

 private:
  void write_line(std::string_view text);  // caller holds mutex_

  bool verbose_;
  std::mutex mutex_;
  std::size_t status_width_ = 0;  // characters of the status line on screen, 0 when none
};

// The text of an exception as sockcat reports it (an OSError's Python str(), e.g. "[Errno 111]
// Connection refused"; a socket timeout's "timed out").
std::string describe(const std::exception& e);

}  // namespace sockcat
