#!/usr/bin/env bash
# make_test_certs.sh DIR: throwaway certificates for the TLS tests, made with the openssl CLI at
# test time (no key is ever committed). The layout is conformance.md's --tls-dir:
#   DIR/ca.pem                     CA certificate (basicConstraints CA:TRUE)
#   DIR/server.pem, server.key     leaf signed by the CA: SAN DNS:localhost, IP:127.0.0.1, IP:::1,
#                                  serverAuth; signed with -CA, so it carries an AKID (tls.md 1.1)
#   DIR/client.pem, client.key     leaf signed by the CA for client authentication (clientAuth)
# DIR is made afresh on every run (the certificates are valid for 30 days from now).
set -euo pipefail
dir=${1:?usage: make_test_certs.sh DIR}
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"

# EC keys: fast to make on a loaded machine, and accepted at security level 2.
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

key ca.key
openssl req -x509 -new -key ca.key -out ca.pem -days 30 -subj "/CN=pysock test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

leaf() {  # leaf NAME CN EXTENSIONS
  key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr"
  printf '%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
leaf server localhost "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
extendedKeyUsage=serverAuth"
leaf client "pysock test client" "extendedKeyUsage=clientAuth"
rm -f ca.srl
