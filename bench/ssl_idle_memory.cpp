// What an idle ssl_socket holds (handshake done, one byte each way, nothing in flight): the heap
// in use (mallinfo2) before and after --connections client sockets, per socket, with OpenSSL's
// SSL_MODE_RELEASE_BUFFERS (pysock's default, as CPython) and without it, beside a bare OpenSSL
// client (SSL_new + SSL_connect with the same verification) in the same state. The servers run
// in a forked child, so only the clients' memory is counted.
//   pysock-ssl-idle-memory --certs DIR [--connections N]
#include <malloc.h>
#include <openssl/ssl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cli.hpp"
#include "detail/test_hooks.hpp"
#include "pysock/net.hpp"
#include "pysock/ssl.hpp"

namespace {

std::size_t heap_in_use() {
  return mallinfo2().uordblks;
}

// The forked server side: handshakes each socket in order, echoes one byte on each, and holds
// them until the parent closes the pipe `hold` (whose write end the child closes first).
pid_t fork_servers(std::vector<pysock::socket>& server_ends, pysock::ssl_context& context,
                   const int (&hold)[2]) {
  std::fflush(stdout);
  const pid_t child = ::fork();
  if (child < 0) pysock::raise_os_error(errno, "fork");
  if (child > 0) {
    server_ends.clear();  // the child's now
    return child;
  }
  ::alarm(60);
  ::close(hold[1]);
  std::vector<pysock::ssl_socket> servers;
  for (auto& end : server_ends) {
    servers.push_back(context.wrap_socket(std::move(end), {.server_side = true}));
    servers.back().sendall(servers.back().recv(1));
  }
  char byte;
  (void)::read(hold[0], &byte, 1);
  ::_exit(0);
}

// Heap bytes per idle client connection made by `open_client` (which also sends one byte and
// reads the echo), `count` of them held at once.
template <class Client>
double idle_bytes_per_client(pysock::ssl_context& server_context, int count,
                             const std::function<Client(pysock::socket&&)>& open_client) {
  std::vector<pysock::socket> client_ends, server_ends;
  for (int i = 0; i < count; ++i) {
    auto [a, b] = pysock::socketpair();
    client_ends.push_back(std::move(a));
    server_ends.push_back(std::move(b));
  }
  int hold[2];
  if (::pipe(hold) != 0) pysock::raise_os_error(errno, "pipe");
  const pid_t child = fork_servers(server_ends, server_context, hold);
  ::close(hold[0]);
  std::vector<Client> clients;
  clients.reserve(count);
  const std::size_t before = heap_in_use();
  for (auto& end : client_ends)
    clients.push_back(open_client(std::move(end)));
  const std::size_t after = heap_in_use();
  clients.clear();
  ::close(hold[1]);
  ::waitpid(child, nullptr, 0);
  return (double(after) - double(before)) / count;
}

// A bare OpenSSL client in the state of an idle ssl_socket.
struct openssl_client {
  struct ssl_free {
    void operator()(SSL* s) const { SSL_free(s); }
  };
  pysock::socket sock;
  std::unique_ptr<SSL, ssl_free> ssl;
};

openssl_client open_openssl_client(SSL_CTX* context, pysock::socket&& sock, bool release) {
  openssl_client client{std::move(sock),
                        std::unique_ptr<SSL, openssl_client::ssl_free>(SSL_new(context))};
  SSL* s = client.ssl.get();
  if (release) SSL_set_mode(s, SSL_MODE_RELEASE_BUFFERS);
  SSL_set_fd(s, client.sock.fileno());
  SSL_set_tlsext_host_name(s, "localhost");
  SSL_set1_host(s, "localhost");
  char byte = 'x';
  std::size_t n = 0;
  if (SSL_connect(s) != 1 || SSL_write_ex(s, &byte, 1, &n) != 1 ||
      SSL_read_ex(s, &byte, 1, &n) != 1)
    throw std::runtime_error("bare OpenSSL client failed");
  return client;
}

}  // namespace

int main(int argc, char** argv) {
  return pysock_bench::run([&] {
    const pysock_bench::arguments args(argc, argv);
    const std::string certs = args.text("certs");
    const int count = static_cast<int>(args.number("connections", 200));
    pysock::ssl_context server_context(pysock::ssl_protocol::tls_server);
    server_context.load_cert_chain(certs + "/server.pem", certs + "/server.key");
    auto client_context =
        pysock::create_default_context(pysock::purpose::server_auth, certs + "/ca.pem");
    SSL_CTX* bare = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(bare, (certs + "/ca.pem").c_str(), nullptr);
    SSL_CTX_set_verify(bare, SSL_VERIFY_PEER, nullptr);

    const auto pysock_client = [&](pysock::socket&& sock) {
      auto client = client_context.wrap_socket(std::move(sock), {.server_hostname = "localhost"});
      client.sendall("x");
      if (client.recv(1) != "x") throw std::runtime_error("no echo");
      return client;
    };
    std::printf("heap bytes held per idle client connection (%d at once):\n", count);
    for (const bool release : {true, false}) {
      pysock::detail::ssl_release_buffers = release;
      idle_bytes_per_client<pysock::ssl_socket>(server_context, 8, pysock_client);  // warm-up
      const double ours =
          idle_bytes_per_client<pysock::ssl_socket>(server_context, count, pysock_client);
      const double openssl =
          idle_bytes_per_client<openssl_client>(server_context, count, [&](pysock::socket&& sock) {
            return open_openssl_client(bare, std::move(sock), release);
          });
      std::printf(
          "%s SSL_MODE_RELEASE_BUFFERS: ssl_socket %.0f, bare OpenSSL %.0f, "
          "pysock's own %.0f\n",
          release ? "with   " : "without", ours, openssl, ours - openssl);
    }
    SSL_CTX_free(bare);
    return 0;
  });
}
