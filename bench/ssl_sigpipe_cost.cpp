// What pysock::ssl's SIGPIPE protection costs per OpenSSL call (src/ssl/sigpipe.hpp: block
// SIGPIPE, call, sigpending, restore the mask): the guard alone, and a TLS round trip of one
// byte (one SSL_write and one SSL_read, so two guards) over a socketpair for scale. Reports the
// minimum over batches, the figure a loaded machine distorts least.
//   pysock-ssl-sigpipe-cost --certs DIR [--iterations N]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>

#include <unistd.h>

#include "pysock/net.hpp"
#include "pysock/ssl.hpp"
#include "ssl/sigpipe.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

// The least time per iteration over `batches` batches of `per_batch` iterations of `body`.
template <class Body>
double min_ns_per_iteration(int batches, int per_batch, Body body) {
  double best = 1e300;
  for (int b = 0; b < batches; ++b) {
    const auto start = clock_type::now();
    for (int i = 0; i < per_batch; ++i)
      body();
    const std::chrono::duration<double, std::nano> took = clock_type::now() - start;
    best = std::min(best, took.count() / per_batch);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::string certs;
  int iterations = 100000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--certs") == 0) certs = argv[i + 1];
    if (std::strcmp(argv[i], "--iterations") == 0) iterations = std::atoi(argv[i + 1]);
  }
  if (certs.empty() || iterations < 10) {
    std::fprintf(stderr, "usage: %s --certs DIR [--iterations N>=10]\n", argv[0]);
    return 2;
  }
  const int batches = 10, per_batch = iterations / batches;
  const double guard =
      min_ns_per_iteration(batches, per_batch, [] { pysock::detail::sigpipe_guard no_sigpipe; });
  // The unit the guard is made of, on this kernel.
  const double syscall = min_ns_per_iteration(batches, per_batch, [] { ::getppid(); });

  pysock::ssl_context server_ctx(pysock::ssl_protocol::tls_server);
  server_ctx.load_cert_chain(certs + "/server.pem", certs + "/server.key");
  auto client_ctx = pysock::create_default_context(pysock::purpose::server_auth, certs + "/ca.pem");
  auto [a, b] = pysock::socketpair();
  std::optional<pysock::ssl_socket> server;
  std::thread handshake([&, s = std::move(b)]() mutable {
    server.emplace(server_ctx.wrap_socket(std::move(s), {.server_side = true}));
  });
  auto client = client_ctx.wrap_socket(std::move(a), {.server_hostname = "localhost"});
  handshake.join();
  std::byte byte{};
  const double round_trip = min_ns_per_iteration(batches, per_batch / 10 + 1, [&] {
    client.send(std::span(&byte, 1));
    server->recv_into(std::span(&byte, 1));
  });
  std::printf("sigpipe guard: %.0f ns per OpenSSL call (3 system calls; getppid: %.0f ns)\n", guard,
              syscall);
  std::printf("1-byte TLS send+recv: %.0f ns (2 guards = %.1f%%)\n", round_trip,
              200.0 * guard / round_trip);
  return 0;
}
