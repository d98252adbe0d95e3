#!/usr/bin/env python3
"""Interop test: a Python gRPC client against `triage serve`.

usage: python3 python_client_test.py TRIAGE_BINARY SOURCE_DIR

Compiles SOURCE_DIR/proto/triage/v1/triage.proto for Python, starts `triage serve` on a free
127.0.0.1 port with a fresh audit database, waits for the standard health check to answer
SERVING, and then checks that:

  a. GetQuestionnaire types every example intake (rules/examples/*.json) into AnswerValues;
  b. Evaluate of each example equals `triage eval` of the same file (apart from decision_id,
     decided_at and request_id), and echoes the request_id;
     (also two extra intakes, no answers and an empty set, and 40 concurrent calls);
  c. GetRuleset names the same ruleset (hash, files, sizes) and has positive counts;
  d. bad answers give INVALID_ARGUMENT naming the fact, oversized requests RESOURCE_EXHAUSTED,
     a request_id over 128 characters INVALID_ARGUMENT (128 non-ASCII characters are accepted);
  e. every returned decision is in the audit log (decisions table) with the right ruleset hash,
     client, request_id, answers, decision and an intact hash chain; no patient answer reaches
     the server's log (neither from decided calls nor echoed from refused ones), and a request_id
     cannot forge log lines;
  f. SIGTERM stops the server, with a client still connected, with exit status 0 within 15 s.

Exit status 0 when everything holds; otherwise every failed check is printed and the status is 1.
Only the standard library, grpc and grpc_tools (or, when the installed grpc_tools is too old for
proto3 `optional`, the system `protoc`) are used. Network: 127.0.0.1 only.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_common as common  # noqa: E402

# `python3` on PATH may lack the Debian grpc packages: then this runs again under /usr/bin/python3.
common.require_grpc()

import difflib  # noqa: E402
import glob  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

import grpc  # noqa: E402

from interop_common import (Client, Failure, child_env, compile_protos, log, timestamp_micros,  # noqa: E402
                            to_answer_values)

TOTAL_BUDGET_S = 55        # the whole test must end well inside CTest's 60 s
HEALTH_TIMEOUT_S = 20
STOP_TIMEOUT_S = 15
RPC_TIMEOUT_S = common.scaled(10)


# ------------------------------------------------------------------------------------------------
# Helpers

def decision_record(decision):
    """The audit log's canonical record of a Decision (see src/api/decision_record.hpp)."""
    record = {"outcome": decision["outcome"]}
    if "urgency" in decision:
        record["urgency"] = decision["urgency"]
    record["red_flags"] = [flag["rule"] for flag in decision["red_flags"]]
    record["missing"] = list(decision["missing"])
    record["plan"] = [{"technique": item["technique"], "why": [w["rule"] for w in item["why"]],
                       "cautions": [c["rule"] for c in item["cautions"]]} for item in decision["plan"]]
    record["excluded"] = [{"technique": e["technique"], "reasons": [r["rule"] for r in e["reasons"]]}
                          for e in decision["excluded"]]
    record["cautions"] = [c["rule"] for c in decision["cautions"]]
    if decision.get("refine"):  # version 2; absent when empty, so version-1 records keep their bytes
        record["refine"] = list(decision["refine"])
    return record


def message_to_dict(message):
    from google.protobuf import json_format
    return json_format.MessageToDict(message, preserving_proto_field_name=True,
                                     including_default_value_fields=True)


def strip_volatile(decision):
    d = dict(decision)
    for key in ("decision_id", "decided_at", "request_id"):
        d.pop(key, None)
    return d


def json_diff(expected, actual, expected_name, actual_name):
    a = json.dumps(expected, indent=2, sort_keys=True, ensure_ascii=False).splitlines()
    b = json.dumps(actual, indent=2, sort_keys=True, ensure_ascii=False).splitlines()
    lines = list(difflib.unified_diff(a, b, expected_name, actual_name, lineterm="", n=3))
    if len(lines) > 80:
        lines = lines[:80] + ["... (%d more diff lines)" % (len(lines) - 80)]
    return "\n".join(lines)


