// A threaded echo server: one thread per client, timeouts everywhere, clean shutdown.
//
//   echo_server [PORT] [--host HOST] [--idle-timeout SECONDS]
//
// Prints "listening on ('127.0.0.1', PORT)" once it accepts connections, echoes every byte
// back, and stops on SIGINT, SIGTERM or end of standard input: it stops accepting, lets every
// client thread notice within its timeout, joins them and exits 0.
#include <signal.h>
#include <unistd.h>
#include <pysock/pysock.hpp>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <list>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

// How often blocked threads look at the stop flag: the longest a shutdown waits for them.
constexpr auto poll_interval = 0.2s;

struct settings {
  std::string host = "127.0.0.1";
  int port = 0;
  std::chrono::duration<double> idle_timeout = 60s;
};

settings parse(int argc, char** argv) {
  settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--host" && i + 1 < argc) {
      s.host = argv[++i];
    } else if (arg == "--idle-timeout" && i + 1 < argc) {
      s.idle_timeout = std::chrono::duration<double>(std::stod(argv[++i]));
    } else if (!arg.empty() && arg[0] != '-') {
      s.port = std::stoi(arg);
    } else {
      throw std::invalid_argument("usage: echo_server [PORT] [--host HOST] [--idle-timeout S]");
    }
  }
  return s;
}

class echo_server {
 public:
  explicit echo_server(const settings& s)
      // A deep backlog: with Python's default (128) a burst of clients overflows the accept
      // queue, and Linux then drops handshakes and resets the connections it gave up on.
      : listener_(pysock::create_server(pysock::inet_address{s.host, s.port}, {.backlog = 1024})),
        idle_timeout_(s.idle_timeout) {
    // The listener wakes up regularly so that a stop request is seen without a signal race.
    listener_.settimeout(poll_interval);
  }

  pysock::address address() const { return listener_.getsockname(); }

  // Accepts clients until stop(); then waits for every client thread.
  void serve() {
    while (!stopping_) {
      try {
        auto [client, peer] = listener_.accept();
        start_client(std::move(client));
      } catch (const pysock::timeout_error&) {
        reap_finished();
      }
    }
    std::lock_guard lock(mutex_);
    for (auto& w : workers_)
      w.thread.join();
    workers_.clear();
  }

  void stop() { stopping_ = true; }

 private:
  struct worker {
    std::thread thread;
    std::atomic<bool> done{false};
  };

  void start_client(pysock::socket client) {
    std::lock_guard lock(mutex_);
    auto& w = workers_.emplace_back();
    w.thread = std::thread([this, &w, c = std::move(client)]() mutable {
      echo(c);
      w.done = true;
    });
  }

  // Echoes until the client closes, goes idle for too long, or the server stops.
  void echo(pysock::socket& client) {
    client.settimeout(poll_interval);
    std::vector<std::byte> buffer(64 * 1024);
    auto idle = std::chrono::steady_clock::now();
    try {
      while (!stopping_) {
        try {
          const std::size_t n = client.recv_into(buffer);
          if (n == 0) return;
          client.settimeout(idle_timeout_);  // a stuck reader must not hold us forever
          client.sendall(std::span(buffer).first(n));
          client.settimeout(poll_interval);
          idle = std::chrono::steady_clock::now();
        } catch (const pysock::timeout_error&) {
          if (std::chrono::steady_clock::now() - idle > idle_timeout_) return;
        }
      }
    } catch (const pysock::os_error& e) {
      std::cerr << "echo_server: client " << client << ": " << e.what() << '\n';
    }
  }

  void reap_finished() {
    std::lock_guard lock(mutex_);
    workers_.remove_if([](worker& w) {
      if (!w.done) return false;
      w.thread.join();
      return true;
    });
  }

  pysock::socket listener_;
  std::chrono::duration<double> idle_timeout_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::list<worker> workers_;  // a list: threads refer to their own entry
};

// Turns SIGINT, SIGTERM and end of stdin into server.stop(), from threads of their own.
void stop_on_signal_or_eof(echo_server& server) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  std::thread([signals, &server] {
    int received = 0;
    sigwait(&signals, &received);
    server.stop();
  }).detach();
  std::thread([&server] {
    char byte;
    while (::read(STDIN_FILENO, &byte, 1) > 0) {
    }
    server.stop();
  }).detach();
}

}  // namespace

int main(int argc, char** argv) try {
  const settings s = parse(argc, argv);
  // Block the stop signals before any thread starts, so only the sigwait thread sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  echo_server server(s);
  std::cout << "listening on " << pysock::to_string(server.address()) << std::endl;
  stop_on_signal_or_eof(server);
  server.serve();
  std::cout << "echo_server: stopped" << std::endl;
  return EXIT_SUCCESS;
} catch (const std::exception& e) {
  std::cerr << "echo_server: " << e.what() << '\n';
  return EXIT_FAILURE;
}
