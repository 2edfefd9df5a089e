// Shared test helpers: fd accounting, child processes with bounded waits, finding CPython.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

#include <gtest/gtest.h>

#include "pysock/error.hpp"
#include "pysock/socket.hpp"
#include "support/expect_throw.hpp"
#include "support/proc_stats.hpp"

namespace pysock_test {

// The fds open in this process, sorted (from /proc/self/fd, without the fd used to list them).
std::vector<int> open_fds();
// "3 -> socket:[123], 4 -> pipe:[5]": readable in a failing assertion.
std::string describe_fds(const std::vector<int>& fds);

struct child_result {
  int exit_code = -1;  // the exit status, or -1 when killed by a signal
  int signal = 0;      // the signal that killed it, 0 if none
  std::string output;  // everything the child wrote to stdout and stderr
  bool timed_out = false;
};

// Runs `body` in a forked child (its stdout/stderr captured) and waits at most `limit`.
// The child exits 0 when `body` returns, 1 when it throws (the what() is printed).
child_result run_in_child(const std::function<void()>& body,
                          std::chrono::milliseconds limit = std::chrono::seconds(30));

// Runs a shell command line, capturing stdout+stderr, killed after `limit`.
child_result run_command(const std::string& command_line,
                         std::chrono::milliseconds limit = std::chrono::seconds(60));

// A program started with pipes on its stdin and stdout (stderr goes to ours). The destructor
// kills it if it is still running.
class child_process {
 public:
  explicit child_process(const std::vector<std::string>& argv);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  // The next line of its stdout without the newline; nullopt at EOF or after `limit`.
  std::optional<std::string> read_line(std::chrono::milliseconds limit = std::chrono::seconds(10));
  void close_stdin();
  pid_t pid() const noexcept { return pid_; }
  // Waits for it to exit; the result as run_command reports it (output: what was not read yet).
  child_result wait(std::chrono::milliseconds limit = std::chrono::seconds(30));

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  std::string pending_;
  bool reaped_ = false;
};

// How to invoke the reference CPython: $PYSOCK_PYTHON when set, else
// "PYENV_VERSION=3.13.0 python3.13" when that works, otherwise "python3" (with a warning on
// stderr, once).
const std::string& python_command();

// Two connected sockets: over loopback TCP (client, server side) or an AF_UNIX socketpair.
std::pair<pysock::socket, pysock::socket> tcp_pair();
std::pair<pysock::socket, pysock::socket> unix_pair();

// A loopback TCP port that nothing listens on (bound, then released).
int unused_tcp_port();

// Whether "localhost" resolves to 127.0.0.1 on this machine: every installed system has it in
// /etc/hosts, a bare debootstrap root or container may not. Tests that resolve it start with
// PYSOCK_REQUIRE_LOCALHOST(), so a minimal machine skips them with the reason.
bool localhost_resolves();
#define PYSOCK_REQUIRE_LOCALHOST()                                                          \
  if (!pysock_test::localhost_resolves())                                                   \
  GTEST_SKIP() << "\"localhost\" does not resolve to 127.0.0.1 here (no localhost line in " \
                  "/etc/hosts)"

// The span of bytes a string holds, for the span overloads.
// ASan holds freed memory in quarantine, so RSS cannot show memory being given back there.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool address_sanitized = true;
#elif defined(__has_feature)
inline constexpr bool address_sanitized = __has_feature(address_sanitizer);
#else
inline constexpr bool address_sanitized = false;
#endif

inline std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

}  // namespace pysock_test
