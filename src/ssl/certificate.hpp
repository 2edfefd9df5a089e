// Internal: getpeercert()'s decoding of an X509 certificate, with _ssl.c's texts.
#pragma once

#include <openssl/x509.h>

#include "pysock/ssl.hpp"

namespace pysock::detail {

peer_certificate decode_certificate(X509* cert);
// The DER encoding.
std::string certificate_der(X509* cert);

}  // namespace pysock::detail
