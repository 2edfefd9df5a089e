// W2 "pysock-sendfile": socket::sendfile of the whole file to the inherited socket --fd.
#include <fcntl.h>

#include <cinttypes>
#include <cstdio>

#include "cli.hpp"
#include "pysock/pysock.hpp"

int main(int argc, char** argv) {
  return pysock_bench::run([&] {
    const pysock_bench::arguments args(argc, argv);
    auto sock = pysock::socket::adopt(static_cast<int>(args.number("fd")));
    const auto size = static_cast<std::uint64_t>(args.number("size"));
    const std::string path = args.text("file");
    // Opened before "ready", as the C++ reference does, so only the transfer is timed.
    const pysock::owned_fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!file) pysock::raise_os_error(errno, path);
    pysock_bench::ready_then_wait_for_go();
    const auto start = std::chrono::steady_clock::now();
    const std::uint64_t sent = sock.sendfile(file.get());
    sock.shutdown(pysock::shut::wr);
    sock.close();
    const double seconds = pysock_bench::seconds_since(start);
    std::printf("{\"sender\":\"pysock-sendfile\",\"bytes\":%" PRIu64 ",\"seconds\":%.6f}\n", sent,
                seconds);
    return sent == size ? 0 : 3;
  });
}
