#!/usr/bin/env python3
"""`triage audit report --pg`: the report over the central PostgreSQL store equals the union of the
replicas' local reports.

usage: report_central_test.py TRIAGE_BINARY SOURCE_DIR   (TRIAGE_TESTS_BINARY names triage_tests)

Writes the report fixture (tests/report/report_fixture.cpp, untampered) through `triage_tests
"[.report-fixture]"`, starts a private PostgreSQL 15 cluster as tests/central/central_test.py does
(as `nobody`, Unix socket only, always stopped), ships replicas a and c into it with `triage audit
ship`, then checks:
  - the central report's figures (decisions per day and tier, replicas, red flags, techniques,
    ruleset changes, anomalies) equal those of `--log a --log c`, and each count is the sum of the
    two one-log reports (--show-small-counts, so every count is exact);
  - `--pg --replica replica-a` equals the report of log a alone;
  - integrity per replica comes from `verify --pg`;
  - the clinicians' feedback travels with the decisions (replica b): its central report equals its
    log's, `verify --pg` follows its chain and catches an edit and a cut-back tail, and the central
    feedback table is append-only.
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "central"))
import interop_common as common  # noqa: E402
from central_test import Postgres  # noqa: E402
from interop_common import Failure, log  # noqa: E402

# The figures that come from decisions and rulesets, which the central store keeps in full.
DECISION_PARTS = ("decisions", "red_flags", "self_care", "ruleset_changes", "anomalies")


def report(binary, out, *args):
    run = subprocess.run([binary, "audit", "report", "--show-small-counts", "--json", out] + list(args),
                         capture_output=True, text=True, timeout=common.scaled(120), env=common.child_env())
    if run.returncode != 0:
        raise Failure("triage audit report %s failed:\n%s%s" % (" ".join(args), run.stdout, run.stderr))
    with open(out) as f:
        return json.load(f)


def rulesets_without_load_times(figures):
    # Loaded (first stored) is when each store first saw the ruleset: the replica's start, the
    # shipper's first batch. Everything else about a ruleset is the same.
    return [{k: v for k, v in r.items() if k != "stored_at"} for r in figures["rulesets"]]


def summed(a, b):
    """Adds two reports' per-day and per-outcome counts."""
    days = {}
    for figures in (a, b):
        for day in figures["decisions"]["by_day"]:
            entry = days.setdefault(day["day"], {})
            for key, value in day.items():
                if isinstance(value, int):
                    entry[key] = entry.get(key, 0) + value
    outcomes = {k: a["decisions"]["by_outcome"][k] + b["decisions"]["by_outcome"][k] for k in a["decisions"]["by_outcome"]}
    return days, outcomes


