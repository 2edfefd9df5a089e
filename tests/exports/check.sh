#!/usr/bin/env bash
# Fails when the shared library $1 exports a test hook (src/detail/test_hooks.hpp). The public
# API must be there (socket::fileno), so an empty or unreadable symbol table cannot pass.
set -euo pipefail
library=$1
symbols=$(nm -D --defined-only "$library" | c++filt)
grep -q 'pysock::socket::fileno() const' <<<"$symbols" || {
  echo "FAIL: $library does not export the public API (pysock::socket::fileno)" >&2
  exit 1
}
hooks='pysock::detail::(sendfile_zero_copy_allowed|fallback_socketpair_listening|sendfile_stats)'
if exported=$(grep -E "$hooks" <<<"$symbols"); then
  echo "FAIL: $library exports test hooks:" >&2
  echo "$exported" >&2
  exit 1
fi
echo "ok: no test hook among $(wc -l <<<"$symbols") exported symbols"
