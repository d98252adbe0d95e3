#!/usr/bin/env bash
# Installs what is needed, builds everything (tests and benchmarks included) and runs the whole
# test suite under CTest. The output ends with CTest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
bash tools/build.sh -DTRIAGE_BUILD_TESTS=ON -DTRIAGE_BUILD_BENCHMARKS=ON
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j 2
