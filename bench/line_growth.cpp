// pysock-line-growth: how readline() costs grow with the line (issue 6, "cost growth").
//
//   pysock-line-growth [--total-mib 64] [--lines-kib 64,1024,16384,65536] [--limits-kib 64,4096]
//                      [--endless-mib 256] [--repeats 5]
//
// 1. readline() of --total-mib bytes made of lines of each --lines-kib size (the last one line
//    of --total-mib), over makefile("rb") on a socketpair fed by a writer thread. Prints the
//    nanoseconds per byte of each (median of --repeats, a fresh file each time, so buffer growth
//    is counted), the ratio of the longest line to the shortest, and what touching as much
//    fresh memory costs per byte: a line longer than any buffer needs new pages for the buffer
//    and for the returned string, a short line reuses both. Without rescans or quadratic buffer
//    growth the cost per byte stays flat as lines grow past the page-fault cost.
// 2. readline(limit) on an endless line, for each limit: reads --endless-mib and prints how much
//    the peak RSS grew (VmHWM, reset before each limit) against O(limit + buffer size).
//
// One JSON line per measurement. Exits 1 when a line comes back wrong or the memory bound is
// broken, so a smoke run with tiny sizes checks the answers.
#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli.hpp"
#include "pysock/pysock.hpp"
#include "support/proc_stats.hpp"

namespace {

constexpr std::size_t kib = 1024;
constexpr std::size_t mib = 1024 * kib;

// Sends `count` bytes taken cyclically from `pattern` (forever when count is 0, until the peer
// closes). The pattern is prebuilt, so the writer costs one send per pattern.
void send_cyclic(pysock::socket& sock, std::string_view pattern, std::size_t count) {
  for (std::size_t sent = 0; count == 0 || sent < count; sent += pattern.size())
    sock.sendall(pattern.substr(0, count ? count - sent : pattern.size()));
}

// The writer end of a socketpair, run by a thread until `feed` returns or the reader hangs up.
class writer_thread {
 public:
  writer_thread(pysock::socket sock, std::function<void(pysock::socket&)> feed)
      : thread_([sock = std::move(sock), feed = std::move(feed)]() mutable {
          try {
            feed(sock);
          } catch (const pysock::os_error&) {  // the reader closed its end (the endless line)
          }
        }) {}
  ~writer_thread() { thread_.join(); }
  writer_thread(const writer_thread&) = delete;
  writer_thread& operator=(const writer_thread&) = delete;

