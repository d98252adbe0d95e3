#!/usr/bin/env bash
# Runs one libFuzzer target for SECONDS: bash tools/fuzz.sh TARGET SECONDS
# TARGET is fuzz_rules, fuzz_intake, fuzz_cases, fuzz_audit_record, fuzz_fhir or fuzz_http (tests/fuzz/). Builds the
# clang sanitizer build (build-asan, see tools/sanitize.sh) if needed. The committed seeds in
# tests/fuzz/corpus/TARGET are read, never written; what the fuzzer learns goes to
# var/fuzz/TARGET, and a crashing input to var/fuzz/TARGET-crash-*. Exit 0: no finding.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:?usage: tools/fuzz.sh TARGET SECONDS}"
seconds="${2:?usage: tools/fuzz.sh TARGET SECONDS}"
build="${BUILD_DIR:-build-asan}"
if [ ! -x "$build/tests/fuzz/$target" ]; then
  BUILD_DIR="$build" BUILD_TYPE=Debug bash tools/build.sh -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" \
    -DTRIAGE_SANITIZE=address,undefined -DTRIAGE_BUILD_FUZZERS=ON -DTRIAGE_BUILD_BENCHMARKS=OFF >&2
fi
mkdir -p "var/fuzz/$target"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
exec "$build/tests/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="var/fuzz/$target-" "var/fuzz/$target" "tests/fuzz/corpus/$target"
