#!/usr/bin/env bash
# Runs every benchmark and writes a report to var/bench/report.md:
#   1. Google Benchmark micro-benchmarks (build/triage_bench): evaluation, parse+check, audit record;
#   2. the gRPC service with its durable audit log under `triage loadgen` on this machine:
#      closed loop (as fast as it goes) and paced at 5,000 decisions/s, each for DURATION seconds;
#      the server's peak resident memory;
#   3. `triage audit replay` over the log the load produced;
#   4. the service against the floors (tools/bench_floor.sh): gRPC and HTTP servers with prebuilt
#      replies, and the service with its log on disk and on tmpfs on both protocols, at 32 and 128
#      in flight (CONCURRENCY overrides), then batches, FLOOR_SECONDS each;
#   5. the peers (tools/bench_peers.sh): the generated rulesets on json-rules-engine and zen-engine
#      beside triage, fired sets checked identical (skipped with the reason when node or npm fails).
# Usage: bash tools/bench.sh [DURATION_SECONDS [FLOOR_SECONDS]]   (defaults 60 and 20)
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-60}"
floor_seconds="${2:-20}"
out=var/bench
rm -rf "$out"
mkdir -p "$out"
bash tools/install-deps.sh >/dev/null
bash tools/build.sh -DTRIAGE_BUILD_BENCHMARKS=ON >/dev/null

echo "== micro-benchmarks" >&2
build/triage_bench --benchmark_min_time=0.5 --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_out="$out/micro.json" --benchmark_out_format=json \
  | tee "$out/micro.txt" >&2

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
build/triage serve --rules rules --listen "127.0.0.1:$port" --audit-db "$out/audit.db" --watch-interval-ms 0 \
  2>"$out/server.log" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q '"serving"\| serving ' "$out/server.log" && break; sleep 0.1; done

# Paced first, on a fresh log; then as fast as it goes (the log is then large: see BENCHMARKS.md).
echo "== service, paced at 5000/s, ${duration}s" >&2
build/triage loadgen --server "127.0.0.1:$port" --concurrency 32 --duration "$duration" --rate 5000 \
  | tee "$out/paced.json" >&2
echo "== service, closed loop, ${duration}s" >&2
build/triage loadgen --server "127.0.0.1:$port" --concurrency 32 --duration "$duration" | tee "$out/closed.json" >&2
rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$server/status")
kill -TERM "$server"
wait "$server" || true
trap - EXIT

echo "== replay" >&2
start=$(date +%s.%N)
build/triage audit replay --db "$out/audit.db" 2>/dev/null | head -1 | tee "$out/replay.txt" >&2
end=$(date +%s.%N)
decisions=$(sqlite3 "$out/audit.db" 'SELECT count(*) FROM decisions')

echo "== the service against the floor, ${floor_seconds}s per load" >&2
CONCURRENCY="${CONCURRENCY:-32 128}" bash tools/bench_floor.sh "$floor_seconds" "$out/floor" >&2

echo "== the peers: json-rules-engine and zen-engine on the generated rulesets" >&2
peers_status=0
bash tools/bench_peers.sh "$out/peers" >&2 || peers_status=$?
# 3: node, npm or the registry missing (peers.md says which); anything else is a failure.
[ "$peers_status" = 0 ] || [ "$peers_status" = 3 ] || { echo "the peers step failed ($peers_status)" >&2; exit 1; }

python3 - "$out" "$rss_kb" "$start" "$end" "$decisions" <<'PY' > "$out/report.md"
import json, sys
out, rss_kb, start, end, decisions = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
micro = json.load(open(out + "/micro.json"))
print("# Benchmark report\n")
print("machine: %s, %s cores\n" % (micro["context"].get("host_name", "?"), micro["context"]["num_cpus"]))
print("| micro-benchmark (median of 5) | time | unit |\n|---|---|---|")
for b in micro["benchmarks"]:
    if b.get("aggregate_name", "median") == "median":
        print("| %s | %.3f | %s |" % (b["name"], b["real_time"], b["time_unit"]))
for name in ("paced", "closed"):
    r = json.load(open("%s/%s.json" % (out, name)))
    l = r["latency_ms"]
    print("\n%s: %.0f decisions/s over %.0f s, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms, errors %s"
          % (name, r["rps"], r["duration_s"], l["p50"], l["p90"], l["p99"], l["max"], r["errors"] or "none"))
print("\nserver peak resident memory: %.1f MB" % (rss_kb / 1024))
seconds = end - start
print("\nreplay: %d decisions in %.2f s = %.0f decisions/s" % (decisions, seconds, decisions / seconds))
print("\n## The service against the floor\n")
print(open(out + "/floor/floor.md").read())
print("\n## The peers on the generated rulesets (tools/bench_peers.sh)\n")
print(open(out + "/peers/peers.md").read())
PY
cat "$out/report.md"
