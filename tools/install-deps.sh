#!/usr/bin/env bash
# Installs every Debian bookworm package the project needs to build, test and run.
# Idempotent: packages already present are left alone. Run as root (or with sudo).
set -euo pipefail

packages=(
  build-essential g++ cmake pkg-config git
  libboost-dev                      # Spirit X3, Beast and Asio (header-only)
  libspdlog-dev libfmt-dev
  libsqlite3-dev sqlite3
  libssl-dev openssl                # libcrypto for SHA-256; openssl for TLS test certificates
  catch2                            # Catch2 v2 with Catch.cmake
  libbenchmark-dev
  libprotobuf-dev protobuf-compiler
  libgrpc++-dev protobuf-compiler-grpc
  python3 python3-grpcio python3-grpc-tools
  util-linux                        # prlimit and setpriv for the durability test; unshare for read-only mounts
  chromium chromium-driver python3-selenium   # the kiosk's end-to-end test in headless Chromium
  wrk curl                          # the HTTP benchmark; the README's HTTP examples
  clang libclang-rt-14-dev          # the clang build, sanitizers and libFuzzer (.ci/run, tools/fuzz.sh)
  libpq-dev                         # libpq: shipping audit logs to the central PostgreSQL store
  postgresql postgresql-client      # PostgreSQL 15: the central store's test cluster (initdb, pg_ctl, psql)
  python3-yaml                      # the deploy/ manifests test
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
