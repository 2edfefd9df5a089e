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

#include "args.hpp"
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

int main(int argc, char** argv) {
  const std::string api = pysock_bench::arg(argc, argv, "api", "readline");
  const auto fd = int(pysock_bench::int_arg(argc, argv, "fd", -1));
  pysock::makefile_options options;
  if (auto b = pysock_bench::arg(argc, argv, "buffering"); !b.empty()) options.buffering = std::stoi(b);
  auto sock = pysock::socket::adopt(fd);
  const bool text = api == "text-utf8";
  if (text) options.encoding = "utf-8";
  auto f = sock.makefile(text ? "r" : "rb", options);
  line_stats stats;
  std::puts("ready");
  std::fflush(stdout);
  const double t0 = pysock_bench::now();
  if (api == "readline" || text) {
    std::string line;  // reused: readline_into keeps its capacity, like std::getline
    read_all(stats, [&]() -> std::string_view { return f.readline_into(line) ? std::string_view(line) : std::string_view(); });
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
    std::fprintf(stderr, "unknown --api %s\n", api.c_str());
    return 2;
  }
  const double seconds = pysock_bench::now() - t0;
  std::printf("{\"reader\":\"pysock-%s\",\"lines\":%llu,\"bytes\":%llu,\"xor\":%u,\"seconds\":%.6f}\n",
              api.c_str(), stats.lines, stats.bytes, stats.xr, seconds);
  return 0;
}
