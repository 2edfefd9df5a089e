#include "progress.hpp"

#include <cstdio>
#include <string>

namespace sockcat {
namespace {

using namespace std::chrono_literals;

std::string human_bytes(double bytes) {
  static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  std::size_t unit = 0;
  while (bytes >= 1024 && unit + 1 < std::size(units)) {
    bytes /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
  return text;
}

std::string clock_time(double seconds) {
  auto whole = static_cast<long long>(seconds + 0.5);
  char text[32];
  std::snprintf(text, sizeof text, "%lld:%02lld", whole / 60, whole % 60);
  return text;
}

}  // namespace

progress_meter::progress_meter(console& out, const traffic& counts, bool enabled,
                               std::optional<std::uint64_t> to_send)
    : out_(out), counts_(counts), to_send_(to_send) {
  if (!enabled) return;
  ticker_ = std::jthread([this](std::stop_token stop) {
    std::unique_lock lock(mutex_);
    auto stopped = [&stop] { return stop.stop_requested(); };
    while (!wakeup_.wait_for(lock, stop, 500ms, stopped))
      draw();
  });
}

progress_meter::~progress_meter() {
  if (!ticker_.joinable()) return;
  ticker_.request_stop();
  ticker_.join();
  draw();
  out_.end_status();
}

void progress_meter::draw() {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  auto sent = counts_.sent.load();
  double rate = elapsed > 0 ? sent / elapsed : 0;
  std::string line = "sent " + human_bytes(sent);
  if (to_send_) line += " of " + human_bytes(*to_send_);
  line += " (" + human_bytes(rate) + "/s";
  if (to_send_ && rate > 0 && sent < *to_send_)
    line += ", ETA " + clock_time((*to_send_ - sent) / rate);
  line += "), received " + human_bytes(counts_.received.load()) + " in " + clock_time(elapsed);
  out_.status(line);
}

}  // namespace sockcat
