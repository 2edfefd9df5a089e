// Uses pysock::ssl through its public header only: a TLS round trip over a socketpair with the
// certificates in argv[1] (made by tests/support/make_tls_certificates.sh).
#include <pysock/net.hpp>
#include <pysock/ssl.hpp>

#include <iostream>
#include <optional>
#include <string>
#include <thread>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string dir = argv[1];
  pysock::ssl_context server_ctx(pysock::ssl_protocol::tls_server);
  server_ctx.load_cert_chain(dir + "/server.pem", dir + "/server.key");
  auto client_ctx = pysock::create_default_context(pysock::purpose::server_auth, dir + "/ca.pem");
  auto [a, b] = pysock::socketpair();
  std::optional<pysock::ssl_socket> server;
  std::thread handshake([&, s = std::move(b)]() mutable {
    server.emplace(server_ctx.wrap_socket(std::move(s), {.server_side = true}));
  });
  auto client = client_ctx.wrap_socket(std::move(a), {.server_hostname = "localhost"});
  handshake.join();
  client.sendall("consumer");
  const bool ok = server->recv(64) == "consumer";
  std::cout << client << " " << client.version().value_or("?")
            << (ok ? "\nconsumer ok\n" : "\nconsumer FAILED\n");
  return ok ? 0 : 1;
}
