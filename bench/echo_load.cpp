// Load benchmark (issue 8): the echo_server example under many concurrent clients.
//
//   pysock-echo-load --server PATH [--clients 1000] [--bytes 10485760] [--seed 1]
//
// Starts the echo_server program at PATH, then runs one thread per client. Each client moves
// --bytes of random data through makefile("rwb") in random-sized writes, reading every piece
// back and checking it, and after each piece times one line round trip (write, flush,
// readline). Prints one JSON line: throughput, round-trip percentiles, the server's fds before
// and after and the peak RSS of both processes. Exits non-zero on any error or leaked fd.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <mutex>
#include <random>
#include <regex>
#include <thread>
#include <vector>

#include "cli.hpp"
#include "pysock/pysock.hpp"
#include "support/proc_stats.hpp"

extern char** environ;

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

// The echo_server example as a child process; closing its stdin asks it to stop.
class server_process {
 public:
  explicit server_process(const std::string& path) {
    int in[2];
    int out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
      pysock::raise_os_error(errno, "pipe2");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    char* argv[] = {const_cast<char*>(path.c_str()), const_cast<char*>("0"), nullptr};
    const int error = ::posix_spawn(&pid_, path.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    if (error != 0) pysock::raise_os_error(error, "posix_spawn " + path);
    stdin_ = in[1];
    stdout_ = ::fdopen(out[0], "r");
    port_ = read_port();
  }
  ~server_process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (stdout_ != nullptr) ::fclose(stdout_);
    if (stdin_ >= 0) ::close(stdin_);
  }

  int port() const { return port_; }
  pid_t pid() const { return pid_; }

  // Asks the server to stop and returns its exit status.
  int stop() {
    ::close(std::exchange(stdin_, -1));
    int status = 0;
    ::waitpid(std::exchange(pid_, -1), &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  int read_port() {
    char line[256] = {};
    if (std::fgets(line, sizeof line, stdout_) == nullptr)
      throw std::runtime_error("echo_server printed nothing");
    std::cmatch match;
    if (!std::regex_search(line, match, std::regex(R"(\('127\.0\.0\.1', (\d+)\))")))
      throw std::runtime_error(std::string("unexpected line from echo_server: ") + line);
    return std::stoi(match[1]);
  }

  pid_t pid_ = -1;
  int stdin_ = -1;
  std::FILE* stdout_ = nullptr;
  int port_ = 0;
};

struct client_result {
  std::vector<double> round_trips_us;
  std::string error;
};

std::string random_piece(std::mt19937_64& rng, std::size_t size) {
  std::string data(size, '\0');
  for (auto& c : data)
    c = static_cast<char>(rng());
  return data;
}

// One client's whole session; errors are recorded, not thrown, so every thread finishes.
void run_client(int port, std::size_t total, std::uint64_t seed, client_result& result) try {
  std::mt19937_64 rng(seed);
  pysock::socket s = pysock::create_connection("127.0.0.1", port, 120s);
  pysock::io::file f = s.makefile("rwb");
  for (std::size_t sent = 0; sent < total;) {
    const std::size_t size = std::min<std::size_t>(total - sent, 1 + rng() % 65536);
    const std::string piece = random_piece(rng, size);
    f.write(piece);
    f.flush();
    const auto back = f.read(static_cast<std::ptrdiff_t>(size));
    if (!back || *back != piece) throw std::runtime_error("echo mismatch");
    sent += size;
    const auto start = clock_type::now();
    f.write("ping\n");
    f.flush();
    if (f.readline() != "ping\n") throw std::runtime_error("line round trip mismatch");
    result.round_trips_us.push_back(pysock_bench::seconds_since(start) * 1e6);
  }
} catch (const std::exception& e) {
  result.error = e.what();
}

double percentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(index),
                   values.end());
  return values[index];
}

}  // namespace

int main(int argc, char** argv) try {
  const pysock_bench::arguments args(argc, argv);
  const int clients = static_cast<int>(args.number("clients", 1000));
  const auto bytes_each = static_cast<std::size_t>(args.number("bytes", 10 << 20));
  const auto seed = static_cast<std::uint64_t>(args.number("seed", 1));

  server_process server(args.text("server"));
  const std::size_t fds_before = pysock_test::open_fd_count(server.pid());
  std::vector<client_result> results(static_cast<std::size_t>(clients));
  const auto start = clock_type::now();
  std::vector<std::thread> threads;
  threads.reserve(results.size());
  for (int i = 0; i < clients; ++i)
    threads.emplace_back(run_client, server.port(), bytes_each, seed + static_cast<unsigned>(i),
                         std::ref(results[static_cast<std::size_t>(i)]));
  for (auto& t : threads)
    t.join();
  const double seconds = pysock_bench::seconds_since(start);

  // Every client closed its socket; the server must get back to where it started.
  std::size_t fds_after = pysock_test::open_fd_count(server.pid());
  for (int i = 0; i < 100 && fds_after > fds_before; ++i) {
    std::this_thread::sleep_for(50ms);
    fds_after = pysock_test::open_fd_count(server.pid());
  }
  const std::size_t server_rss = pysock_test::peak_rss_kib(server.pid());
  const int server_exit = server.stop();

  std::vector<double> round_trips;
  std::size_t errors = 0;
  std::string first_error;
  for (auto& r : results) {
    round_trips.insert(round_trips.end(), r.round_trips_us.begin(), r.round_trips_us.end());
    if (!r.error.empty() && errors++ == 0) first_error = r.error;
  }
  const double moved = 2.0 * clients * static_cast<double>(bytes_each);  // both directions
  std::printf(
      "{\"impl\":\"pysock-echo-load\",\"clients\":%d,\"bytes_each\":%zu,\"seconds\":%.3f,"
      "\"throughput_mb_s\":%.1f,\"round_trips\":%zu,\"rtt_p50_us\":%.1f,\"rtt_p99_us\":%.1f,"
      "\"server_fds_before\":%zu,\"server_fds_after\":%zu,\"server_peak_rss_mib\":%.1f,"
      "\"client_peak_rss_mib\":%.1f,\"server_exit\":%d,\"errors\":%zu,\"first_error\":%s}\n",
      clients, bytes_each, seconds, moved / seconds / 1e6, round_trips.size(),
      percentile(round_trips, 0.5), percentile(round_trips, 0.99), fds_before, fds_after,
      server_rss / 1024.0, pysock_test::peak_rss_kib(::getpid()) / 1024.0, server_exit, errors,
      pysock_bench::json_string(first_error).c_str());
  return errors == 0 && fds_after <= fds_before && server_exit == 0 ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "pysock-echo-load: %s\n", e.what());
  return 2;
}
