// pysock-line-reader: the W1 reader of the shared harness over makefile().
//   --api readline       makefile("rb") + readline_into() a reused std::string
//   --api readline_view  makefile("rb") + readline_view() (zero copy)
//   --api text-utf8      makefile("r", encoding utf-8, newline None) + readline()
//   --api getline        std::getline on a std::istream over io::streambuf (makefile("rb"))
//   --buffering N        makefile's buffering (default: Python's 8192)
//   --fd FD              the connected socket to adopt
// Prints "ready", reads to EOF, then one JSON line with the checksum (lines, bytes, xor of each
// line's first byte).
#include <cstdio>
#include <istream>
#include <string>

#include "cli.hpp"
#include "pysock/io/streambuf.hpp"
#include "pysock/makefile.hpp"

namespace {

struct line_stats {
  unsigned long long lines = 0, bytes = 0;
  unsigned xr = 0;
  void add(char first, std::size_t size) {
    ++lines;
    bytes += size;
    xr ^= static_cast<unsigned char>(first);
  }
};

template <class NextLine>
void read_all(line_stats& stats, NextLine next) {
  for (;;) {
    auto line = next();
    if (line.empty()) return;
    stats.add(line[0], line.size());
  }
}

}  // namespace

int read_lines(const pysock_bench::arguments& args) {
  const std::string api = args.text("api");
  pysock::makefile_options options;
  if (auto buffering = args.number("buffering", -1); buffering >= 0)
    options.buffering = int(buffering);
  auto sock = pysock::socket::adopt(int(args.number("fd")));
  const bool text = api == "text-utf8";
  if (text) options.encoding = "utf-8";
  auto f = sock.makefile(text ? "r" : "rb", options);
  line_stats stats;
  std::puts("ready");
  std::fflush(stdout);
  const auto start = std::chrono::steady_clock::now();
  if (api == "readline" || text) {
    std::string line;  // reused: readline_into keeps its capacity, like std::getline
    read_all(stats, [&]() -> std::string_view {
      return f.readline_into(line) ? std::string_view(line) : std::string_view();
    });
  } else if (api == "readline_view") {
    read_all(stats, [&] { return f.readline_view(); });
  } else if (api == "getline") {
    pysock::io::streambuf buf(f);
    std::istream in(&buf);
    std::string line;
    while (std::getline(in, line)) {
      // std::getline drops the '\n': count it back unless the stream ended without one.
      const bool had_newline = !in.eof();
      stats.add(line.empty() ? '\n' : line[0], line.size() + (had_newline ? 1 : 0));
    }
  } else {
    throw std::invalid_argument("unknown --api " + api);
  }
  const double seconds = pysock_bench::seconds_since(start);
  std::printf(
      "{\"reader\":\"pysock-%s\",\"lines\":%llu,\"bytes\":%llu,\"xor\":%u,\"seconds\":%.6f}\n",
      api.c_str(), stats.lines, stats.bytes, stats.xr, seconds);
  return 0;
}

int main(int argc, char** argv) {
  return pysock_bench::run([&] { return read_lines(pysock_bench::arguments(argc, argv)); });
}
