#!/usr/bin/env python3
"""Soak test (hardening v3): kiosk traffic beside slow and idle clients, for SECONDS (default 600).

usage: python3 tools/soak.py [--seconds N] [--binary build/triage]

Not in the default suite (it takes ten minutes): run it before a release. It starts `triage serve`
with HTTP on free loopback ports and a fresh audit log, then:
  1. an unattacked run (a fifth of the time): 8 kiosk workers POST /v1/evaluate with the example
     intakes over kept-alive connections; their p99 latency is the baseline;
  2. the attacked run (the rest): the same kiosks, while other addresses hold 300 idle connections
     (127.0.0.2), trickle headers one byte a second (127.0.0.3) and open and drop connections
     (127.0.0.4);
and checks that the kiosks' p99 under attack is within 2x of the baseline (or within 5 ms of it,
for tiny baselines), that no kiosk call failed, and that every decision a kiosk was answered is in
the audit log (`triage audit verify` passes too). With PostgreSQL 15 installed (tools/install-deps.sh)
the server also ships to a private central store started here (`--ship-to`, as in
tests/central/central_test.py): after the run the background shipper must catch up within 60 s,
every answered decision must be in the central copy, and `triage audit verify --pg` must pass
(`--no-central` skips this). Exit 0 when all hold."""

import argparse
import glob
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "http"))
sys.path.insert(0, os.path.join(ROOT, "tests", "central"))
import http_common as hc  # noqa: E402
from central_test import PG_BIN, Postgres  # noqa: E402


def kiosk(port, intakes, stop, latencies, answered, failures):
    conn = hc.connect(port, timeout=10)
    i = 0
    while not stop.is_set():
        body = intakes[i % len(intakes)]
        i += 1
        started = time.monotonic()
        try:
            r = hc.request(conn, "POST", "/v1/evaluate", body)
        except Exception as e:  # noqa: BLE001 - every failure counts
            failures.append(repr(e))
            conn.close()
            conn = hc.connect(port, timeout=10)
            continue
        latencies.append(time.monotonic() - started)
        if r.status == 200 and r.json:
            answered.append(r.json["decision_id"])
        else:
            failures.append("HTTP %d %s" % (r.status, r.body[:120]))
    conn.close()


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else 0.0


def run_kiosks(port, intakes, seconds, answered, failures):
    stop, latencies, threads = threading.Event(), [], []
    for _ in range(8):
        t = threading.Thread(target=kiosk, args=(port, intakes, stop, latencies, answered, failures))
        t.start()
        threads.append(t)
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    return latencies


def attackers(port, stop):
    """Idle holders, header tricklers and churners from other loopback addresses."""
    held = []

    def idle():
        while not stop.is_set():
            while len(held) < 300 and not stop.is_set():
                try:
                    held.append(socket.create_connection(("127.0.0.1", port), timeout=2, source_address=("127.0.0.2", 0)))
                except OSError:
                    time.sleep(0.05)
            time.sleep(0.5)
            held[:] = [s for s in held if not closed(s)]

    def trickle():
        while not stop.is_set():
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=2, source_address=("127.0.0.3", 0))
                for byte in b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\n":
                    if stop.is_set():
                        break
                    s.sendall(bytes([byte]))
                    time.sleep(1)
                s.close()
            except OSError:
                time.sleep(0.1)

    def churn():
        while not stop.is_set():
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2, source_address=("127.0.0.4", 0)).close()
            except OSError:
                pass
            time.sleep(0.01)

    threads = [threading.Thread(target=f) for f in [idle] + [trickle] * 20 + [churn]]
    for t in threads:
        t.start()
    return threads, held


