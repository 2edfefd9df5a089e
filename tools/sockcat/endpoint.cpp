#include "endpoint.hpp"

#include <filesystem>

#include <pysock/error.hpp>
#include <pysock/finalize.hpp>
#include <pysock/net.hpp>

namespace sockcat {
namespace {

pysock::socket connect_unix(const options& opt) {
  pysock::socket sock(pysock::family::local);
  sock.settimeout(opt.timeout);
  sock.connect(unix_address_of(*opt.unix_path));
  return sock;
}

pysock::socket connect_inet(const options& opt) {
  return pysock::create_connection(*opt.host, opt.port, opt.timeout, opt.source_address,
                                   {.happy_eyeballs_delay = opt.happy_eyeballs_delay});
}

// Where to listen: the Unix path, HOST's first address, or every address (IPv6 and IPv4 on one
// socket when the system can).
pysock::address listen_address(const options& opt) {
  if (opt.unix_path) return unix_address_of(*opt.unix_path);
  if (opt.host) {
    auto found = pysock::getaddrinfo(*opt.host, opt.port, pysock::family::unspec,
                                     pysock::sock_type::stream, 0, pysock::ai_flags::passive);
    return found.front().addr;  // getaddrinfo throws rather than answer nothing
  }
  if (pysock::has_dualstack_ipv6()) return pysock::inet6_address{"", opt.port};
  return pysock::inet_address{"", opt.port};
}

bool on_disk(const pysock::unix_address& addr) {
  return !addr.path.empty() && addr.path.front() != '\0';  // abstract names leave no file
}

// A socket file that refuses connections was left by a listener that died (a killed sockcat);
// it is replaced, as Ctrl-C is how `sockcat -l -k -U PATH` usually ends. Anything else at the
// path is left for bind() to complain about.
void remove_stale_socket_file(const pysock::unix_address& addr) {
  std::error_code ignored;
  if (!on_disk(addr) || !std::filesystem::is_socket(addr.path, ignored)) return;
  pysock::socket probe(pysock::family::local);
  probe.setblocking(false);  // a live listener with a full backlog answers EAGAIN, not a wait
  if (probe.connect_ex(addr) == static_cast<int>(std::errc::connection_refused))
    std::filesystem::remove(addr.path, ignored);
}

void remove_socket_file_on_close(pysock::socket& server, const pysock::unix_address& addr) {
  if (!on_disk(addr)) return;
  pysock::finalize(server, [path = addr.path] {
    std::error_code ignored;  // already gone is fine
    std::filesystem::remove(path, ignored);
  });
}

}  // namespace

pysock::socket connect(const options& opt, console& out) {
  auto target = opt.unix_path ? pysock::repr(unix_address_of(*opt.unix_path))
                              : pysock::repr(pysock::inet_address{*opt.host, opt.port});
  out.note("connecting to " + target);
  auto sock = attempt("connect to " + target,
                      [&] { return opt.unix_path ? connect_unix(opt) : connect_inet(opt); });
  sock.settimeout(std::nullopt);
  out.note("connected: " + sock.repr());
  return sock;
}

pysock::socket listen(const options& opt, console& out) {
  auto addr =
      attempt("resolve " + opt.host.value_or("the address"), [&] { return listen_address(opt); });
  bool dualstack = !opt.host && !opt.unix_path && pysock::has_dualstack_ipv6();
  const auto* unix_addr = std::get_if<pysock::unix_address>(&addr);
  if (unix_addr) remove_stale_socket_file(*unix_addr);
  // create_server's bind errors name the address already.
  auto server =
      attempt("listen", [&] { return pysock::create_server(addr, {.dualstack_ipv6 = dualstack}); });
  if (unix_addr) remove_socket_file_on_close(server, *unix_addr);
  server.settimeout(opt.timeout);
  out.note("listening: " + server.repr());
  return server;
}

pysock::socket accept(pysock::socket& server, console& out) {
  auto [client, peer] = attempt("waiting for a client", [&] { return server.accept(); });
  client.settimeout(std::nullopt);
  out.note("accepted " + pysock::repr(peer) + ": " + client.repr());
  return std::move(client);
}

}  // namespace sockcat
