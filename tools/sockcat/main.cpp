// sockcat: a netcat-like tool built on pysock. See README.md beside this file.
#include <exception>
#include <optional>
#include <variant>

#include <pysock/socket.hpp>

#include "console.hpp"
#include "endpoint.hpp"
#include "options.hpp"
#include "relay.hpp"
#include "tls.hpp"

namespace sockcat {
namespace {

// The other side's address for messages: ('127.0.0.1', 4433), '/tmp/s.sock', or "the client"
// for an unnamed Unix socket client.
std::string peer_name(const pysock::socket& sock) {
  auto addr = sock.getpeername();
  const auto* unix_addr = std::get_if<pysock::unix_address>(&addr);
  return unix_addr && unix_addr->path.empty() ? "the client" : pysock::repr(addr);
}

// One connected socket, made ready (TLS handshake with --ssl, bounded by -w) and relayed.
void serve(pysock::socket sock, const options& opt, pysock::ssl_context* context,
           stdin_reader& input, console& out) {
  auto peer = peer_name(sock);
  auto conn = secure(std::move(sock), opt, context, peer, out);
  relay(conn, opt, input, out);
  out.note("closing " + conn.repr());
}

// Without -k: one client, and nobody else may connect meanwhile (the listener is closed, and a
// Unix socket file removed, before relaying starts).
pysock::socket accept_only_client(const options& opt, console& out) {
  auto server = listen(opt, out);
  return accept(server, out);
}

// -k: clients one after another; one client's failure is reported and the next one served.
[[noreturn]] void serve_forever(const options& opt, pysock::ssl_context* context,
                                stdin_reader& input, console& out) {
  auto server = listen(opt, out);
  for (;;) {
    try {
      serve(accept(server, out), opt, context, input, out);
    } catch (const std::exception& e) {
      out.error(describe(e));
    }
  }
}

void run(const options& opt, console& out) {
  stdin_reader input;
  std::optional<pysock::ssl_context> context;
  if (opt.tls.enabled) context = make_tls_context(opt);
  pysock::ssl_context* tls = context ? &*context : nullptr;
  if (opt.keep_open) serve_forever(opt, tls, input, out);
  serve(opt.listen ? accept_only_client(opt, out) : connect(opt, out), opt, tls, input, out);
}

}  // namespace
}  // namespace sockcat

int main(int argc, char** argv) {
  auto parsed = sockcat::parse_command_line(argc, argv);
  if (const int* exit_code = std::get_if<int>(&parsed)) return *exit_code;
  const auto& opt = std::get<sockcat::options>(parsed);
  sockcat::console out(opt.verbose);
  try {
    sockcat::run(opt, out);
    return 0;
  } catch (const std::exception& e) {
    out.error(sockcat::describe(e));
    return 1;
  }
}