 private:
  std::thread thread_;
};

// About one MiB of whole lines of `line` bytes ('\n' last).
std::string line_pattern(std::size_t line) {
  std::string pattern;
  do {
    pattern.append(line - 1, 'x');
    pattern += '\n';
  } while (pattern.size() + line <= mib);
  return pattern;
}

[[noreturn]] void wrong(const std::string& what) {
  throw std::runtime_error("wrong answer: " + what);
}

// Seconds to readline() a stream of `total` bytes made of lines of `line` bytes, checking each.
double time_readlines(std::size_t total, std::size_t line) {
  auto [reader, writer] = pysock::socketpair();
  writer_thread feed(std::move(writer), [=](pysock::socket& sock) {
    if (line == total) {
      send_cyclic(sock, std::string(mib, 'x'), total - 1);
      sock.sendall(std::string_view("\n"));
    } else {
      send_cyclic(sock, line_pattern(line), total);
    }
    sock.shutdown(pysock::shut::wr);
  });
  auto f = reader.makefile("rb");
  const auto start = std::chrono::steady_clock::now();
  std::size_t lines = 0;
  for (std::string got; !(got = f.readline()).empty(); ++lines) {
    if (got.size() != line || got.back() != '\n') {
      wrong("line " + std::to_string(lines) + " has " + std::to_string(got.size()) + " bytes");
    }
  }
  const double seconds = pysock_bench::seconds_since(start);
  if (lines != total / line) wrong(std::to_string(lines) + " lines");
  return seconds;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// Median nanoseconds per byte of `run`, which handles `total` bytes.
double ns_per_byte(std::size_t total, int repeats, const std::function<double()>& run) {
  std::vector<double> samples;
  for (int i = 0; i < repeats; ++i)
    samples.push_back(run() * 1e9 / double(total));
  return median(samples);
}

// Seconds to allocate, touch and free `size` bytes of fresh memory (the page-fault cost).
double time_fresh_memory(std::size_t size) {
  const auto start = std::chrono::steady_clock::now();
  auto memory = std::make_unique_for_overwrite<char[]>(size);
  std::memset(memory.get(), 'x', size);
  volatile char keep = memory[size / 2];  // the stores are not optimized away
  (void)keep;
  return pysock_bench::seconds_since(start);
}

// VmHWM restarts from the current RSS (Linux's clear_refs 5); false where that is not allowed.
bool reset_peak_rss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5" << std::flush;
  return bool(clear);
}

// readline(limit) on an endless line until `volume` bytes were read; prints the RSS growth.
bool endless_line(std::size_t limit, std::size_t volume) {
  auto [reader, writer] = pysock::socketpair();
  const std::string pattern(mib, 'x');
  writer_thread feed(std::move(writer),
                     [&](pysock::socket& sock) { send_cyclic(sock, pattern, 0); });
  ::malloc_trim(0);  // memory freed by earlier cases must not hide what this one needs
  const bool reset = reset_peak_rss();
  const std::size_t before = pysock_test::rss_kib(getpid());
  std::size_t read = 0;
  {
    auto f = reader.makefile("rb");
    while (read < volume) {
      std::string part = f.readline(std::ptrdiff_t(limit));
      if (part.size() != limit) wrong("readline(limit) returned " + std::to_string(part.size()));
      read += part.size();
    }
  }
  const std::size_t growth = pysock_test::peak_rss_kib(getpid()) - before;
  reader.close();  // the writer's next send fails and its thread ends
  // O(limit + buffer): the buffer holds the line so far (up to limit, plus one read-ahead of at
  // most 256 KiB), the returned string another limit; doubling growth at most doubles the buffer.
  const std::size_t bound = (4 * limit + 2 * mib) / kib;
  const bool ok = !reset || growth <= bound;
  std::printf(
      "{\"case\":\"readline_limit_endless\",\"limit\":%zu,\"bytes_read\":%zu,"
      "\"peak_rss_growth_kib\":%zu,\"bound_kib\":%zu,\"peak_rss_reset\":%s,\"within_bound\":%s}\n",
      limit, read, reset ? growth : 0, bound, reset ? "true" : "false", ok ? "true" : "false");
  return ok;
}

std::vector<std::size_t> parse_list(const std::string& text) {
  std::vector<std::size_t> values;
  std::stringstream items(text);
  for (std::string item; std::getline(items, item, ',');)
    values.push_back(std::stoul(item));
  return values;
}

int run(const pysock_bench::arguments& args) {
  const std::size_t total = std::size_t(args.number("total-mib", 64)) * mib;
  const int repeats = int(args.number("repeats", 5));
  std::vector<std::size_t> lines;
  for (std::size_t line_kib : parse_list(args.text("lines-kib", "64,1024,16384,65536"))) {
    if (line_kib == 0 || total % (line_kib * kib) != 0) {
      throw std::invalid_argument("every --lines-kib must divide --total-mib");
    }
    lines.push_back(line_kib * kib);
  }
  if (lines.empty() || repeats < 1) throw std::invalid_argument("--lines-kib, --repeats >= 1");
  std::vector<double> costs;
  for (std::size_t line : lines) {
    costs.push_back(ns_per_byte(total, repeats, [&] { return time_readlines(total, line); }));
    std::printf("{\"case\":\"readline\",\"bytes\":%zu,\"line\":%zu,\"ns_per_byte\":%.4f}\n", total,
                line, costs.back());
  }
  const double fresh = ns_per_byte(total, repeats, [&] { return time_fresh_memory(total); });
  std::printf(
      "{\"case\":\"readline_growth\",\"longest_over_shortest\":%.3f,"
      "\"fresh_memory_ns_per_byte\":%.4f}\n",
      costs.back() / costs.front(), fresh);
  bool ok = true;
  const std::size_t volume = std::size_t(args.number("endless-mib", 256)) * mib;
  for (std::size_t limit_kib : parse_list(args.text("limits-kib", "64,4096")))
    ok = endless_line(limit_kib * kib, volume) && ok;
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  return pysock_bench::run([&] { return run(pysock_bench::arguments(argc, argv)); });
}
