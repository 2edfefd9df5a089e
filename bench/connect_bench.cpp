// W5 "pysock-create-connection": a forked server (create_server, accept + close) and a client
// loop of create_connection + close over 127.0.0.1, at most --count times and --max-seconds
// long. Only the client loop is timed.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "cli.hpp"
#include "pysock/pysock.hpp"

namespace {

// The server child: accepts and closes `count` connections, bounded by an alarm.
[[noreturn]] void serve(pysock::socket& listener, long long count, unsigned limit_seconds) {
  ::alarm(limit_seconds);
  for (long long accepted = 0; accepted < count;) {
    try {
      (void)listener.accept();  // the accepted socket closes at once
      ++accepted;
    } catch (const pysock::connection_aborted_error&) {
      // A client gave up before accept(): not a connection to count.
    }
  }
  ::_exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  return pysock_bench::run([&] {
    const pysock_bench::arguments args(argc, argv);
    const long long count = args.number("count");
    const double max_seconds = static_cast<double>(args.number("max-seconds", 10));
    auto listener = pysock::create_server(pysock::inet_address{"127.0.0.1", 0}, {.backlog = 4096});
    const pysock::address target = listener.getsockname();
    std::fflush(stdout);
    const pid_t server = ::fork();
    if (server < 0) pysock::raise_os_error(errno, "fork");
    if (server == 0) serve(listener, count, static_cast<unsigned>(max_seconds) + 30);
    listener.close();

    long long connections = 0, errors = 0;
    std::string last_error;
    const auto start = std::chrono::steady_clock::now();
    for (long long i = 0; i < count; ++i) {
      if ((i & 255) == 0 && pysock_bench::seconds_since(start) > max_seconds) break;
      try {
        (void)pysock::create_connection(target);  // closed at once
        ++connections;
      } catch (const pysock::os_error& e) {
        ++errors;
        last_error = e.what();
      }
    }
    const double seconds = pysock_bench::seconds_since(start);
    ::kill(server, SIGTERM);
    while (::waitpid(server, nullptr, 0) < 0 && errno == EINTR) {
    }
    std::printf(
        "{\"impl\":\"pysock-create-connection\",\"connections\":%lld,\"errors\":%lld,"
        "\"last_error\":%s,\"seconds\":%.6f}\n",
        connections, errors, pysock_bench::json_string(last_error).c_str(), seconds);
    return 0;
  });
}
