// pysock quickstart: a loopback conversation between two sockets, with Python's timeout model.
// Prints what it does; exits non-zero if any check fails.
#include <pysock/pysock.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

using namespace std::chrono_literals;

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  std::cout << (ok ? "  ok: " : "  FAILED: ") << what << '\n';
  if (!ok) ++failures;
}

}  // namespace

int main() try {
  std::cout << "1. A listening socket on an ephemeral loopback port\n";
  pysock::socket listener(pysock::family::inet, pysock::sock_type::stream);
  listener.bind(pysock::inet_address{"127.0.0.1", 0});
  listener.listen();
  std::cout << "  " << listener << '\n';

  std::cout << "2. A client connects with a 2 s timeout; the server accepts\n";
  pysock::socket client;
  client.settimeout(2s);
  client.connect(listener.getsockname());
  auto [server, peer] = listener.accept();
  std::cout << "  client: " << client << "\n  server: " << server << '\n';
  check(peer == client.getsockname(),
        "accept() reports the client's address " + pysock::to_string(peer));

  std::cout << "3. They exchange data (UTF-8 bytes pass through untouched)\n";
  const std::string greeting = "hello from pysock, gr\xc3\xbc\xc3\x9f dich\n";
  client.sendall(greeting);
  check(server.recv(1024) == greeting, "the server received the greeting");
  server.sendall("pong\n");
  check(client.recv(1024) == "pong\n", "the client received the reply");

  std::cout << "4. A read with nothing to read times out after 0.1 s\n";
  client.settimeout(0.1s);
  try {
    client.recv(1);
    check(false, "recv() should have timed out");
  } catch (const pysock::timeout_error& e) {
    check(std::string(e.what()) == "timed out", std::string("timeout_error: ") + e.what());
  }

  std::cout << "5. The server closes; the client sees end of file\n";
  server.close();
  std::cout << "  server: " << server << '\n';
  client.settimeout(2s);
  check(client.recv(1).empty(), "recv() returns no bytes at EOF");

  std::cout << (failures == 0 ? "quickstart: all checks passed\n" : "quickstart: FAILED\n");
  return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
} catch (const std::exception& e) {
  std::cerr << "quickstart: " << e.what() << '\n';
  return EXIT_FAILURE;
}
