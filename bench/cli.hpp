// Command-line and output helpers of the benchmark programs (the harness protocol of
// /work/shared/bench: "--key value" arguments, "ready" then "go", one JSON line at the end).
#pragma once

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

namespace pysock_bench {

// "--key value" pairs; a "--flag" without a value is "1".
class arguments {
 public:
  arguments(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
      const std::string_view arg = argv[i];
      if (!arg.starts_with("--"))
        throw std::invalid_argument("unexpected argument " + std::string(arg));
      const bool has_value = i + 1 < argc && !std::string_view(argv[i + 1]).starts_with("--");
      values_[std::string(arg.substr(2))] = has_value ? argv[++i] : "1";
    }
  }
  std::string text(const std::string& key) const {
    const auto found = values_.find(key);
    if (found == values_.end()) throw std::invalid_argument("missing --" + key);
    return found->second;
  }
  std::string text(const std::string& key, const std::string& fallback) const {
    return values_.contains(key) ? text(key) : fallback;
  }
  bool flag(const std::string& key) const { return values_.contains(key); }
  long long number(const std::string& key) const { return std::stoll(text(key)); }
  long long number(const std::string& key, long long fallback) const {
    return values_.contains(key) ? number(key) : fallback;
  }

 private:
  std::map<std::string, std::string> values_;
};

// Prints "ready" and waits for the harness's "go" line on stdin.
inline void ready_then_wait_for_go() {
  std::cout << "ready" << std::endl;
  std::string line;
  if (!std::getline(std::cin, line)) throw std::runtime_error("stdin closed before 'go'");
}

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A JSON string literal for `text` (quotes, backslashes and control characters escaped).
inline std::string json_string(std::string_view text) {
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(c));
      quoted += escape;
    } else {
      quoted += c;
    }
  }
  return quoted + "\"";
}

// Runs a benchmark's main, turning an exception into "error: ..." on stderr and exit code 2.
template <class Main>
int run(Main main) {
  try {
    return main();
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << std::endl;
    return 2;
  }
}

}  // namespace pysock_bench
