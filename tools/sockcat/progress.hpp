// The progress line: bytes sent and received, the sending rate and, when the size is known
// (--send-file), the time left. Redrawn twice a second on stderr by its own thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>

#include "console.hpp"

namespace sockcat {

// Byte counters the transfer threads bump; the meter (if any) only reads them.
struct traffic {
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> received{0};
};

class progress_meter {
 public:
  // Draws nothing when `enabled` is false. `to_send`: the total, for the ETA.
  progress_meter(console& out, const traffic& counts, bool enabled,
                 std::optional<std::uint64_t> to_send);
  // Draws the final state and ends the line.
  ~progress_meter();
  progress_meter(const progress_meter&) = delete;
  progress_meter& operator=(const progress_meter&) = delete;

 private:
  void draw();

  console& out_;
  const traffic& counts_;
  std::optional<std::uint64_t> to_send_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::mutex mutex_;
  std::condition_variable_any wakeup_;
  std::jthread ticker_;  // last: starts after everything it reads
};

}  // namespace sockcat
