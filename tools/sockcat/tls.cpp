#include "tls.hpp"

#include "failure.hpp"

namespace sockcat {
namespace {

void configure_verification(pysock::ssl_context& context, const options& opt) {
  const auto& tls = opt.tls;
  if (!opt.verifies_peer()) {
    context.check_hostname(false);
    context.verify_mode(pysock::verify_mode::cert_none);
    return;
  }
  context.verify_mode(pysock::verify_mode::cert_required);
  if (tls.trustfile)
    context.load_verify_locations(*tls.trustfile);
  else
    context.load_default_certs(opt.listen ? pysock::purpose::client_auth
                                          : pysock::purpose::server_auth);
}

// The name sent and checked: --ssl-servername, else HOST (an IP literal is checked against the
// certificate's IP addresses and sent as no SNI, as Python does).
std::optional<std::string> server_hostname(const options& opt) {
  if (opt.listen) return std::nullopt;
  if (opt.tls.servername) return opt.tls.servername;
  if (!opt.verifies_peer() && opt.unix_path) return std::nullopt;
  return opt.host;
}

}  // namespace

pysock::ssl_context make_tls_context(const options& opt) {
  return attempt("TLS setup", [&] {
    const auto& tls = opt.tls;
    // Python's defaults for the side: TLS 1.2 minimum, its cipher list, hostname checking on
    // for clients.
    pysock::ssl_context context(opt.listen ? pysock::ssl_protocol::tls_server
                                           : pysock::ssl_protocol::tls_client);
    configure_verification(context, opt);
    if (tls.cert) context.load_cert_chain(*tls.cert, tls.key);
    if (!tls.alpn.empty()) context.set_alpn_protocols(tls.alpn);
    if (tls.ciphers) context.set_ciphers(*tls.ciphers);
    context.minimum_version(tls.minimum_version);
    return context;
  });
}

connection secure(pysock::socket sock, const options& opt, pysock::ssl_context* context,
                  const std::string& peer, console& out) {
  if (!context) return connection(std::move(sock));
  auto tls = attempt("TLS handshake with " + peer, [&] {
    return context->wrap_socket(std::move(sock), {.server_side = opt.listen,
                                                  .server_hostname = server_hostname(opt),
                                                  .suppress_ragged_eofs = false,
                                                  .close_notify_on_close = true});
  });
  connection conn(std::move(tls));
  conn.describe_tls(out);
  return conn;
}

}  // namespace sockcat