def expect_status(checks, call, request, code, must_contain, what):
    """Sends `request`, expects the RPC to fail with `code` and details containing every string of
    `must_contain`."""
    try:
        reply = call(request, timeout=RPC_TIMEOUT_S)
    except grpc.RpcError as e:
        got_code, details = e.code(), e.details() or ""
        ok = got_code == code and all(s in details for s in must_contain)
        checks.check(ok, "%s: expected %s with a message containing %s" % (what, code.name, must_contain),
                     "  got %s: %s" % (got_code.name, details[:500]))
        return details
    checks.check(False, "%s: expected %s, but the call succeeded" % (what, code.name),
                 "  outcome=%s decision_id=%s" % (reply.outcome, reply.decision_id))
    return None


def ruleset_hash_of(folder):
    """README: sha256 over each file's name, a newline, its size in decimal, a newline and its bytes,
    in sorted file-name order (every *.rules file of the folder)."""
    h = hashlib.sha256()
    for path in sorted(glob.glob(os.path.join(folder, "*.rules")), key=lambda p: os.path.basename(p)):
        with open(path, "rb") as f:
            data = f.read()
        h.update(os.path.basename(path).encode() + b"\n" + str(len(data)).encode() + b"\n" + data)
    return "sha256:" + h.hexdigest()


# ------------------------------------------------------------------------------------------------
# The test

