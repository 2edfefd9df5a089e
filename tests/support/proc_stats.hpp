// What /proc says about a process: open fds and peak resident set. Shared by the tests and the
// load benchmark, header-only so the benchmark needs no test library.
#pragma once

#include <dirent.h>
#include <sys/types.h>

#include <cstddef>
#include <fstream>
#include <stdexcept>
#include <string>

namespace pysock_test {

// How many fds process `pid` has open.
inline std::size_t open_fd_count(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/fd";
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) throw std::runtime_error("cannot list " + path);
  std::size_t count = 0;
  while (const dirent* entry = ::readdir(dir))
    count += entry->d_name[0] != '.';
  ::closedir(dir);
  return count;
}

// A "Vm...:" figure of /proc/<pid>/status in KiB.
inline std::size_t status_kib(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(field + ":", 0) == 0) return std::stoul(line.substr(field.size() + 1));
  }
  throw std::runtime_error("no " + field + " for pid " + std::to_string(pid));
}

// The peak resident set of process `pid` in KiB (VmHWM).
inline std::size_t peak_rss_kib(pid_t pid) {
  return status_kib(pid, "VmHWM");
}

// The resident set of process `pid` now, in KiB (VmRSS).
inline std::size_t rss_kib(pid_t pid) {
  return status_kib(pid, "VmRSS");
}

}  // namespace pysock_test
