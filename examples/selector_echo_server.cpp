// An echo server on one thread: one default_selector, non-blocking sockets, no exception per
// "would block" (the error_code overloads), clean shutdown.
//
//   selector_echo_server [PORT] [--host HOST]
//   selector_echo_server --listen-fd FD [--clients C --messages M --size S]
//
// Prints "listening on ('127.0.0.1', PORT)", echoes every byte back, and stops on SIGINT,
// SIGTERM or when standard input becomes readable (a line, or its end): it closes every
// connection and the listener, prints "selector_echo_server: stopped after N connections" and
// exits 0. A client that does not read is not read from either (its echo waits in the server
// until the client takes it), so one slow client costs memory for one buffer, never the others'
// service; every recv lands in one buffer of the server, so reading allocates nothing.
//
// With --listen-fd it serves an inherited listening socket instead (socket activation), under
// the shared benchmark harness's W9 protocol: it prints "ready" when serving, and at the stop one
// JSON line {"server", "connections", "bytes" echoed, "open_at_stop"}. The benchmark build of
// this file is bench/pysock-echo-server; --clients, --messages and --size are accepted and
// ignored (the fd limit is raised to the hard limit anyway).
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>
#include <pysock/pysock.hpp>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <unordered_map>

namespace {

struct connection {
  pysock::socket sock;
  std::string unsent;  // echoed bytes the client has not taken yet
  bool eof = false;    // the client sent everything; close once `unsent` is gone
};

// What the selector hands back with each ready socket: the connection, or nullptr for the
// listener and the stop channel (told apart by fd).
using selector = pysock::default_selector<connection*>;

// A signal's stop request reaches the selector through this socketpair (the self-pipe trick).
int stop_writer = -1;
extern "C" void request_stop(int) {
  const char byte = 's';
  [[maybe_unused]] auto ignored = ::write(stop_writer, &byte, 1);
}

// A server holds an fd per client: take what the hard limit allows.
void raise_fd_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

class echo_server {
 public:
  explicit echo_server(pysock::socket listener) : listener_(std::move(listener)) {
    listener_.setblocking(false);
    auto& [reader, writer] = stop_channel_;
    reader.setblocking(false);
    writer.setblocking(false);
    stop_writer = writer.fileno();
    selector_.register_(listener_, pysock::event_read, nullptr);
    selector_.register_(reader, pysock::event_read, nullptr);
    try {
      selector_.register_(STDIN_FILENO, pysock::event_read, nullptr);
    } catch (const pysock::os_error&) {
      // A regular file or /dev/null on stdin cannot be waited for: signals stop the server.
    }
  }

  const pysock::socket& listener() const { return listener_; }

  // Serves until a stop request.
  void run() {
    while (!stopping_) {
      for (const auto& [key, events] : selector_.select()) {
        if (key.data) {
          serve(*key.data, events);
        } else if (key.fd == listener_.fileno()) {
          accept_all();
        } else {
          on_stop_channel(key.fd);
        }
      }
    }
    open_at_stop_ = connections_.size();
    for (auto& [fd, conn] : connections_)
      selector_.unregister(conn->sock);
    connections_.clear();
    selector_.close();
  }

  std::size_t served() const { return served_; }
  std::size_t open_at_stop() const { return open_at_stop_; }
  std::uint64_t bytes_echoed() const { return echoed_; }

 private:
  void accept_all() {
    std::error_code ec;
    while (auto accepted = listener_.accept(ec)) {
      auto conn = std::make_unique<connection>(connection{std::move(accepted->first), {}, false});
      conn->sock.setblocking(false);
      selector_.register_(conn->sock, pysock::event_read, conn.get());
      connections_.emplace(conn->sock.fileno(), std::move(conn));
      ++served_;
    }
    // EAGAIN: the backlog is empty. EMFILE and the like: leave the rest in the backlog.
  }

  void serve(connection& conn, int events) {
    if (events & pysock::event_write) flush(conn);
    if ((events & pysock::event_read) && conn.unsent.empty()) echo(conn);
    if (conn.eof && conn.unsent.empty()) close(conn);
  }

  // Reads what is there and sends it back; what the client does not take waits in `unsent`, and
  // the connection then waits for writability instead of reading more.
  void echo(connection& conn) {
    std::error_code ec;
    const std::size_t n = conn.sock.recv_into(buffer_, ec);
    if (ec == std::errc::resource_unavailable_try_again) return;
    if (ec || n == 0) {
      conn.eof = true;
      return;
    }
    const auto data = std::span(buffer_).first(n);
    const std::size_t sent = conn.sock.sendall(data, ec);
    echoed_ += sent;
    if (ec && ec != std::errc::resource_unavailable_try_again) {
      conn.eof = true;  // the client is gone: drop what it did not take
      return;
    }
    if (sent < n) {
      conn.unsent.assign(reinterpret_cast<const char*>(data.data()) + sent, n - sent);
      selector_.modify(conn.sock, pysock::event_write, &conn);
    }
  }

  void flush(connection& conn) {
    std::error_code ec;
    const std::size_t sent = conn.sock.sendall(conn.unsent, ec);
    echoed_ += sent;
    if (ec && ec != std::errc::resource_unavailable_try_again) {
      conn.unsent.clear();
      conn.eof = true;
      return;
    }
    conn.unsent.erase(0, sent);
    if (conn.unsent.empty() && !conn.eof) selector_.modify(conn.sock, pysock::event_read, &conn);
  }

  void close(connection& conn) {
    selector_.unregister(conn.sock);
    connections_.erase(conn.sock.fileno());  // destroys the socket, closing it
  }

  // Standard input became readable, or a signal came.
  void on_stop_channel(int) { stopping_ = true; }

  pysock::socket listener_;
  std::pair<pysock::socket, pysock::socket> stop_channel_ = pysock::socketpair();
  selector selector_;
  std::unordered_map<int, std::unique_ptr<connection>> connections_;
  std::array<std::byte, 64 * 1024> buffer_{};
  std::size_t served_ = 0;
  std::size_t open_at_stop_ = 0;
  std::uint64_t echoed_ = 0;
  bool stopping_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 0;
  int listen_fd = -1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--host" && i + 1 < argc) {
      host = argv[++i];
    } else if (arg == "--listen-fd" && i + 1 < argc) {
      listen_fd = std::atoi(argv[++i]);
    } else if ((arg == "--clients" || arg == "--messages" || arg == "--size") && i + 1 < argc) {
      ++i;
    } else if (!arg.empty() && arg[0] != '-') {
      port = std::atoi(arg.c_str());
    } else {
      std::cerr << "usage: selector_echo_server [PORT] [--host HOST] | --listen-fd FD\n";
      return 2;
    }
  }
  try {
    raise_fd_limit();
    const bool inherited = listen_fd >= 0;
    echo_server server(
        inherited ? pysock::socket::adopt(listen_fd)
                  : pysock::create_server(pysock::inet_address{host, port}, {.backlog = 4096}));
    struct sigaction action {};
    action.sa_handler = request_stop;
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
    if (inherited)
      std::cout << "ready" << std::endl;
    else
      std::cout << "listening on " << pysock::to_string(server.listener().getsockname())
                << std::endl;
    server.run();
    if (inherited)
      std::cout << "{\"server\":\"pysock-echo-server\",\"connections\":" << server.served()
                << ",\"bytes\":" << server.bytes_echoed()
                << ",\"open_at_stop\":" << server.open_at_stop() << '}' << std::endl;
    else
      std::cout << "selector_echo_server: stopped after " << server.served() << " connections"
                << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "selector_echo_server: " << e.what() << '\n';
    return 1;
  }
}
