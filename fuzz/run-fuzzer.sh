#!/usr/bin/env bash
# run-fuzzer.sh FUZZER SEED_CORPUS WORK_CORPUS SECONDS: a bounded libFuzzer run over a working
# copy of the committed corpus. Exits non-zero on any finding (crash, leak, sanitizer report).
set -euo pipefail
fuzzer=$1 seeds=$2 work=$3 seconds=$4
rm -rf "$work"
mkdir -p "$work"
cp -r "$seeds"/. "$work"/
exec "$fuzzer" -artifact_prefix="$work/" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  "$work"