def closed(sock):
    try:
        sock.setblocking(False)
        data = sock.recv(1)
        return data == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        try:
            sock.setblocking(True)
        except OSError:
            pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--binary", default=os.path.join(ROOT, "build", "triage"))
    parser.add_argument("--no-central", action="store_true", help="do not ship to a private PostgreSQL")
    args = parser.parse_args()
    intakes = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(ROOT, "rules", "examples", "*.json")))]
    tmp = tempfile.mkdtemp(prefix="triage-soak-")
    os.chmod(tmp, 0o755)  # the private PostgreSQL runs as `nobody` under it
    pg = None
    extra = []
    if not args.no_central and os.path.exists(os.path.join(PG_BIN, "initdb")):
        pg = Postgres(os.path.join(tmp, "pg"))
        pg.init()
        pg.start()
        extra = ["--ship-to", pg.url(), "--ship-interval-ms", "200", "--replica-id", "soak"]
    elif not args.no_central:
        print("note: no PostgreSQL at %s: the central copy is not checked" % PG_BIN)
    server = hc.start_server(args.binary, ROOT, tmp, name="soak server", extra_args=extra)
    answered, failures, ok = [], [], True
    try:
        base = run_kiosks(server.http_port, intakes, args.seconds / 5, answered, failures)
        stop = threading.Event()
        threads, held = attackers(server.http_port, stop)
        time.sleep(2)
        attacked = run_kiosks(server.http_port, intakes, args.seconds * 4 / 5, answered, failures)
        stop.set()
        for t in threads:
            t.join()
        for s in held:
            s.close()
        p99_base, p99_attacked = percentile(base, 0.99), percentile(attacked, 0.99)
        print("baseline: %d calls, p50 %.1f ms, p99 %.1f ms" % (len(base), 1000 * percentile(base, 0.5), 1000 * p99_base))
        print("attacked: %d calls, p50 %.1f ms, p99 %.1f ms" % (len(attacked), 1000 * percentile(attacked, 0.5),
                                                                 1000 * p99_attacked))
        if p99_attacked > max(2 * p99_base, p99_base + 0.005):
            print("FAIL: the kiosks' p99 under attack is over 2x the baseline")
            ok = False
        if failures:
            print("FAIL: %d kiosk calls failed, first: %s" % (len(failures), failures[0]))
            ok = False
        if pg:
            ok = central_caught_up(pg, server.audit_db) and ok
    finally:
        server.stop(type("Checks", (), {"check": staticmethod(lambda cond, what, detail="": cond)})())
    try:
        with sqlite3.connect("file:%s?mode=ro" % server.audit_db, uri=True) as db:
            logged = {row[0] for row in db.execute("SELECT decision_id FROM decisions")}
        missing = [d for d in answered if d not in logged]
        print("%d decisions answered, %d logged, %d missing" % (len(answered), len(logged), len(missing)))
        if missing:
            print("FAIL: answered decisions missing from the audit log, first: %s" % missing[0])
            ok = False
        verify = subprocess.run([args.binary, "audit", "verify", "--db", server.audit_db], capture_output=True,
                                text=True)
        if verify.returncode != 0:
            print("FAIL: audit verify: " + verify.stdout + verify.stderr)
            ok = False
        if pg:
            central = set(pg.sql("SELECT decision_id FROM triage_decisions WHERE replica_id = 'soak'").stdout.split())
            missing = [d for d in answered if d not in central]
            print("%d decisions in the central copy, %d answered ones missing" % (len(central), len(missing)))
            if missing:
                print("FAIL: answered decisions missing from the central copy, first: %s" % missing[0])
                ok = False
            verify = subprocess.run([args.binary, "audit", "verify", "--pg", pg.url(), "--replica", "soak"],
                                    capture_output=True, text=True)
            print(verify.stdout.strip())
            if verify.returncode != 0:
                print("FAIL: audit verify --pg: " + verify.stdout + verify.stderr)
                ok = False
    finally:
        if pg and pg.running():
            pg.stop("immediate")
    print("soak: " + ("passed" if ok else "FAILED"))
    return 0 if ok else 1


def central_caught_up(pg, audit_db, timeout_s=60):
    """Waits (server still running) until the background shipper has sent every local record."""
    deadline = time.monotonic() + timeout_s
    local = central = 0
    while time.monotonic() < deadline:
        with sqlite3.connect("file:%s?mode=ro" % audit_db, uri=True) as db:
            local = db.execute("SELECT coalesce(max(seq), 0) FROM decisions").fetchone()[0]
        out = pg.sql("SELECT coalesce(max(seq), 0) FROM triage_decisions WHERE replica_id = 'soak'").stdout.strip()
        central = int(out or "0")
        if central >= local:
            print("central copy caught up: record %d of %d" % (central, local))
            return True
        time.sleep(0.5)
    print("FAIL: the shipper did not catch up within %d s (central %d, local %d)" % (timeout_s, central, local))
    return False


if __name__ == "__main__":
    sys.exit(main())
