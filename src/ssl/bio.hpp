// Internal: how an ssl_socket's OpenSSL session reaches its fd without ever raising SIGPIPE.
//
// OpenSSL 3.0's socket BIO writes with write(2), so a write to a gone peer raises SIGPIPE. Two
// answers, neither touching the process's signal disposition:
// - by default, a socket BIO of pysock's own that sends with send(MSG_NOSIGNAL): no cost at
//   all, but OpenSSL cannot put it into kernel TLS (kTLS is set up inside the socket BIO);
// - when the context asks for kernel TLS (op_enable_ktls), OpenSSL's socket BIO, with each
//   OpenSSL call run under a sigpipe_guard (sigpipe.hpp): three system calls per call.
#pragma once

#include <openssl/bio.h>

namespace pysock::detail {

// A BIO over `fd` (not owned) that sends with MSG_NOSIGNAL and reports EOF as OpenSSL's socket
// BIO does (BIO_CTRL_EOF, so a ragged close is UNEXPECTED_EOF_WHILE_READING). nullptr on
// allocation failure.
BIO* new_nosignal_socket_bio(int fd);

}  // namespace pysock::detail
