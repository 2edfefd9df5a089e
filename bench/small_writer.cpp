// pysock-small-writer: the W3 writer of the shared harness: makefile("wb"), one write() per
// message, flush() at the end. Arguments: --count M --msg-size S --fd FD [--buffering N].
// Prints "ready", waits for "go", writes, closes, prints one JSON line.
#include <cstdio>
#include <string>

#include "cli.hpp"
#include "pysock/makefile.hpp"

namespace {

int write_messages(const pysock_bench::arguments& args) {
  const long long count = args.number("count");
  const long long size = args.number("msg-size", 16);
  pysock::makefile_options options;
  if (auto buffering = args.number("buffering", -1); buffering >= 0)
    options.buffering = int(buffering);
  auto sock = pysock::socket::adopt(int(args.number("fd")));
  auto f = sock.makefile("wb", options);
  std::string message(std::size_t(size), 'm');
  message.back() = '\n';
  pysock_bench::ready_then_wait_for_go();
  const auto start = std::chrono::steady_clock::now();
  for (long long i = 0; i < count; ++i)
    f.write(message);
  f.flush();
  f.close();
  sock.shutdown(pysock::shut::wr);
  sock.close();
  const double seconds = pysock_bench::seconds_since(start);
  std::printf("{\"writer\":\"pysock-wb\",\"messages\":%lld,\"bytes\":%lld,\"seconds\":%.6f}\n",
              count, count * size, seconds);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return pysock_bench::run([&] { return write_messages(pysock_bench::arguments(argc, argv)); });
}
