// What pysock::ssl's SIGPIPE protection costs per OpenSSL call (src/ssl/bio.hpp): the per-call
// guard of OpenSSL's socket BIO (sigpipe.hpp: block SIGPIPE, call, sigpending, restore) alone,
// and a TLS round trip of one byte (one SSL_write and one SSL_read) over a socketpair with the
// default MSG_NOSIGNAL BIO (no extra system call) and with op_enable_ktls (socket BIO + two
// guards). Reports the minimum over batches, the figure a loaded machine distorts least.
//   pysock-ssl-sigpipe-cost --certs DIR [--iterations N]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>

#include <unistd.h>

#include "detail/sigpipe.hpp"
#include "pysock/net.hpp"
#include "pysock/ssl.hpp"

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

  const auto round_trip = [&](bool ktls) {
    pysock::ssl_context server_ctx(pysock::ssl_protocol::tls_server);
    server_ctx.load_cert_chain(certs + "/server.pem", certs + "/server.key");
    auto client_ctx =
        pysock::create_default_context(pysock::purpose::server_auth, certs + "/ca.pem");
    if (ktls) client_ctx.options(client_ctx.options() | pysock::op_enable_ktls);
    auto [a, b] = pysock::socketpair();
    std::optional<pysock::ssl_socket> server;
    std::thread handshake([&, s = std::move(b)]() mutable {
      server.emplace(server_ctx.wrap_socket(std::move(s), {.server_side = true}));
    });
    auto client = client_ctx.wrap_socket(std::move(a), {.server_hostname = "localhost"});
    handshake.join();
    std::byte byte{};
    return min_ns_per_iteration(batches, per_batch / 10 + 1, [&] {
      client.send(std::span(&byte, 1));
      server->recv_into(std::span(&byte, 1));
    });
  };
  const double plain = round_trip(false);
  const double guarded = round_trip(true);
  std::printf("sigpipe guard: %.0f ns per OpenSSL call (3 system calls; getppid: %.0f ns)\n", guard,
              syscall);
  std::printf(
      "1-byte TLS send+recv: %.0f ns with the MSG_NOSIGNAL BIO, %.0f ns with "
      "op_enable_ktls (socket BIO, one guard on the client's two calls)\n",
      plain, guarded);
  return 0;
}
