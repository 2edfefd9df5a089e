// W4 of the shared benchmark harness (weakref.finalize): N objects, each with one finalizer,
// are created and then destroyed, which runs the finalizers.
//
//   pysock-finalize-bench --count N [--exit]
//
// Prints one JSON line: count, callbacks, seconds (create + drop), create_seconds, drop_seconds.
// With --exit it then creates N more objects with pending finalizers and also reports
// exit_seconds, the time run_exit_finalizers() takes to run all N (exit_callbacks counts them).
// Exits 0 when every callback ran, 3 otherwise, 2 on bad arguments.
#include <pysock/finalize.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace {

struct object : pysock::finalizable {
  explicit object(long long number) : id(number) {}
  long long id;
};

struct options {
  long long count = -1;
  bool exit_run = false;
};

[[noreturn]] void usage(const char* problem) {
  std::fprintf(stderr,
               "pysock-finalize-bench: %s\nusage: pysock-finalize-bench --count N [--exit]\n",
               problem);
  std::exit(2);
}

options parse(int argc, char** argv) {
  options parsed;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--exit") == 0) {
      parsed.exit_run = true;
    } else if (std::strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
      char* end = nullptr;
      parsed.count = std::strtoll(argv[++i], &end, 10);
      if (*end != '\0' || parsed.count < 0) usage("--count needs a non-negative integer");
    } else {
      usage("unknown argument");
    }
  }
  if (parsed.count < 0) usage("--count is required");
  return parsed;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Heap objects in a vector, as the C++ baseline (shared_ptr + deleter) and Python's list do.
std::vector<std::unique_ptr<object>> make_objects(long long count, unsigned long long& calls) {
  std::vector<std::unique_ptr<object>> objects;
  for (long long i = 0; i < count; ++i) {
    objects.push_back(std::make_unique<object>(i));
    pysock::finalize(*objects.back(), [&calls] { ++calls; });
  }
  return objects;
}

}  // namespace

int main(int argc, char** argv) {
  const options opts = parse(argc, argv);

  unsigned long long calls = 0;
  const auto start = std::chrono::steady_clock::now();
  auto objects = make_objects(opts.count, calls);
  const double create_seconds = seconds_since(start);
  const auto drop_start = std::chrono::steady_clock::now();
  objects.clear();
  objects.shrink_to_fit();
  const double drop_seconds = seconds_since(drop_start);

  std::printf(
      "{\"impl\":\"pysock-finalize\",\"count\":%lld,\"callbacks\":%llu,\"seconds\":%.6f,"
      "\"create_seconds\":%.6f,\"drop_seconds\":%.6f",
      opts.count, calls, create_seconds + drop_seconds, create_seconds, drop_seconds);
  bool all_ran = calls == static_cast<unsigned long long>(opts.count);

  if (opts.exit_run) {
    unsigned long long exit_calls = 0;
    const auto pending = make_objects(opts.count, exit_calls);
    const auto exit_start = std::chrono::steady_clock::now();
    pysock::run_exit_finalizers();
    std::printf(",\"exit_count\":%lld,\"exit_callbacks\":%llu,\"exit_seconds\":%.6f", opts.count,
                exit_calls, seconds_since(exit_start));
    all_ran = all_ran && exit_calls == static_cast<unsigned long long>(opts.count);
  }
  std::printf("}\n");
  return all_ran ? 0 : 3;
}
