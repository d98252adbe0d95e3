#!/usr/bin/env python3
"""Durability over HTTP: SIGKILL `triage serve` while 8 keep-alive clients POST /v1/evaluate.

usage: python3 http_durability_test.py TRIAGE_BINARY SOURCE_DIR

HTTP replies go through the same decision path and group commit as gRPC, so the same promise
holds: every reply 200 carries a decision_id that is already durable. The test
  1. loads a fresh server with 8 threads, each on one kept-alive connection, looping over the
     example intakes with its own request ids; SIGKILLs the server after about 1.5 s;
  2. copies the crashed database and its write-ahead log before anything opens them, and checks
     that every decision_id received with 200 is there with its request_id, that the hash chain
     holds and that `triage audit verify` passes;
  3. restarts on the same log: the rows are all there, a new call is logged, SIGTERM exits 0 and
     `triage audit verify` passes over the chain continued across the crash.
Network: 127.0.0.1 only.
"""

import json
import os
import shutil
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import http_common as hc  # noqa: E402
from http_common import call, connect, request  # noqa: E402

common = hc.common
from interop_common import log  # noqa: E402

THREADS = 8
LOAD_SECONDS = 1.5


def run(binary, source_dir, tmp, checks):
    rules = os.path.join(source_dir, "rules")
    intakes = [json.load(open(p)) for p in common.example_intakes(rules)]
    db = os.path.join(tmp, "audit.db")
    server = hc.start_server(binary, source_dir, tmp, name="loaded server", audit_db=db)
    received = []
    lock = threading.Lock()
    stop = threading.Event()
    failures = []

    def client(number):
        conn = connect(server.http_port, timeout=5)
        sent = 0
        while not stop.is_set():
            body = dict(intakes[sent % len(intakes)])
            body["request_id"] = "t%d-%d" % (number, sent)
            sent += 1
            try:
                r = request(conn, "POST", "/v1/evaluate", body, {"X-Client-Id": "load-%d" % number})
            except Exception:  # the kill: connection reset or closed mid-reply
                return
            if r.status == 200:
                with lock:
                    received.append((r.json["decision_id"], body["request_id"]))
            else:
                failures.append(repr(r))
                return

    threads = [threading.Thread(target=client, args=(i,)) for i in range(THREADS)]
    try:
        for t in threads:
            t.start()
        time.sleep(LOAD_SECONDS)
        server.process.kill()
        server.process.wait(10)
        stop.set()
        for t in threads:
            t.join(10)
    finally:
        stop.set()
        server.kill()
    checks.check(not failures, "under load every reply before the kill is 200", "  %s" % failures[:3])
    checks.check(len(received) > 100, "the load got a fair number of decisions before the kill",
                 "  %d" % len(received))
    with lock:
        received = list(received)

    snapshot_dir = os.path.join(tmp, "snapshot")
    os.makedirs(snapshot_dir)
    snapshot = os.path.join(snapshot_dir, "audit.db")
    for suffix in ("", "-wal"):
        if os.path.exists(db + suffix):
            shutil.copy2(db + suffix, snapshot + suffix)
    rows = common.audit_rows(snapshot, readonly=False)
    by_id = {r["decision_id"]: r for r in rows}
    missing = [(d, rid) for d, rid in received if d not in by_id]
    checks.check(not missing, "every decision_id answered 200 is in the crashed log",
                 "  %d of %d missing, e.g. %s" % (len(missing), len(received), missing[:3]))
    wrong = [(d, rid) for d, rid in received if d in by_id and by_id[d]["request_id"] != rid]
    checks.check(not wrong, "each logged decision has its call's request_id", "  %s" % wrong[:3])
    log("received %d decisions with 200; the crashed log holds %d" % (len(received), len(rows)))
    head = common.check_chain(checks, rows, " (crashed log)")
    rc, verified, verify_head, output = common.audit_verify(binary, snapshot)
    checks.check(rc == 0 and verified == len(rows) and verify_head == head,
                 "`triage audit verify` passes on the crashed log", output[-800:])

    again = hc.start_server(binary, source_dir, tmp, name="restarted server", audit_db=db)
    try:
        r = call(again.http_port, "POST", "/v1/evaluate", dict(intakes[0], request_id="after-restart"))
        checks.check(r.status == 200, "the restarted server decides over HTTP", repr(r))
        again.stop(checks)
    finally:
        again.kill()
    rows_after = common.audit_rows(db)
    ids_after = {r["decision_id"] for r in rows_after}
    checks.check(all(d in ids_after for d, _ in received), "after the restart every received decision is still logged")
    checks.check(rows_after[-1]["request_id"] == "after-restart" and len(rows_after) == len(rows) + 1,
                 "the new decision follows the crashed log's rows")
    rc, verified, _, output = common.audit_verify(binary, db)
    checks.check(rc == 0 and verified == len(rows_after), "`triage audit verify` passes across the crash",
                 output[-800:])


if __name__ == "__main__":
    sys.exit(common.run_main("http_durability_test", run, 90, "triage-http-durability-"))
