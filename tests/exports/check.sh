#!/usr/bin/env bash
# Fails when the shared libraries given (libpysock, libpysock-ssl) export a test hook
# (src/detail/test_hooks.hpp). The public API must be there (socket::fileno), so an empty or
# unreadable symbol table cannot pass.
set -euo pipefail
library="$*"
symbols=$(for l in "$@"; do nm -D --defined-only "$l"; done | c++filt)
grep -q 'pysock::socket::fileno() const' <<<"$symbols" || {
  echo "FAIL: $library does not export the public API (pysock::socket::fileno)" >&2
  exit 1
}
hooks='pysock::detail::(sendfile_zero_copy_allowed|fallback_socketpair_listening|sendfile_stats|ssl_sendfile_stats|ktls_send_reported|ssl_release_buffers)'
if exported=$(grep -E "$hooks" <<<"$symbols"); then
  echo "FAIL: $library exports test hooks:" >&2
  echo "$exported" >&2
  exit 1
fi
echo "ok: no test hook among $(wc -l <<<"$symbols") exported symbols"
