// sockcat: a netcat-like tool built on pysock. See README.md beside this file.
#include <exception>
#include <variant>

#include <pysock/socket.hpp>

#include "console.hpp"
#include "endpoint.hpp"
#include "options.hpp"
#include "relay.hpp"

namespace sockcat {
namespace {

// Without -k: one client, and nobody else may connect meanwhile (the listener is closed, and a
// Unix socket file removed, before relaying starts).
pysock::socket accept_only_client(const options& opt, console& out) {
  auto server = listen(opt, out);
  return accept(server, out);
}

// -k: clients one after another; one client's failure is reported and the next one served.
[[noreturn]] void serve_forever(const options& opt, stdin_reader& input, console& out) {
  auto server = listen(opt, out);
  for (;;) {
    auto client = accept(server, out);
    try {
      relay(client, opt, input, out);
    } catch (const std::exception& e) {
      out.error(describe(e));
    }
    out.note("closing " + client.repr());
  }
}

void run(const options& opt, console& out) {
  stdin_reader input;
  if (opt.keep_open) serve_forever(opt, input, out);
  auto sock = opt.listen ? accept_only_client(opt, out) : connect(opt, out);
  relay(sock, opt, input, out);
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
