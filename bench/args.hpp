// Tiny helpers shared by the benchmark programs: "--key value" arguments and a monotonic clock.
#pragma once

#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>

namespace pysock_bench {

// The value after `--key`, or `fallback`.
inline std::string arg(int argc, char** argv, std::string_view key, std::string fallback = {}) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == "--" + std::string(key)) return argv[i + 1];
  }
  return fallback;
}

inline long long int_arg(int argc, char** argv, std::string_view key, long long fallback) {
  auto value = arg(argc, argv, key);
  return value.empty() ? fallback : std::atoll(value.c_str());
}

inline double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace pysock_bench
