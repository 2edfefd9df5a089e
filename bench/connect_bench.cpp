// W5 "pysock-create-connection": a forked server (create_server, accept + close) and a client
// loop of create_connection + close over 127.0.0.1, at most --count times and --max-seconds
// long. Only the client loop is timed.
// W8 "pysock-tls-connect" (--tls --cert PATH --key PATH --cafile PATH --server-name NAME): the
// same with a verified TLS handshake on each connection, the server's wrap_socket on accept and
// the client's on create_connection's socket (one context per side, made before the clock).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <optional>

#include "cli.hpp"
#include "pysock/pysock.hpp"
#include "tls.hpp"

namespace {

// The server child: accepts `count` connections, passes each to `serve_one` and closes it,
// bounded by an alarm.
template <class ServeOne>
[[noreturn]] void serve(pysock::socket& listener, long long count, unsigned limit_seconds,
                        ServeOne serve_one) {
  ::alarm(limit_seconds);
  for (long long accepted = 0; accepted < count;) {
    std::optional<pysock::socket> connection;
    try {
      connection.emplace(listener.accept().first);
    } catch (const pysock::connection_aborted_error&) {
      continue;  // a client gave up before accept(): not a connection to count
    }
    ++accepted;
    try {
      serve_one(std::move(*connection));
    } catch (const pysock::os_error&) {
      // A failed handshake: the client counts it as its error.
    }
  }
  ::_exit(0);
}

// One side of the benchmark: what the server does with an accepted socket, and what the
// client does to connect.
struct plain_side {
  void accepted(pysock::socket&&) {}
  void connect(const pysock::address& target) {
    (void)pysock::create_connection(target);  // closed at once
  }
  std::string json_fields() const { return ""; }
};

struct tls_side {
  explicit tls_side(const pysock_bench::arguments& a)
      : args(a), server(pysock_bench::server_context(a)), client(pysock_bench::client_context(a)) {}
  void accepted(pysock::socket&& sock) {
    (void)server.wrap_socket(std::move(sock), {.server_side = true});  // closed at once
  }
  void connect(const pysock::address& target) {
    auto tls = pysock_bench::wrap_client(pysock::create_connection(target), client, args);
    if (fields.empty()) fields = pysock_bench::tls_json_fields(tls);
  }
  std::string json_fields() const { return fields; }

  const pysock_bench::arguments& args;
  pysock::ssl_context server, client;
  std::string fields;
};

template <class Side>
int run_bench(const pysock_bench::arguments& args, const char* name, Side side) {
  const long long count = args.number("count");
  const double max_seconds = static_cast<double>(args.number("max-seconds", 10));
  auto listener = pysock::create_server(pysock::inet_address{"127.0.0.1", 0}, {.backlog = 4096});
  const pysock::address target = listener.getsockname();
  std::fflush(stdout);
  const pid_t server = ::fork();
  if (server < 0) pysock::raise_os_error(errno, "fork");
  if (server == 0)
    serve(listener, count, static_cast<unsigned>(max_seconds) + 30,
          [&](pysock::socket&& sock) { side.accepted(std::move(sock)); });
  listener.close();

  long long connections = 0, errors = 0;
  std::string last_error;
  const auto start = std::chrono::steady_clock::now();
  for (long long i = 0; i < count; ++i) {
    if ((i & 255) == 0 && pysock_bench::seconds_since(start) > max_seconds) break;
    try {
      side.connect(target);  // closed at once
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
      "{\"impl\":\"%s\",\"connections\":%lld,\"errors\":%lld,\"last_error\":%s,"
      "\"seconds\":%.6f%s}\n",
      name, connections, errors, pysock_bench::json_string(last_error).c_str(), seconds,
      side.json_fields().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return pysock_bench::run([&] {
    const pysock_bench::arguments args(argc, argv);
    if (args.flag("tls")) return run_bench(args, "pysock-tls-connect", tls_side(args));
    return run_bench(args, "pysock-create-connection", plain_side{});
  });
}
