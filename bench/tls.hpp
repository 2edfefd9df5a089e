// The TLS side of the benchmark programs (W6-W8 of the shared harness): the contexts each side
// gets from the harness's arguments, and the JSON fields naming what was negotiated.
#pragma once

#include <string>

#include "cli.hpp"
#include "pysock/ssl.hpp"

namespace pysock_bench {

// A verifying client context: the harness's throwaway CA only (--cafile), CPython's defaults.
inline pysock::ssl_context client_context(const arguments& args) {
  return pysock::create_default_context(pysock::purpose::server_auth, args.text("cafile"));
}

// A server context with the harness's certificate and key (--cert, --key).
inline pysock::ssl_context server_context(const arguments& args) {
  pysock::ssl_context context(pysock::ssl_protocol::tls_server);
  context.load_cert_chain(args.text("cert"), args.text("key"));
  return context;
}

// The client side of the handshake on `sock`, verifying --server-name.
inline pysock::ssl_socket wrap_client(pysock::socket&& sock, pysock::ssl_context& context,
                                      const arguments& args) {
  return context.wrap_socket(std::move(sock), {.server_hostname = args.text("server-name")});
}

// ,"tls_version":"TLSv1.3","cipher":"TLS_AES_256_GCM_SHA384" for the JSON result line.
inline std::string tls_json_fields(const pysock::ssl_socket& sock) {
  const auto cipher = sock.cipher();
  return ",\"tls_version\":" + json_string(sock.version().value_or("")) +
         ",\"cipher\":" + json_string(cipher ? cipher->name : "");
}

}  // namespace pysock_bench
