// A TLS echo server: one thread per client, each connection wrapped with ssl_context::
// wrap_socket (the handshake runs in the client's thread, under a timeout).
//
//   tls_echo_server PORT CERT KEY
//
// Prints "listening on ('127.0.0.1', PORT)" once it accepts connections, echoes every byte back
// over TLS, and stops at the end of standard input: it stops accepting, lets every client
// thread notice within its timeout, joins them and exits 0.
#include <pysock/pysock.hpp>
#include <pysock/ssl.hpp>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <list>
#include <string>
#include <thread>

using namespace std::chrono_literals;

namespace {

// How often blocked calls look at the stop flag: the longest a shutdown waits for them.
constexpr auto poll_interval = 0.2s;

std::atomic<bool> stopping{false};

// Runs `call` until it returns, retrying while it times out and the server is not stopping;
// nullopt once stopping.
template <typename Call>
auto unless_stopping(Call call) -> std::optional<decltype(call())> {
  while (!stopping) {
    try {
      return call();
    } catch (const pysock::timeout_error&) {
    }
  }
  return std::nullopt;
}

void serve(pysock::ssl_context& context, pysock::socket plain) {
  try {
    plain.settimeout(10s);  // a client that never finishes its handshake
    pysock::ssl_socket tls = context.wrap_socket(std::move(plain), {.server_side = true});
    tls.settimeout(poll_interval);
    while (auto data = unless_stopping([&] { return tls.recv(65536); })) {
      if (data->empty()) break;  // close_notify, or the client closed the connection
      tls.sendall(*data);
    }
  } catch (const std::exception& e) {  // this client's failure is not the server's
    std::cerr << "tls_echo_server: client: " << e.what() << '\n';
  }
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc != 4) {
    std::cerr << "usage: tls_echo_server PORT CERT KEY\n";
    return 2;
  }
  pysock::ssl_context context(pysock::ssl_protocol::tls_server);
  context.load_cert_chain(argv[2], argv[3]);
  pysock::socket server =
      pysock::create_server(pysock::inet_address{"127.0.0.1", std::stoi(argv[1])});
  server.settimeout(poll_interval);
  std::cout << "listening on " << pysock::repr(server.getsockname()) << std::endl;
  std::thread stdin_watcher([] {
    for (std::string line; std::getline(std::cin, line);) {
    }
    stopping = true;
  });
  std::list<std::thread> clients;
  while (auto accepted = unless_stopping([&] { return server.accept(); }))
    clients.emplace_back(serve, std::ref(context), std::move(accepted->first));
  for (auto& t : clients)
    t.join();
  stdin_watcher.join();
  std::cout << "tls_echo_server: stopped" << std::endl;
  return EXIT_SUCCESS;
} catch (const std::exception& e) {
  std::cerr << "tls_echo_server: " << e.what() << '\n';
  return EXIT_FAILURE;
}
