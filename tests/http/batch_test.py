#!/usr/bin/env python3
"""EvaluateBatch end to end: `triage serve --http-listen`, batches over POST /v1/evaluate-batch and
Connect's /triage.v1.TriageService/EvaluateBatch, then the audit log checked by the auditor tools.

usage: python3 batch_test.py TRIAGE_BINARY SOURCE_DIR

  - every example intake in one batch (with a bad intake and a non-intake among them): each good
    intake's decision is what `triage eval` prints, key for key; the bad ones are errors in place
  - each decision is its own audit record (its decision_id, request_id "<batch id>#<index>" or the
    intake's own, the client), and nothing was logged for the refused intakes
  - `triage audit verify` passes on the log and `triage audit replay` re-makes every logged
    decision unchanged
Network: 127.0.0.1 only. Exit 0 when everything holds; each failed check is printed.
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import http_common as hc  # noqa: E402
from http_service_test import cli_eval, same_shape  # noqa: E402

common = hc.common


def run(binary, source_dir, tmp, checks):
    rules = os.path.join(source_dir, "rules")
    server = hc.start_server(binary, source_dir, tmp, name="batch server",
                             extra_args=["--max-request-bytes", str(1 << 20)])
    examples = common.example_intakes(rules)
    answered = {}  # decision_id -> request_id
    try:
        intakes = [json.load(open(path)) for path in examples]
        intakes[1]["request_id"] = "own-id"
        bad_at, unreadable_at = 3, 5
        intakes.insert(bad_at, {"answers": {"pain_intensity": 11}})
        intakes.insert(unreadable_at, ["not", "an", "intake"])
        r = hc.call(server.http_port, "POST", "/v1/evaluate-batch", {"request_id": "list-7", "intakes": intakes},
                    {"X-Client-Id": "clinic-3"})
        results = (r.json or {}).get("results") if r.status == 200 else None
        if checks.check(isinstance(results, list) and len(results) == len(intakes),
                        "POST /v1/evaluate-batch: 200 with one result per intake", repr(r)):
            example = iter(examples)
            for index, result in enumerate(results):
                if index in (bad_at, unreadable_at):
                    error = result.get("error") or {}
                    checks.check(error.get("code") == "invalid_argument" and "decision" not in result,
                                 "intake %d is refused on its own" % index, repr(result)[:300])
                    continue
                path = next(example)
                decision = result.get("decision")
                if not checks.check(decision is not None, "%s: decided in the batch" % os.path.basename(path),
                                    repr(result)[:300]):
                    continue
                _, out, _ = cli_eval(binary, rules, open(path).read())
                difference = same_shape(decision, json.loads(out))
                checks.check(difference is None, "%s: the batch's decision is what `triage eval` prints" %
                             os.path.basename(path), "  " + str(difference))
                expected_id = "own-id" if index == 1 else "list-7#%d" % index
                checks.check(decision["request_id"] == expected_id, "intake %d's request_id is %s" % (index, expected_id),
                             decision["request_id"])
                answered[decision["decision_id"]] = expected_id
            errors = results[bad_at].get("error") or {}
            checks.check([d.get("fact") for d in errors.get("details", [])] == ["pain_intensity"],
                         "the bad intake's error names the fact in its details", repr(errors))
        # Connect: the protobuf JSON of EvaluateBatchRequest, twice 10 intakes.
        for round_ in range(2):
            body = {"requestId": "connect-%d" % round_,
                    "intakes": [{"answers": {"bladder_or_bowel_change": {"boolValue": True}}}] * 10}
            r = hc.call(server.http_port, "POST", "/triage.v1.TriageService/EvaluateBatch", body,
                        {"Connect-Protocol-Version": "1", "X-Client-Id": "clinic-3"})
            results = (r.json or {}).get("results") if r.status == 200 else None
            if checks.check(isinstance(results, list) and len(results) == 10 and
                            all(x.get("decision", {}).get("outcome") == "refer" for x in results),
                            "Connect EvaluateBatch: 10 referrals", repr(r)):
                for x in results:
                    answered[x["decision"]["decision_id"]] = x["decision"]["request_id"]
        server.stop(checks)
    finally:
        server.kill()

    rows = common.audit_rows(server.audit_db)
    by_id = {row["decision_id"]: row for row in rows}
    checks.check(len(answered) == len(examples) + 20 and set(by_id) == set(answered),
                 "every decision of every batch is its own audit record, and nothing else is logged",
                 "  %d answered, %d rows" % (len(answered), len(rows)))
    checks.check(all(by_id[d]["request_id"] == rid and by_id[d]["client"] == "id:clinic-3"
                     for d, rid in answered.items() if d in by_id),
                 "each record holds its item's request_id and the batch's client")
    verify = common.audit_verify(binary, server.audit_db)
    checks.check(verify[0] == 0 and verify[1] == len(rows), "triage audit verify passes on the batch server's log",
                 verify[3])
    replay = subprocess.run([binary, "audit", "replay", "--db", server.audit_db, "--format", "json"],
                            capture_output=True, text=True, timeout=common.scaled(60), env=common.child_env())
    report = json.loads(replay.stdout) if replay.returncode == 0 and replay.stdout.startswith("{") else {}
    checks.check(report.get("replayed") == len(rows) and report.get("unchanged") == len(rows),
                 "triage audit replay re-makes every batch decision unchanged",
                 "  exit %d: %s %s" % (replay.returncode, replay.stdout[:300], replay.stderr[:300]))


if __name__ == "__main__":
    sys.exit(common.run_main("batch_test", run, 60, "triage-batch-"))