def run(binary, source_dir, tmp, checks):
    tests_binary = os.environ.get("TRIAGE_TESTS_BINARY", "")
    fixture = os.path.join(tmp, "fixture")
    made = subprocess.run([tests_binary, "[.report-fixture]"], cwd=source_dir, capture_output=True, text=True,
                          env=dict(os.environ, TRIAGE_REPORT_FIXTURE=fixture), timeout=common.scaled(120))
    if made.returncode != 0:
        raise Failure("writing the fixture failed:\n" + made.stdout + made.stderr)
    log_a, log_c = os.path.join(fixture, "replica-a.db"), os.path.join(fixture, "replica-c.db")
    pg = Postgres(os.path.join(tmp, "pg"))
    try:
        pg.init()
        pg.start()
        url = pg.url()
        for db in (log_a, log_c):
            shipped = subprocess.run([binary, "audit", "ship", "--db", db, "--to", url], capture_output=True,
                                     text=True, timeout=common.scaled(60), env=common.child_env())
            if shipped.returncode != 0:
                raise Failure("shipping %s failed:\n%s%s" % (db, shipped.stdout, shipped.stderr))
        central = report(binary, os.path.join(tmp, "central.json"), "--pg", url)
        local = report(binary, os.path.join(tmp, "local.json"), "--log", log_a, "--log", log_c)
        only_a = report(binary, os.path.join(tmp, "a.json"), "--log", log_a)
        only_c = report(binary, os.path.join(tmp, "c.json"), "--log", log_c)
        central_a = report(binary, os.path.join(tmp, "central_a.json"), "--pg", url, "--replica", "replica-a")

        checks.check(central["source"] == "postgresql" and local["source"] == "sqlite", "each report names its store")
        for part in DECISION_PARTS:
            checks.check(central[part] == local[part], "central %s equal the local reports' union" % part,
                         "central: %s\nlocal:   %s" % (json.dumps(central[part])[:600], json.dumps(local[part])[:600]))
        checks.check(rulesets_without_load_times(central) == rulesets_without_load_times(local),
                     "the same rulesets in service (versions, spans, counts)")
        days, outcomes = summed(only_a, only_c)
        central_days = {d["day"]: {k: v for k, v in d.items() if isinstance(v, int)} for d in central["decisions"]["by_day"]}
        checks.check(central_days == days, "each day's counts are replica a's plus replica c's")
        checks.check(central["decisions"]["by_outcome"] == outcomes, "each outcome's count is a's plus c's")
        checks.check(central["decisions"]["total"] == 800, "800 decisions from two replicas",
                     str(central["decisions"]["total"]))
        for part in ("decisions", "red_flags", "self_care"):
            checks.check(central_a[part] == only_a[part], "--pg --replica replica-a equals log a's %s" % part)
        sources = [(s["source"], s["ok"], s["verified"]) for s in central["integrity"]["sources"]]
        checks.check(sources == [("replica replica-a", True, 400), ("replica replica-c", True, 400)],
                     "integrity per replica from verify --pg", str(sources))
        checks.check(central["feedback"]["available"] is True and central["feedback"] == local["feedback"],
                     "replicas a and c had no feedback, centrally as locally")
        # Replica b's clinicians gave feedback on 16 cards: it travels with b's decisions.
        log_b = os.path.join(fixture, "replica-b.db")
        shipped = subprocess.run([binary, "audit", "ship", "--db", log_b, "--to", url, "--format", "json"],
                                 capture_output=True, text=True, timeout=common.scaled(60), env=common.child_env())
        result = json.loads(shipped.stdout or "{}")
        checks.check(shipped.returncode == 0 and result.get("feedback_shipped") == 16 and
                     result.get("feedback_central_seq") == 16,
                     "shipping replica b sends its 16 feedback entries", shipped.stdout + shipped.stderr)
        central_b = report(binary, os.path.join(tmp, "central_b.json"), "--pg", url, "--replica", "replica-b")
        only_b = report(binary, os.path.join(tmp, "b.json"), "--log", log_b)
        checks.check(only_b["feedback"]["entries"] == 16 and central_b["feedback"] == only_b["feedback"],
                     "the clinicians' feedback travels with the decisions: replica b's central report equals its log's",
                     "central: %s\nlocal:   %s" % (json.dumps(central_b["feedback"])[:600], json.dumps(only_b["feedback"])[:600]))
        # Verified at the centre like the decisions: its own chain, and the accepted head kept.
        def verify_b():
            run = subprocess.run([binary, "audit", "verify", "--pg", url, "--replica", "replica-b", "--format", "json"],
                                 capture_output=True, text=True, timeout=common.scaled(60), env=common.child_env())
            verdicts = json.loads(run.stdout or "{}").get("replicas", [{}])
            return run.returncode, verdicts[0] if verdicts else {}
        code, verdict = verify_b()
        checks.check(code == 0 and verdict.get("ok") and verdict.get("feedback_verified") == 16 and
                     verdict.get("feedback_head_seq") == 16,
                     "verify --pg follows replica b's feedback chain (16 entries) and accepts its head", repr(verdict))
        tamper = "SET session_replication_role = replica; "  # a DBA bypassing the append-only triggers
        pg.sql(tamper + "UPDATE triage_feedback SET override_comment = override_comment || ' (edited)' WHERE replica_id = 'replica-b' AND seq = 3")
        code, verdict = verify_b()
        checks.check(code != 0 and not verdict.get("ok") and verdict.get("problem", "").startswith("feedback 3 "),
                     "an edited feedback entry at the centre is named by verify --pg", repr(verdict))
        pg.sql(tamper + "DELETE FROM triage_feedback WHERE replica_id = 'replica-b' AND seq >= 3")
        code, verdict = verify_b()
        checks.check(code != 0 and "feedback head accepted earlier (entry 16)" in verdict.get("problem", ""),
                     "feedback cut back at the centre (the tail, chain still whole) fails against the accepted head",
                     repr(verdict))
        denied = pg.sql("DELETE FROM triage_feedback", check=False)
        checks.check(denied.returncode != 0 and "append-only" in denied.stderr,
                     "the central feedback table is append-only", denied.stderr)
        rules = [a["rule"] for a in central["anomalies"]]
        checks.check("ruleset_change" in rules and "emergency_day" in rules, "the anomalies are found centrally too",
                     str(rules))
        log("central report: %d decisions, %d anomalies" % (central["decisions"]["total"], len(central["anomalies"])))
    finally:
        if pg.running():
            pg.stop("immediate")


if __name__ == "__main__":
    sys.exit(common.run_main("report_central_test", run, 150, "triage-report-central-"))
