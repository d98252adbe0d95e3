#!/usr/bin/env bash
# The real service against the floors, on both protocols, in one run:
#   floor     gRPC: build/triage_floor answering Evaluate with prebuilt Decisions of the real size;
#             HTTP: build/triage_http_floor (Beast) answering /v1/evaluate and /v1/evaluate-batch
#             with the JSON bytes the service sends for the same decisions;
#   disk      `triage serve` (gRPC and --http-listen) with its durable audit log on the project's
#             disk (var/);
#   tmpfs     the same with the log on /dev/shm (memory: what the disk's fsyncs cost);
# each loaded closed loop for DURATION seconds at every CONCURRENCY (calls in flight): gRPC with
# `triage loadgen`, HTTP with `wrk` and bench/http_evaluate.lua (one connection per call in flight).
# Then batches of BATCHES intakes (8 in flight) on both protocols against disk and tmpfs, and the
# HTTP floor. Reports decisions/s, p50/p99 latency, the server's CPU per request (user + system from
# /proc/PID/stat over the load, divided by the requests answered; the system share beside it), its
# resident memory at the end of the load, and the floor's throughput and p99 over the service's.
# Needs build/triage, build/triage_floor and build/triage_http_floor (benchmarks on) and wrk.
# Usage: bash tools/bench_floor.sh [DURATION_SECONDS] [OUT_DIR]   (defaults 10, var/bench-floor);
# writes OUT_DIR/floor.md. Run it while nothing else uses the CPU (the project's build lock).
# The environment chooses the loads: CONCURRENCY (default "1 8 32 128"), BATCHES (default
# "10 100"; "" skips the batch runs), PROTOCOLS (default "grpc http"); TRIAGE (default
# build/triage) is the service's binary, so an older build can be measured against the same floors.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
out="${2:-var/bench-floor}"
concurrencies="${CONCURRENCY:-1 8 32 128}"
batches="${BATCHES-10 100}"
protocols="${PROTOCOLS:-grpc http}"
triage="${TRIAGE:-build/triage}"
mkdir -p "$out"
shm=$(mktemp -d /dev/shm/triage-bench.XXXXXX)
servers=()
cleanup() {
  for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$shm"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# user and system clock ticks of a process, space-separated
cpu_ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
wait_serving() {
  for _ in $(seq 100); do grep -q '"serving"\| serving ' "$1" && return 0; sleep 0.1; done
  echo "server did not start: $(cat "$1")" >&2
  return 1
}

# start NAME COMMAND…: starts a server on free ports (gRPC --listen, and --http-listen when NAME
# is a service); sets $pid, $grpc_port and $http_port.
start() {
  local name=$1
  shift
  grpc_port=$(free_port)
  http_port=$(free_port)
  local args=(--listen "127.0.0.1:$grpc_port")
  case $name in
    http_floor) args=(--listen "127.0.0.1:$http_port") ;;
    disk | tmpfs) args+=(--http-listen "127.0.0.1:$http_port") ;;
  esac
  "$@" "${args[@]}" 2>"$out/$name.log" &
  pid=$!
  servers+=("$pid")
  wait_serving "$out/$name.log"
}

rm -f "$out/audit.db" "$out/audit.db-wal" "$out/audit.db-shm"
start grpc_floor build/triage_floor --rules rules
grpc_floor_pid=$pid grpc_floor_port=$grpc_port
start http_floor build/triage_http_floor --rules rules --batches "$(echo "$batches" | tr ' ' ',')"
http_floor_pid=$pid http_floor_port=$http_port
# --max-request-bytes (gRPC and HTTP): room for a batch of 100 intakes (about 80 KB); single calls
# are unaffected.
# --http-max-connections-per-client: every wrk connection comes from 127.0.0.1, and the default cap
# of 64 per client would answer 503 to half of 128.
serve_args=(--rules rules --watch-interval-ms 0 --max-request-bytes 1048576 --http-max-connections-per-client 256)
start disk "$triage" serve "${serve_args[@]}" --audit-db "$out/audit.db"
disk_pid=$pid disk_grpc=$grpc_port disk_http=$http_port
start tmpfs "$triage" serve "${serve_args[@]}" --audit-db "$shm/audit.db"
tmpfs_pid=$pid tmpfs_grpc=$grpc_port tmpfs_http=$http_port

