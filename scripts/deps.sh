# Sourced by scripts/demo and scripts/test: installs the Debian packages pysock needs when they
# are missing (as root, or through sudo), so a fresh Debian 12 machine needs nothing by hand.
# netbase provides /etc/services, which getaddrinfo needs for service names such as "http".
pysock_packages="cmake ninja-build g++ clang libclang-rt-14-dev libgtest-dev libgmock-dev
  libbenchmark-dev libcli11-dev socat ncat python3 pkg-config netbase libssl-dev openssl"

pysock_ensure_packages() {
  local missing=()
  for package in $pysock_packages "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" \
      || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "pysock: installing ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" </dev/null
}
