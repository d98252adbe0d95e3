#!/usr/bin/env bash
# The served path's CPU per request, stage by stage, as instructions counted by callgrind (they do
# not change with the machine's load, unlike times): `triage serve` runs under valgrind with its
# durable audit log, its counters are zeroed once it serves, a closed-loop load runs, the counters
# are dumped and tools/profile_breakdown.py turns the profile into a table of instructions per
# answered call by stage and by library.
#   PROTOCOL=grpc: `triage loadgen` (Evaluate, single calls); PROTOCOL=http: wrk on /v1/evaluate.
# callgrind counts user-space instructions only; the kernel's share (system CPU) comes from
# tools/bench_floor.sh. Under valgrind the server runs ~50x slower on one thread at a time, so
# commit groups are larger than natively: per-group costs (the commit and fsync, wake-ups) are
# spread over more records here than at full speed.
# Usage: bash tools/profile_served.sh [DURATION_SECONDS] [OUT_DIR]   (defaults 20, var/profile)
# The environment: PROTOCOL (grpc|http, default grpc), IN_FLIGHT (default 8), TRIAGE (the binary,
# default build/triage), TARGET=floor (the protocol's floor instead of the service: what the
# protocol itself costs per call, in OUT_DIR/floor/). Writes OUT_DIR/<protocol>.md.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-20}"
out="${2:-var/profile}"
protocol="${PROTOCOL:-grpc}"
in_flight="${IN_FLIGHT:-8}"
triage="${TRIAGE:-build/triage}"
target="${TARGET:-serve}"
mkdir -p "$out"
[[ $target == floor ]] && out="$out/floor" && mkdir -p "$out"
rm -f "$out/audit-$protocol.db"* "$out/callgrind.$protocol".*
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
grpc_port=$(free_port)
http_port=$(free_port)
if [[ $target == floor && $protocol == grpc ]]; then
  server_command=(build/triage_floor --rules rules --listen "127.0.0.1:$grpc_port")
elif [[ $target == floor ]]; then
  server_command=(build/triage_http_floor --rules rules --listen "127.0.0.1:$http_port")
else
  server_command=("$triage" serve --rules rules --watch-interval-ms 0 --audit-db "$out/audit-$protocol.db"
    --listen "127.0.0.1:$grpc_port" --http-listen "127.0.0.1:$http_port")
fi
valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.$protocol.%p" "${server_command[@]}" \
  2>"$out/serve-$protocol.log" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 600); do grep -q ' serving\|: serving' "$out/serve-$protocol.log" && break; sleep 0.1; done
grep -q ' serving\|: serving' "$out/serve-$protocol.log" || { echo "server did not start" >&2; exit 1; }
# Warm up (first-call allocations, connection set-up), then count from zero.
if [[ $protocol == grpc ]]; then
  build/triage loadgen --server "127.0.0.1:$grpc_port" --concurrency "$in_flight" --duration 3 >/dev/null
else
  wrk -t1 -c"$in_flight" -d3s -s bench/http_evaluate.lua "http://127.0.0.1:$http_port" -- rules/examples/*.json >/dev/null
fi
callgrind_control -z "$server" >/dev/null
if [[ $protocol == grpc ]]; then
  build/triage loadgen --server "127.0.0.1:$grpc_port" --concurrency "$in_flight" --duration "$duration" \
    >"$out/load-$protocol.json"
  calls=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ok"])' "$out/load-$protocol.json")
else
  wrk -t1 -c"$in_flight" -d"${duration}s" -s bench/http_evaluate.lua "http://127.0.0.1:$http_port" \
    -- rules/examples/*.json >"$out/load-$protocol.txt"
  calls=$(sed -n 's/^wrk_json //p' "$out/load-$protocol.txt" |
    python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["requests"] - r["non200"])')
fi
sleep 1  # the last commits and completions
callgrind_control --dump="load" "$server" >/dev/null
sleep 1
kill -TERM "$server"
wait "$server" || true
trap - EXIT
dump=$(ls "$out/callgrind.$protocol".*.1 | head -1)
stages=$protocol
[[ $target == floor ]] && stages=floor
python3 tools/profile_breakdown.py "$dump" "$calls" "$stages" | tee "$out/$protocol.md"
