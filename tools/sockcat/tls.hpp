// --ssl: the TLS context the options ask for, and the handshake on a connected socket.
#pragma once

#include <string>

#include <pysock/socket.hpp>
#include <pysock/ssl.hpp>

#include "connection.hpp"
#include "console.hpp"
#include "options.hpp"

namespace sockcat {

// The context for this side (client or server). Throws failure (a missing key, no cipher, ...).
pysock::ssl_context make_tls_context(const options& opt);

// The connection as it should be used: `sock` itself without --ssl, else `sock` after a TLS
// handshake through `context` (nullptr without --ssl). `peer` names the other side in the
// error: "TLS handshake with ('127.0.0.1', 4433) failed: [SSL: ...] ...". Throws failure.
connection secure(pysock::socket sock, const options& opt, pysock::ssl_context* context,
                  const std::string& peer, console& out);

}  // namespace sockcat
