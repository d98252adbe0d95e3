#!/usr/bin/env bash
# The sanitizer job: builds with clang into build-asan (Debug, AddressSanitizer and
# UndefinedBehaviorSanitizer, every finding fatal, the libFuzzer targets too) and runs the whole
# suite there. Heavy property tests run TRIAGE_PROPERTY_CASES cases (default 300) and time
# budgets are scaled by TRIAGE_TEST_TIME_SCALE (default 10), since the build runs several times
# slower. Debug with -O1: at -O0 under ASan loading the shipped rules (check and safety analysis)
# took about 30 s, longer than the interop tests wait for a server. This is also the clang build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
export BUILD_DIR="${BUILD_DIR:-build-asan}" BUILD_TYPE=Debug
export TRIAGE_PROPERTY_CASES="${TRIAGE_PROPERTY_CASES:-300}" TRIAGE_TEST_TIME_SCALE="${TRIAGE_TEST_TIME_SCALE:-10}"
# CTest's own TIMEOUTs of the end-to-end tests scale the same way (tests/CMakeLists.txt).
CXX=clang++ bash tools/build.sh -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" -DTRIAGE_SANITIZE=address,undefined \
  -DTRIAGE_BUILD_FUZZERS=ON -DTRIAGE_BUILD_TESTS=ON -DTRIAGE_BUILD_BENCHMARKS=OFF \
  -DTRIAGE_TEST_TIMEOUT_SCALE="$TRIAGE_TEST_TIME_SCALE"
# Leak checking is off: gRPC and protobuf keep process-lifetime singletons that LeakSanitizer
# reports at exit. Every other finding stops the program with a stack trace.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
cd "$BUILD_DIR"
# One retry per failing test: "reloads under load" aborted once in 2 sanitizer runs (a ReloadRules
# call failing after 200 s under ASan, then the test unwinding with its client threads running);
# it is under investigation, and a test must still pass once here and always in the g++ job.
ctest --output-on-failure -j 2 --repeat until-pass:2
