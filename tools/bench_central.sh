#!/usr/bin/env bash
# Shipping throughput into PostgreSQL, and serving throughput with and without shipping.
# usage: tools/bench_central.sh [SECONDS]   (from the repository root, after tools/build.sh)
# Starts a private PostgreSQL 15 cluster as `nobody` on a Unix socket in a temporary folder and
# always stops it. Prints the loadgen summaries and the one-shot shipping report.
set -euo pipefail
seconds=${1:-20}
pg_bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
triage=${TRIAGE:-build/triage}
tmp=$(mktemp -d /tmp/triage-bench-central-XXXXXX)
chmod 711 "$tmp"
mkdir "$tmp/pg" && chown nobody:nogroup "$tmp/pg"
as_pg=(setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$tmp/pg")
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$tmp/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
"${as_pg[@]}" "$pg_bin/initdb" -D "$tmp/pg/data" -U postgres -A trust -E UTF8 >/dev/null
printf "listen_addresses = ''\nunix_socket_directories = '%s'\n" "$tmp/pg" >>"$tmp/pg/data/postgresql.conf"
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$tmp/pg/data" -l "$tmp/pg/log" -w start >/dev/null
url="postgresql:///postgres?host=$tmp/pg&user=postgres"
port=50677

serve() {  # serve NAME EXTRA...
  local name=$1; shift
  "$triage" serve --audit-db "$tmp/$name.db" --listen 127.0.0.1:$port --replica-id "$name" "$@" >"$tmp/$name.log" 2>&1 &
  server=$!
  sleep 1
}
stop() { kill "$server"; wait "$server" || true; server=""; }

echo "== serving, shipping off (closed loop, 32 in flight, ${seconds} s)"
serve off
"$triage" loadgen --server 127.0.0.1:$port --concurrency 32 --duration "$seconds"
stop
echo "== serving, shipping on (--ship-to, same load)"
serve on --ship-to "$url" --ship-interval-ms 200
"$triage" loadgen --server 127.0.0.1:$port --concurrency 32 --duration "$seconds"
sleep 2
stop
echo "   shipping lines: $(grep -c '"shipping"\|shipping ' "$tmp/on.log" || true)"
echo "== one-shot shipping of the first log (batches of 1000)"
records=$(sqlite3 "$tmp/off.db" "SELECT count(*) FROM decisions")
echo "   $records records"
"$triage" audit ship --db "$tmp/off.db" --to "$url" --batch 1000
echo "== central verify"
"$triage" audit verify --pg "$url"
