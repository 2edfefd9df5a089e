// pysock-small-writer: the W3 writer of the shared harness: makefile("wb"), one write() per
// message, flush() at the end. Arguments: --count M --msg-size S --fd FD [--buffering N].
// Prints "ready", waits for a line on stdin ("go"), writes, closes, prints one JSON line.
#include <cstdio>
#include <iostream>
#include <string>

#include "args.hpp"
#include "pysock/makefile.hpp"

int main(int argc, char** argv) {
  const long long count = pysock_bench::int_arg(argc, argv, "count", 2000000);
  const long long size = pysock_bench::int_arg(argc, argv, "msg-size", 16);
  const auto fd = int(pysock_bench::int_arg(argc, argv, "fd", -1));
  pysock::makefile_options options;
  if (auto b = pysock_bench::arg(argc, argv, "buffering"); !b.empty()) options.buffering = std::stoi(b);
  auto sock = pysock::socket::adopt(fd);
  auto f = sock.makefile("wb", options);
  std::string message(std::size_t(size), 'm');
  message.back() = '\n';
  std::puts("ready");
  std::fflush(stdout);
  std::string go;
  std::getline(std::cin, go);
  const double t0 = pysock_bench::now();
  for (long long i = 0; i < count; ++i) f.write(message);
  f.flush();
  f.close();
  sock.shutdown(pysock::shut::wr);
  sock.close();
  const double seconds = pysock_bench::now() - t0;
  std::printf("{\"writer\":\"pysock-wb\",\"messages\":%lld,\"bytes\":%lld,\"seconds\":%.6f}\n", count,
              count * size, seconds);
  return 0;
}
