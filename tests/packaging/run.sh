#!/usr/bin/env bash
# Builds tests/packaging/consumer against pysock the way users do, and runs it.
#   run.sh MODE SOURCE_DIR WORK_DIR CXX_COMPILER [ssl]
# MODE: find_package (installs pysock into WORK_DIR/prefix first), add_subdirectory,
# fetchcontent, or pkg-config (installs, then compiles with the flags pkg-config gives).
# The install is configured for WORK_DIR/configured-prefix but made with `cmake --install
# --prefix WORK_DIR/prefix`, as packagers and ~/.local users do: nothing may point at the
# configured prefix (pysock.pc, pysock-ssl.pc and the CMake files alike).
# With "ssl", the consumer is the TLS program (consumer/ssl_main.cpp: pysock::ssl, pkg-config
# pysock-ssl), run with throwaway certificates.
set -euo pipefail
mode=$1 source=$2 work=$3 cxx=$4 component=${5:-}
rm -rf "$work"
mkdir -p "$work"
consumer="$source/tests/packaging/consumer"
main=main.cpp module=pysock consumer_ssl=OFF
run_args=()
if [ "$component" = ssl ]; then
  main=ssl_main.cpp module=pysock-ssl consumer_ssl=ON
  "$source/tests/support/make_tls_certificates.sh" "$work/certs"
  run_args=("$work/certs")
fi

install_pysock() {
  cmake -S "$source" -B "$work/pysock-build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_COMPILER="$cxx" -DPYSOCK_TEST=OFF -DPYSOCK_EXAMPLES=OFF -DPYSOCK_BENCH=OFF \
    -DPYSOCK_INSTALL=ON -DPYSOCK_SSL=$consumer_ssl \
    -DCMAKE_INSTALL_PREFIX="$work/configured-prefix" >/dev/null
  cmake --build "$work/pysock-build" >/dev/null
  cmake --install "$work/pysock-build" --prefix "$work/prefix" >/dev/null
  if grep -rl "configured-prefix" "$work/prefix"; then
    echo "the install above names the configure-time prefix" >&2
    exit 1
  fi
}

case "$mode" in
  find_package)
    install_pysock
    cmake -S "$consumer" -B "$work/consumer" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
      -DCMAKE_PREFIX_PATH="$work/prefix" -DPYSOCK_CONSUME=find_package \
      -DPYSOCK_CONSUMER_SSL=$consumer_ssl >/dev/null ;;
  add_subdirectory|fetchcontent)
    cmake -S "$consumer" -B "$work/consumer" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
      -DPYSOCK_CONSUME="$mode" -DPYSOCK_SOURCE="$source" \
      -DPYSOCK_CONSUMER_SSL=$consumer_ssl >/dev/null ;;
  pkg-config)
    install_pysock
    libdir=$(find "$work/prefix" -name pysock.pc -printf '%h\n' | head -n 1)
    flags=$(PKG_CONFIG_PATH="$libdir" pkg-config --cflags --libs "$module")
    # shellcheck disable=SC2086 # the flags are meant to split
    "$cxx" "$consumer/$main" -o "$work/consumer-pkg" $flags
    "$work/consumer-pkg" "${run_args[@]}"
    exit 0 ;;
  *) echo "unknown mode $mode" >&2; exit 2 ;;
esac
cmake --build "$work/consumer" >/dev/null
"$work/consumer/consumer" "${run_args[@]}"