def run(binary, source_dir, tmp, checks):
    rules = os.path.join(source_dir, "rules")
    examples = common.example_intakes(rules)

    started = time.monotonic()
    pb, health_pb = compile_protos(source_dir, os.path.join(tmp, "gen"))
    log("compiled the protos in %.1f s" % (time.monotonic() - started))

    # What `triage eval` says, computed before the server runs.
    eval_out = {}
    for path in examples:
        run_eval = subprocess.run([binary, "eval", "--rules", rules, "--intake", path], capture_output=True,
                                  text=True, timeout=common.scaled(20), env=child_env())
        if run_eval.returncode != 0:
            raise Failure("`triage eval --intake %s` exited %d: %s" % (path, run_eval.returncode, run_eval.stderr))
        try:
            eval_out[path] = json.loads(run_eval.stdout)
        except ValueError as e:
            raise Failure("`triage eval --intake %s` printed no JSON (%s):\n%s" % (path, e, run_eval.stdout[:500]))
    # Two intakes the examples do not cover: no answers at all, and empty sets (an answer: "none").
    extra = [("no answers", {})]
    base_example = os.path.join(rules, "examples", "self_care_lower_back.json")
    if os.path.exists(base_example):
        with open(base_example) as f:
            answers = json.load(f)["answers"]
        answers["equipment"] = []
        extra.append(("empty equipment set", answers))
    extra_eval = []
    for label, answers in extra:
        run_eval = subprocess.run([binary, "eval", "--rules", rules, "--intake", "-"], capture_output=True,
                                  text=True, timeout=common.scaled(20), env=child_env(), input=json.dumps({"answers": answers}))
        if run_eval.returncode != 0:
            raise Failure("`triage eval` of %s exited %d: %s" % (label, run_eval.returncode, run_eval.stderr))
        extra_eval.append((label, answers, json.loads(run_eval.stdout)))

    server = common.Server(binary, rules, tmp, os.path.join(tmp, "audit", "audit.db"), name="server",
                           log_name="server.log")
    channel = None
    try:
        server.start()
        channel = common.insecure_channel(server.address())
        client = Client(channel, pb, health_pb)
        common.wait_serving(client, server, HEALTH_TIMEOUT_S)
        log("server SERVING on %s after %.1f s" % (server.address(), time.monotonic() - started))

        # a. The questionnaire, and `triage schema` agrees with it.
        questionnaire = client.get_questionnaire(pb.GetQuestionnaireRequest(), timeout=RPC_TIMEOUT_S)
        questions = {q.fact: q for q in questionnaire.questions}
        checks.check(len(questions) > 0, "GetQuestionnaire returns questions")
        schema = subprocess.run([binary, "schema", "--rules", rules], capture_output=True, text=True, timeout=common.scaled(20),
                                env=child_env())
        if checks.check(schema.returncode == 0, "`triage schema` exits 0", schema.stderr):
            expected = json.loads(schema.stdout)
            actual = message_to_dict(questionnaire)
            checks.check(expected == actual, "GetQuestionnaire equals `triage schema`",
                         json_diff(expected, actual, "triage schema", "GetQuestionnaire"))

        # b. Every example through Evaluate equals `triage eval`.
        returned = []  # (decision message, answers JSON, request_id, client)
        for n, path in enumerate(examples):
            name = os.path.basename(path)
            with open(path) as f:
                answers = json.load(f)["answers"]
            # Request ids are written to the server log: keep answer words (fact and value names) out.
            request_id = "interop-example-%02d" % n
            request = pb.EvaluateRequest(answers=to_answer_values(pb, questions, answers, name),
                                         request_id=request_id)
            # Every other call names its client in metadata; the rest are known by their address.
            metadata = (("x-client-id", "interop-kiosk-%d" % n),) if n % 2 == 0 else None
            try:
                reply = client.evaluate(request, timeout=RPC_TIMEOUT_S, metadata=metadata)
            except grpc.RpcError as e:
                checks.check(False, "Evaluate(%s) succeeds" % name, "  got %s: %s" % (e.code().name, e.details()))
                continue
            got = message_to_dict(reply)
            want = eval_out[path]
            checks.check(reply.request_id == request_id, "Evaluate(%s) echoes request_id" % name,
                         "  sent %r, got %r" % (request_id, reply.request_id))
            checks.check(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                                      reply.decision_id) is not None,
                         "Evaluate(%s) returns a UUID v4 decision_id" % name, "  got %r" % reply.decision_id)
            checks.check(reply.HasField("decided_at") and reply.decided_at.seconds > 0,
                         "Evaluate(%s) sets decided_at" % name)
            checks.check(strip_volatile(got) == strip_volatile(want),
                         "Evaluate(%s) equals `triage eval` (without decision_id, decided_at, request_id)" % name,
                         json_diff(strip_volatile(want), strip_volatile(got), "triage eval " + name,
                                   "Evaluate " + name))
            client_name = ("id:interop-kiosk-%d" % n) if metadata else None
            returned.append((reply, answers, request_id, client_name, name))
        for k, (label, answers, want) in enumerate(extra_eval):
            request_id = "interop-extra-%d" % k
            try:
                reply = client.evaluate(pb.EvaluateRequest(answers=to_answer_values(pb, questions, answers, label),
                                                           request_id=request_id), timeout=RPC_TIMEOUT_S)
            except grpc.RpcError as e:
                checks.check(False, "Evaluate(%s) succeeds" % label, "  got %s: %s" % (e.code().name, e.details()))
                continue
            got = message_to_dict(reply)
            checks.check(strip_volatile(got) == strip_volatile(want), "Evaluate(%s) equals `triage eval`" % label,
                         json_diff(strip_volatile(want), strip_volatile(got), "triage eval", "Evaluate"))
            returned.append((reply, answers, request_id, None, label))

        # Concurrent calls: the audit log commits them in groups; each must still be logged and chained.
        burst = []
        for k in range(40):
            path = examples[k % len(examples)]
            with open(path) as f:
                answers = json.load(f)["answers"]
            request_id = "interop-burst-%02d" % k
            future = client.evaluate.future(pb.EvaluateRequest(answers=to_answer_values(pb, questions, answers, path),
                                                               request_id=request_id), timeout=RPC_TIMEOUT_S)
            burst.append((future, answers, request_id, path))
        for future, answers, request_id, path in burst:
            name = "burst %s %s" % (request_id, os.path.basename(path))
            try:
                reply = future.result()
            except grpc.RpcError as e:
                checks.check(False, "Evaluate(%s) succeeds" % name, "  got %s: %s" % (e.code().name, e.details()))
                continue
            got = message_to_dict(reply)
            want = eval_out[path]
            checks.check(strip_volatile(got) == strip_volatile(want) and reply.request_id == request_id,
                         "Evaluate(%s) equals `triage eval`" % name,
                         json_diff(strip_volatile(want), strip_volatile(got), "triage eval", "Evaluate"))
            returned.append((reply, answers, request_id, None, name))
        ids = [r[0].decision_id for r in returned]
        checks.check(len(set(ids)) == len(ids), "every decision_id is unique", "  %d ids, %d distinct"
                     % (len(ids), len(set(ids))))
        log("evaluated %d intakes (%d examples, %d extra, %d concurrent)"
            % (len(returned), len(examples), len(extra_eval), len(burst)))

        # c. The ruleset.
        info = client.get_ruleset(pb.GetRulesetRequest(), timeout=RPC_TIMEOUT_S)
        eval_hashes = {d["ruleset_hash"] for d in eval_out.values()}
        checks.check(eval_hashes == {info.ruleset_hash}, "GetRuleset hash equals `triage eval`'s ruleset_hash",
                     "  GetRuleset %r, eval %r" % (info.ruleset_hash, sorted(eval_hashes)))
        checks.check(questionnaire.ruleset_hash == info.ruleset_hash, "GetQuestionnaire and GetRuleset agree on the hash",
                     "  %r vs %r" % (questionnaire.ruleset_hash, info.ruleset_hash))
        own_hash = ruleset_hash_of(rules)
        checks.check(info.ruleset_hash == own_hash, "GetRuleset hash is the README's hash of the rule files",
                     "  served %r, computed %r" % (info.ruleset_hash, own_hash))
        for field in ("fact_count", "technique_count", "red_flag_count", "rule_count"):
            checks.check(getattr(info, field) > 0, "GetRuleset %s is positive" % field,
                         "  got %d" % getattr(info, field))
        files_on_disk = sorted((os.path.basename(p), os.path.getsize(p))
                               for p in glob.glob(os.path.join(rules, "*.rules")))
        served_files = sorted((f.name, f.size_bytes) for f in info.files)
        checks.check(served_files == files_on_disk, "GetRuleset lists every rule file with its size",
                     "  served %s\n  on disk %s" % (served_files, files_on_disk))
        checks.check(info.HasField("loaded_at") and info.loaded_at.seconds > 0, "GetRuleset sets loaded_at")

        # The log so far holds only accepted decisions; remember where the refusals begin. The
        # server writes its text log in batches (at least every second), so wait for the lines.
        log_deadline = time.time() + 5
        log_before_refusals = server.log_text()
        while (log_before_refusals.count(" decision ") < len(returned)
               and time.time() < log_deadline):
            time.sleep(0.1)
            log_before_refusals = server.log_text()
        accepted_before_refusals = len(returned)

        # d. Bad answers and oversized requests.
        base_path = os.path.join(rules, "examples", "self_care_lower_back.json")
        if not os.path.exists(base_path):
            base_path = examples[0]
        with open(base_path) as f:
            base = to_answer_values(pb, questions, json.load(f)["answers"], os.path.basename(base_path))
        INVALID = grpc.StatusCode.INVALID_ARGUMENT

        def with_answers(changes, request_id="interop-bad"):
            answers = dict(base)
            answers.update(changes)
            return pb.EvaluateRequest(answers=answers, request_id=request_id)

        expect_status(checks, client.evaluate, with_answers({"pain_intensity": pb.AnswerValue(int_value=11)}),
                      INVALID, ["pain_intensity"], "pain_intensity int_value 11 (range 0..10)")
        expect_status(checks, client.evaluate, with_answers({"pain_intensity": pb.AnswerValue(int_value=-1)}),
                      INVALID, ["pain_intensity"], "pain_intensity int_value -1")
        expect_status(checks, client.evaluate,
                      with_answers({"days_since_onset": pb.AnswerValue(int_value=987654321)}),
                      INVALID, ["days_since_onset"], "days_since_onset int_value 987654321 (range 0..36500)")
        expect_status(checks, client.evaluate, with_answers({"pain_intensity": pb.AnswerValue(bool_value=True)}),
                      INVALID, ["pain_intensity"], "pain_intensity given a bool_value")
        expect_status(checks, client.evaluate, with_answers({"nigth_pain": pb.AnswerValue(bool_value=True)}),
                      INVALID, ["nigth_pain", "night_pain"], "unknown fact nigth_pain")
        expect_status(checks, client.evaluate, with_answers({"onset": pb.AnswerValue(enum_value="Sudden")}),
                      INVALID, ["onset"], "onset enum_value 'Sudden' (values are lower case)")
        expect_status(checks, client.evaluate, with_answers({"onset": pb.AnswerValue(int_value=1)}),
                      INVALID, ["onset"], "onset given an int_value")
        expect_status(checks, client.evaluate,
                      with_answers({"pain_areas": pb.AnswerValue(set_value=pb.ValueSet(values=["lower_back",
                                                                                                "left_knee"]))}),
                      INVALID, ["pain_areas"], "pain_areas with the unknown value left_knee")
        expect_status(checks, client.evaluate, with_answers({"night_pain": pb.AnswerValue()}),
                      INVALID, ["night_pain"], "night_pain with no value set")
        expect_status(checks, client.evaluate, with_answers({}, request_id="r" * 129),
                      INVALID, ["request_id"], "request_id of 129 characters (at most 128)")
        # 900 unknown facts (with the base intake, under the 1024-answer cap): a short INVALID_ARGUMENT
        # (the first problems and a count), not a status message so long that this client refuses the
        # trailers (RESOURCE_EXHAUSTED on metadata size).
        many = {"unknown_fact_%04d" % i: pb.AnswerValue(bool_value=True) for i in range(900)}
        expect_status(checks, client.evaluate, with_answers(many), INVALID, ["unknown_fact_0000", "more"],
                      "900 unknown facts")
        big = "x" * (200 * 1024)
        expect_status(checks, client.evaluate, with_answers({}, request_id=big),
                      grpc.StatusCode.RESOURCE_EXHAUSTED, [], "request_id of 200 KB")
        expect_status(checks, client.evaluate, with_answers({"onset": pb.AnswerValue(enum_value=big)}),
                      grpc.StatusCode.RESOURCE_EXHAUSTED, [], "enum answer string of 200 KB")
        # The server is still healthy and deciding after the refusals.
        health = client.health_check(health_pb.HealthCheckRequest(service=""), timeout=RPC_TIMEOUT_S)
        checks.check(health.status == health_pb.HealthCheckResponse.SERVING, "still SERVING after the refusals",
                     "  status %s" % health.status)
        try:
            reply = client.evaluate(with_answers({}, request_id="interop-after-refusals"), timeout=RPC_TIMEOUT_S)
            checks.check(reply.outcome != pb.OUTCOME_UNSPECIFIED, "Evaluate works after the refusals")
            with open(base_path) as f:
                returned.append((reply, json.load(f)["answers"], "interop-after-refusals", None, "after refusals"))
        except grpc.RpcError as e:
            checks.check(False, "Evaluate works after the refusals", "  got %s: %s" % (e.code().name, e.details()))

        # request_id limits are in characters (triage.proto: "At most 128 characters"), not UTF-8 bytes.
        accented = "\u00e9" * 128  # 128 characters, 256 bytes
        try:
            reply = client.evaluate(with_answers({}, request_id=accented), timeout=RPC_TIMEOUT_S)
            checks.check(reply.request_id == accented, "a 128-character non-ASCII request_id is echoed")
            with open(base_path) as f:
                returned.append((reply, json.load(f)["answers"], accented, None, "128 non-ASCII characters"))
        except grpc.RpcError as e:
            checks.check(False, "a request_id of 128 characters (256 UTF-8 bytes) is accepted: the limit is "
                         "128 characters", "  got %s: %s" % (e.code().name, e.details()))

        # A request_id cannot forge lines in the server log.
        forged = "interop-forge\n2026-01-01T00:00:00.000000Z\tinfo\tdecision\tforged_by_request_id"
        try:
            reply = client.evaluate(with_answers({}, request_id=forged), timeout=RPC_TIMEOUT_S)
            with open(base_path) as f:
                returned.append((reply, json.load(f)["answers"], forged, None, "request_id with a newline"))
        except grpc.RpcError as e:
            # Refusing such an id is fine too.
            checks.check(e.code() == INVALID, "a request_id with a newline is decided or refused as "
                         "INVALID_ARGUMENT", "  got %s: %s" % (e.code().name, e.details()))

        # e. The audit log holds every returned decision, as returned.
        rows = common.audit_rows(server.audit_db)
        by_id = {r["decision_id"]: r for r in rows}
        checks.check(len(rows) == len(returned), "the audit log holds exactly the %d accepted decisions" % len(returned),
                     "  it holds %d rows (refused calls must not be logged as decisions)" % len(rows))
        for reply, answers, request_id, client_name, name in returned:
            row = by_id.get(reply.decision_id)
            if not checks.check(row is not None, "decision %s (%s) is in the audit log" % (reply.decision_id, name)):
                continue
            checks.check(row["ruleset_hash"] == info.ruleset_hash, "audit row of %s has the served ruleset_hash" % name,
                         "  got %r" % row["ruleset_hash"])
            checks.check(row["request_id"] == request_id, "audit row of %s has the request_id" % name,
                         "  got %r" % row["request_id"])
            if client_name:
                checks.check(row["client"] == client_name, "audit row of %s names the client %s" % (name, client_name),
                             "  got %r" % row["client"])
            else:
                checks.check(row["client"].startswith("peer:") and "127.0.0.1" in row["client"],
                             "audit row of %s names the peer address" % name, "  got %r" % row["client"])
            try:
                logged_answers = json.loads(row["answers"])
                logged_decision = json.loads(row["decision"])
            except ValueError as e:
                checks.check(False, "audit row of %s holds JSON answers and decision" % name, "  %s" % e)
                continue
            checks.check(logged_answers == answers, "audit row of %s holds the answers sent" % name,
                         json_diff(answers, logged_answers, "sent", "audit answers"))
            # The log keeps the decision's canonical record: what was decided, by id (the texts come
            # from the ruleset stored beside it).
            expected_record = decision_record(message_to_dict(reply))
            checks.check(logged_decision == expected_record, "audit row of %s holds the decision returned" % name,
                         json_diff(expected_record, logged_decision, "returned", "audit decision"))
            reply_micros = reply.decided_at.seconds * 1000000 + reply.decided_at.nanos // 1000
            checks.check(timestamp_micros(row["decided_at"]) == reply_micros,
                         "audit row of %s has the decision's decided_at" % name,
                         "  row %r, reply %s" % (row["decided_at"], reply.decided_at.ToJsonString()))
        common.check_chain(checks, rows)

        # e. No patient answer in the server's log. While only valid intakes were decided, neither
        # the facts answered nor any answer text may appear (a decision line names the decision,
        # the outcome and the client, never what the patient said).
        sensitive = set()
        for _, answers, _, _, _ in returned:
            for fact, value in answers.items():
                sensitive.add(fact)
                if isinstance(value, str):
                    sensitive.add(value)
                elif isinstance(value, list):
                    sensitive.update(value)
        sensitive.update(["leg_below_knee", "pain_areas"])
        leaked = sorted(w for w in sensitive
                        if re.search(r"(?<![A-Za-z0-9_])%s(?![A-Za-z0-9_])" % re.escape(w), log_before_refusals))
        leaking_lines = [line for line in log_before_refusals.splitlines()
                         if any(re.search(r"(?<![A-Za-z0-9_])%s(?![A-Za-z0-9_])" % re.escape(w), line)
                                for w in leaked)]
        checks.check(not leaked, "the server log of accepted decisions holds no patient answers",
                     "  found %s in:\n    %s" % (leaked, "\n    ".join(leaking_lines[:10])))
        decision_lines = [line for line in log_before_refusals.splitlines() if " decision " in line]
        checks.check(len(decision_lines) == accepted_before_refusals,
                     "the server logs one decision line per accepted call",
                     "  %d lines for %d calls" % (len(decision_lines), accepted_before_refusals))
        # A refused call's reason may name the fact, but must not echo what the patient answered.
        log_refusals = server.log_text()[len(log_before_refusals):]
        for value in ("left_knee", "Sudden", "987654321", big[:64]):
            checks.check(value not in log_refusals,
                         "the server log of refused calls does not echo the rejected answer %r" % value[:20],
                         "  in:\n    " + "\n    ".join(l[:300] for l in log_refusals.splitlines() if value in l))

        line_start = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z (trace|debug|info|warning|error|critical) ")
        stray = [l for l in server.log_text().splitlines() if not line_start.match(l)]
        checks.check(not stray, "every server log line is a whole log record (no line forged through a request_id)",
                     "  lines not starting with a timestamp and level:\n    "
                     + "\n    ".join(repr(l[:200]) for l in stray[:10]))

        # f. SIGTERM stops the server with status 0, with a client still connected (as a kiosk is).
        server.stop(checks, STOP_TIMEOUT_S)
    finally:
        if channel is not None:
            channel.close()
        server.kill()


if __name__ == "__main__":
    sys.exit(common.run_main("python_client_test", run, TOTAL_BUDGET_S, "triage-interop-"))
