#!/usr/bin/env bash
# Makes the throwaway certificates of the TLS tests in DIR (EC P-256 keys: fast to generate).
#   make_tls_certificates.sh DIR
# ca.pem/ca.key          test CA (basicConstraints CA:TRUE)
# server.pem/server.key  leaf for DNS:localhost, IP:127.0.0.1, IP:::1 (serverAuth), with AKID
# server_enc.key         server.key encrypted with the password "secret"
# expired.pem            the same names, valid only in January 2020
# selfsigned.pem/.key    self-signed leaf for localhost
# unknown_ca.pem         leaf for localhost signed by a CA the tests never trust
# noakid.pem             leaf for localhost without Authority Key Identifier
# wildcard.pem           leaf for *.example.test and f*.partial.test
# cn_only.pem            leaf with CN=localhost and no subjectAltName
# client.pem/client.key  client certificate (clientAuth)
set -euo pipefail
dir=$1
mkdir -p "$dir"
cd "$dir"
openssl_quiet() { openssl "$@" 2>/dev/null; }

key() { openssl_quiet genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

ca() {  # ca NAME SUBJECT
  key "$1.key"
  openssl_quiet req -x509 -new -key "$1.key" -out "$1.pem" -days 3650 -subj "$2" \
    -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign
}

leaf() {  # leaf NAME SUBJECT EXTENSIONS [CA] [KEY]
  local name=$1 subject=$2 extensions=$3 signer=${4:-ca} keyfile=${5:-$1.key}
  [ -f "$keyfile" ] || key "$keyfile"
  printf '%b\n' "$extensions" > "$name.ext"
  openssl_quiet req -new -key "$keyfile" -subj "$subject" -out "$name.csr"
  openssl_quiet x509 -req -in "$name.csr" -CA "$signer.pem" -CAkey "$signer.key" \
    -CAcreateserial -days 825 -extfile "$name.ext" -out "$name.pem"
}

server_ext='subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer'

ca ca "/CN=pysock test CA"
ca other_ca "/CN=pysock unknown CA"
leaf server "/CN=localhost" "$server_ext"
openssl_quiet pkey -in server.key -aes256 -passout pass:secret -out server_enc.key
leaf unknown_ca "/CN=localhost" "$server_ext" other_ca
leaf noakid "/CN=localhost" 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nsubjectKeyIdentifier=none\nauthorityKeyIdentifier=none'
leaf wildcard "/CN=wildcard" 'subjectAltName=DNS:*.example.test,DNS:f*.partial.test\nextendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer'
leaf cn_only "/CN=localhost" 'extendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer'
leaf client "/CN=pysock client" 'extendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer'

key selfsigned.key
openssl_quiet req -x509 -new -key selfsigned.key -out selfsigned.pem -days 825 -subj "/CN=localhost" \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1

# expired: `openssl ca` is the 3.0 CLI that takes explicit dates.
key expired.key
openssl_quiet req -new -key expired.key -subj "/CN=localhost" -out expired.csr
mkdir -p ca-db && : > ca-db/index.txt
cat > ca-db/ca.cnf <<CNF
[ca]
default_ca = test
[test]
database = ca-db/index.txt
new_certs_dir = ca-db
serial = ca-db/serial
default_md = sha256
policy = any
copy_extensions = none
x509_extensions = leaf
[any]
commonName = supplied
[leaf]
subjectAltName = DNS:localhost,IP:127.0.0.1
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer
CNF
echo 01 > ca-db/serial
openssl_quiet ca -batch -config ca-db/ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr \
  -out expired.pem -startdate 20200101000000Z -enddate 20200201000000Z -notext
rm -f ./*.csr ./*.ext
touch done