# load PROTOCOL TARGET PID PORT IN_FLIGHT BATCH NAME: one closed-loop load; appends a line to runs.tsv:
# protocol target in_flight batch user_ticks system_ticks rss_kb result_file
load() {
  local protocol=$1 target=$2 server=$3 port=$4 in_flight=$5 batch=$6 name=$7
  local result="$out/$name.json"
  read -r user0 sys0 <<<"$(cpu_ticks "$server")"
  if [[ $protocol == grpc ]]; then
    local batch_args=()
    [[ $batch -gt 0 ]] && batch_args=(--batch "$batch")
    build/triage loadgen --server "127.0.0.1:$port" --concurrency "$in_flight" --duration "$duration" \
      "${batch_args[@]}" >"$result"
  else
    local threads=$((in_flight < 2 ? 1 : 2)) batch_arg=()
    [[ $batch -gt 0 ]] && batch_arg=("$batch")
    wrk -t"$threads" -c"$in_flight" -d"${duration}s" --latency -s bench/http_evaluate.lua \
      "http://127.0.0.1:$port" -- "${batch_arg[@]}" rules/examples/*.json >"$out/$name.wrk"
    sed -n 's/^wrk_json //p' "$out/$name.wrk" >"$result"
  fi
  read -r user1 sys1 <<<"$(cpu_ticks "$server")"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$protocol" "$target" "$in_flight" "$batch" "$((user1 - user0))" \
    "$((sys1 - sys0))" "$(rss_kb "$server")" "$result" >>"$out/runs.tsv"
  echo "== $protocol $target, $in_flight in flight, batch $batch: $(cat "$result")" >&2
}

: >"$out/runs.tsv"
for protocol in $protocols; do
  for in_flight in $concurrencies; do
    floor_pid_var="${protocol}_floor_pid" floor_port_var="${protocol}_floor_port"
    load "$protocol" floor "${!floor_pid_var}" "${!floor_port_var}" "$in_flight" 0 "$protocol-floor-$in_flight"
    for target in disk tmpfs; do
      pid_var="${target}_pid" port_var="${target}_${protocol}"
      load "$protocol" "$target" "${!pid_var}" "${!port_var}" "$in_flight" 0 "$protocol-$target-$in_flight"
    done
  done
done
for protocol in $protocols; do
  for batch in $batches; do
    targets="disk tmpfs"
    [[ $protocol == http ]] && targets="floor disk tmpfs"  # the HTTP floor answers batches too
    for target in $targets; do
      if [[ $target == floor ]]; then
        load "$protocol" floor "$http_floor_pid" "$http_floor_port" 8 "$batch" "$protocol-floor-batch$batch"
      else
        pid_var="${target}_pid" port_var="${target}_${protocol}"
        load "$protocol" "$target" "${!pid_var}" "${!port_var}" 8 "$batch" "$protocol-$target-batch$batch"
      fi
    done
  done
done

python3 - "$out" "$(getconf CLK_TCK)" <<'PY' >"$out/floor.md"
import json, sys
out, hz = sys.argv[1], int(sys.argv[2])
runs = []
for line in open(out + "/runs.tsv"):
    protocol, target, in_flight, batch, user, system, rss, path = line.rstrip("\n").split("\t")
    r = json.load(open(path))
    calls = r.get("ok", r["requests"] - r.get("non200", 0))
    per_call = int(batch) or 1
    # wrk counts every reply: decisions are the 200 replies' (its rps × the share answered 200).
    answered = r["rps"] * (r["requests"] - r.get("non200", 0)) / max(r["requests"], 1)
    decisions = answered * per_call if "decisions_per_s" not in r else r["decisions_per_s"]
    errors = sum(r.get("errors", {}).values()) + r.get("non200", 0) + r.get("socket_errors", 0)
    runs.append(dict(protocol=protocol, target=target, in_flight=int(in_flight), batch=int(batch), calls=max(calls, 1),
                     decisions=decisions, p50=r["latency_ms"]["p50"], p99=r["latency_ms"]["p99"], errors=errors,
                     user=int(user), system=int(system), rss=int(rss)))
def floor_of(run):
    """The floor's run at the same load; for a gRPC batch (the gRPC floor answers single calls only)
    the floor's single calls at the same number in flight, marked with *."""
    for batch in (run["batch"], 0):
        for f in runs:
            if f["protocol"] == run["protocol"] and f["target"] == "floor" and f["batch"] == batch \
                    and f["in_flight"] == run["in_flight"]:
                return f, batch != run["batch"]
    return None, False
names = {"grpc": "gRPC (`triage loadgen`)", "http": "HTTP/1.1 JSON (`wrk`)"}
for protocol in ("grpc", "http"):
    rows = [r for r in runs if r["protocol"] == protocol]
    if not rows:
        continue
    print("**%s**\n" % names[protocol])
    print("| server | in flight | batch | decisions/s | p50 ms | p99 ms | errors | server CPU µs/decision (system) | RSS MB | floor ÷ this | p99 ÷ floor's |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        f, single = floor_of(r)
        decided = r["calls"] * (r["batch"] or 1)
        cpu = (r["user"] + r["system"]) / hz * 1e6 / decided
        system = r["system"] / hz * 1e6 / decided
        mark = "*" if single else ""
        ratio = "%.2f×%s" % (f["decisions"] / r["decisions"], mark) if f and r["decisions"] else "—"
        tail = "%.2f×" % (r["p99"] / f["p99"]) if f and f["p99"] and not single else "—"
        print("| %s | %d | %s | %.0f | %.2f | %.2f | %d | %.0f (%.0f) | %.1f | %s | %s |" % (
            r["target"], r["in_flight"], r["batch"] or "—", r["decisions"], r["p50"], r["p99"], r["errors"], cpu, system,
            r["rss"] / 1024, ratio, tail))
    print()
print("\\* a gRPC batch's decisions/s against the gRPC floor's single calls at the same number in flight (the")
print("gRPC floor answers Evaluate only; a batch's latency is not comparable with a call's). Server CPU is")
print("user + system time over the load divided by the decisions answered (failed calls included in the time);")
print("RSS is the server's resident memory at the end of the load.")
PY
cat "$out/floor.md"
