#!/usr/bin/env bash
# POST /v1/evaluate with keep-alive under wrk (closed loop, 32 connections, 2 threads) beside the
# same load over gRPC with `triage loadgen`, each on a fresh audit log, for DURATION seconds.
# Usage: bash tools/bench_http.sh [DURATION_SECONDS]   (default 30). Needs wrk (tools/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-30}"
out=var/bench-http
rm -rf "$out"
mkdir -p "$out"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

serve() {  # serve NAME: a server on a fresh log; sets grpc_port, http_port, server
  grpc_port=$(free_port)
  http_port=$(free_port)
  build/triage serve --rules rules --listen "127.0.0.1:$grpc_port" --http-listen "127.0.0.1:$http_port" \
    --audit-db "$out/$1.db" --watch-interval-ms 0 2>"$out/$1.log" &
  server=$!
  for _ in $(seq 50); do grep -q 'http_serving' "$out/$1.log" && break; sleep 0.1; done
}
stop() {
  echo "server peak resident memory: $(awk '/VmHWM/ {print $2}' "/proc/$server/status") kB"
  kill -TERM "$server"
  wait "$server" || true
}

echo "== HTTP: wrk, 32 connections, ${duration}s"
serve http
wrk -t2 -c32 -d"${duration}s" --latency -s bench/http_evaluate.lua "http://127.0.0.1:$http_port" -- rules/examples/*.json \
  | tee "$out/wrk.txt"
stop
echo "logged decisions: $(sqlite3 "$out/http.db" 'SELECT count(*) FROM decisions')"

echo "== gRPC: triage loadgen, 32 in flight, ${duration}s"
serve grpc
build/triage loadgen --server "127.0.0.1:$grpc_port" --concurrency 32 --duration "$duration" | tee "$out/loadgen.json"
echo
stop
