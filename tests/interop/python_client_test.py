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

# `python3` on PATH may be an interpreter without the Debian grpc packages (for example a pyenv
# shim); the system interpreter has them.
try:
    import grpc  # noqa: F401
except ImportError:
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != os.path.realpath(
            "/usr/bin/python3") and not os.environ.get("TRIAGE_INTEROP_REEXEC"):
        os.environ["TRIAGE_INTEROP_REEXEC"] = "1"
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    print("FAIL: the Python grpc module is not installed (Debian: python3-grpcio)", file=sys.stderr)
    sys.exit(1)

import difflib
import glob
import hashlib
import importlib
import json
import re
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time

import grpc

TOTAL_BUDGET_S = 55        # the whole test must end well inside CTest's 60 s
HEALTH_TIMEOUT_S = 20
STOP_TIMEOUT_S = 15
RPC_TIMEOUT_S = 10

HEALTH_PROTO = """\
syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse {
  enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
  ServingStatus status = 1;
}
service Health { rpc Check(HealthCheckRequest) returns (HealthCheckResponse); }
"""


class Failure(Exception):
    pass


class Checks:
    """Collects failed checks so one run reports all of them."""

    def __init__(self):
        self.failures = []
        self.passed = 0

    def check(self, condition, what, detail=""):
        if condition:
            self.passed += 1
        else:
            message = what + (("\n" + detail) if detail else "")
            self.failures.append(message)
            print("FAIL: " + message, flush=True)
        return condition


def log(message):
    print(message, flush=True)


def child_env():
    """The environment for triage processes: no TRIAGE_* settings leaking in, no proxies."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TRIAGE_") and k.lower() not in ("http_proxy", "https_proxy", "grpc_proxy",
                                                                 "all_proxy")}
    env["no_proxy"] = env["NO_PROXY"] = "127.0.0.1,localhost"
    return env


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------------------------------------
# Code generation

def compile_protos(source_dir, out_dir):
    """Generates triage/v1/triage_pb2.py (and health_pb2.py when grpc_health is missing) in out_dir.

    Service stubs are not generated: calls go through channel.unary_unary with the messages'
    own serializers, which works with any code generator."""
    proto_dir = os.path.join(source_dir, "proto")
    health_dir = os.path.join(out_dir, "health_proto")
    os.makedirs(os.path.join(health_dir, "grpc_interop_health"), exist_ok=True)
    with open(os.path.join(health_dir, "grpc_interop_health", "health.proto"), "w") as f:
        f.write(HEALTH_PROTO)

    jobs = [(proto_dir, "triage/v1/triage.proto")]
    try:
        importlib.import_module("grpc_health.v1.health_pb2")
        need_health = False
    except ImportError:
        need_health = True
        jobs.append((health_dir, "grpc_interop_health/health.proto"))

    errors = []
    compiled = False
    try:
        from grpc_tools import protoc
        import grpc_tools
        wkt = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
        ok = True
        for include, proto in jobs:
            # The compiler writes its messages to file descriptor 2: keep them for the report.
            with tempfile.TemporaryFile() as captured:
                sys.stderr.flush()
                saved = os.dup(2)
                os.dup2(captured.fileno(), 2)
                try:
                    rc = protoc.main(["protoc", "-I" + include, "-I" + wkt, "--python_out=" + out_dir, proto])
                finally:
                    os.dup2(saved, 2)
                    os.close(saved)
                captured.seek(0)
                messages = captured.read().decode("utf-8", "replace").strip()
            if rc != 0:
                ok = False
                first = messages.splitlines()[0] if messages else ""
                errors.append("grpc_tools.protoc failed on %s (exit %d: %s)" % (proto, rc, first))
                break
        compiled = ok
    except ImportError as e:
        errors.append("grpc_tools is not importable: %s" % e)

    if not compiled:
        # Debian bookworm's python3-grpc-tools 1.14 bundles protoc 3.6, which refuses proto3
        # `optional` (Decision.urgency, Question.min/max/urgency). The system protoc knows it.
        import shutil
        protoc_bin = shutil.which("protoc")
        if not protoc_bin:
            raise Failure("cannot compile the protos: " + "; ".join(errors) + "; and no `protoc` on PATH")
        log("note: " + "; ".join(errors) + " -> using " + protoc_bin)
        for include, proto in jobs:
            run = subprocess.run([protoc_bin, "-I" + include, "--python_out=" + out_dir, proto],
                                 capture_output=True, text=True, timeout=30)
            if run.returncode != 0:
                raise Failure("protoc failed on %s:\n%s" % (proto, run.stderr))

    sys.path.insert(0, out_dir)
    triage_pb2 = importlib.import_module("triage.v1.triage_pb2")
    if need_health:
        health_pb2 = importlib.import_module("grpc_interop_health.health_pb2")
    else:
        health_pb2 = importlib.import_module("grpc_health.v1.health_pb2")
    return triage_pb2, health_pb2


class Client:
    def __init__(self, channel, pb, health_pb):
        def unary(path, request_cls, response_cls):
            return channel.unary_unary(path, request_serializer=request_cls.SerializeToString,
                                       response_deserializer=response_cls.FromString)

        self.evaluate = unary("/triage.v1.TriageService/Evaluate", pb.EvaluateRequest, pb.Decision)
        self.get_questionnaire = unary("/triage.v1.TriageService/GetQuestionnaire", pb.GetQuestionnaireRequest,
                                       pb.Questionnaire)
        self.get_ruleset = unary("/triage.v1.TriageService/GetRuleset", pb.GetRulesetRequest, pb.RulesetInfo)
        self.health_check = unary("/grpc.health.v1.Health/Check", health_pb.HealthCheckRequest,
                                  health_pb.HealthCheckResponse)


# ------------------------------------------------------------------------------------------------
# Server

class Server:
    def __init__(self, binary, rules, work_dir):
        self.binary = binary
        self.rules = rules
        self.work_dir = work_dir
        self.audit_db = os.path.join(work_dir, "audit", "audit.db")
        self.log_path = os.path.join(work_dir, "server.log")
        self.process = None
        self.port = None
        self.log_file = None

    def start(self):
        for attempt in range(3):
            self.port = free_port()
            self.log_file = open(self.log_path, "ab")
            self.process = subprocess.Popen(
                [self.binary, "serve", "--rules", self.rules, "--listen", "127.0.0.1:%d" % self.port,
                 "--audit-db", self.audit_db],
                stdin=subprocess.DEVNULL, stdout=self.log_file, stderr=self.log_file, cwd=self.work_dir,
                env=child_env())
            time.sleep(0.05)
            if self.process.poll() is None or "cannot listen" not in self.log_text():
                return
            self.log_file.close()  # the port was taken between our probe and the bind: try another
        raise Failure("the server could not listen on a free port:\n" + self.log_text())

    def address(self):
        return "127.0.0.1:%d" % self.port

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def kill(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                pass
        if self.log_file is not None:
            self.log_file.close()
            self.log_file = None


def wait_serving(client, server, health_pb):
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    last = "no answer yet"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise Failure("the server exited with status %s before answering the health check; its log:\n%s"
                          % (server.process.returncode, server.log_text()))
        try:
            reply = client.health_check(health_pb.HealthCheckRequest(service=""), timeout=1)
            if reply.status == health_pb.HealthCheckResponse.SERVING:
                return
            last = "status " + health_pb.HealthCheckResponse.ServingStatus.Name(reply.status)
        except grpc.RpcError as e:
            last = "%s: %s" % (e.code().name, e.details())
        time.sleep(0.1)
    raise Failure("the health check (grpc.health.v1.Health/Check, service \"\") did not answer SERVING "
                  "within %d s (last: %s); server log:\n%s" % (HEALTH_TIMEOUT_S, last, server.log_text()))


# ------------------------------------------------------------------------------------------------
# Helpers

def to_answer_values(pb, questions, answers, source):
    """JSON answers -> map<string, AnswerValue>, typed by the questionnaire."""
    typed = {}
    for fact, value in answers.items():
        question = questions.get(fact)
        if question is None:
            raise Failure("%s: fact `%s` is not in the questionnaire" % (source, fact))
        kind = question.type
        if kind == "bool" and isinstance(value, bool):
            typed[fact] = pb.AnswerValue(bool_value=value)
        elif kind == "int" and isinstance(value, int) and not isinstance(value, bool):
            typed[fact] = pb.AnswerValue(int_value=value)
        elif kind == "enum" and isinstance(value, str):
            typed[fact] = pb.AnswerValue(enum_value=value)
        elif kind == "set" and isinstance(value, list) and all(isinstance(v, str) for v in value):
            typed[fact] = pb.AnswerValue(set_value=pb.ValueSet(values=value))
        else:
            raise Failure("%s: answer %r for `%s` does not fit its question type %r" % (source, value, fact, kind))
    return typed


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


def canonical_field(value):
    data = value.encode("utf-8")
    return str(len(data)).encode() + b":" + data + b"\n"


def record_hash(prev_hash, row):
    """The audit chain hash (src/audit/audit_log.cpp): sha256(prev + "\\n" + length-prefixed fields)."""
    h = hashlib.sha256()
    h.update(prev_hash.encode() + b"\n")
    for key in ("decision_id", "client", "request_id", "ruleset_hash", "answers", "decision", "decided_at"):
        h.update(canonical_field(row[key]))
    return h.hexdigest()


def timestamp_micros(text):
    """'2026-11-21T05:16:16.866593Z' (any number of fraction digits) -> microseconds since epoch."""
    import calendar
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z", text)
    if not m:
        return None
    seconds = calendar.timegm(tuple(int(x) for x in m.groups()[:6]))
    fraction = (m.group(7) or "").ljust(9, "0")
    return seconds * 1000000 + int(fraction[:6])


# ------------------------------------------------------------------------------------------------
# The test

def run(binary, source_dir, tmp, checks):
    rules = os.path.join(source_dir, "rules")
    examples = sorted(glob.glob(os.path.join(rules, "examples", "*.json")))
    if not examples:
        raise Failure("no example intakes in " + os.path.join(rules, "examples"))

    started = time.monotonic()
    pb, health_pb = compile_protos(source_dir, os.path.join(tmp, "gen"))
    log("compiled the protos in %.1f s" % (time.monotonic() - started))

    # What `triage eval` says, computed before the server runs.
    eval_out = {}
    for path in examples:
        run_eval = subprocess.run([binary, "eval", "--rules", rules, "--intake", path], capture_output=True,
                                  text=True, timeout=20, env=child_env())
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
                                  text=True, timeout=20, env=child_env(), input=json.dumps({"answers": answers}))
        if run_eval.returncode != 0:
            raise Failure("`triage eval` of %s exited %d: %s" % (label, run_eval.returncode, run_eval.stderr))
        extra_eval.append((label, answers, json.loads(run_eval.stdout)))

    server = Server(binary, rules, tmp)
    channel = None
    try:
        server.start()
        channel = grpc.insecure_channel(server.address(), options=[("grpc.enable_http_proxy", 0)])
        client = Client(channel, pb, health_pb)
        wait_serving(client, server, health_pb)
        log("server SERVING on %s after %.1f s" % (server.address(), time.monotonic() - started))

        # a. The questionnaire, and `triage schema` agrees with it.
        questionnaire = client.get_questionnaire(pb.GetQuestionnaireRequest(), timeout=RPC_TIMEOUT_S)
        questions = {q.fact: q for q in questionnaire.questions}
        checks.check(len(questions) > 0, "GetQuestionnaire returns questions")
        schema = subprocess.run([binary, "schema", "--rules", rules], capture_output=True, text=True, timeout=20,
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

        # The log so far holds only accepted decisions; remember where the refusals begin.
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
        db = sqlite3.connect("file:%s?mode=ro" % server.audit_db, uri=True, timeout=5)
        db.row_factory = sqlite3.Row
        try:
            rows = [dict(r) for r in db.execute("SELECT * FROM decisions ORDER BY seq")]
        finally:
            db.close()
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
            returned_dict = message_to_dict(reply)
            checks.check(logged_decision == returned_dict, "audit row of %s holds the decision returned" % name,
                         json_diff(returned_dict, logged_decision, "returned", "audit decision"))
            reply_micros = reply.decided_at.seconds * 1000000 + reply.decided_at.nanos // 1000
            checks.check(timestamp_micros(row["decided_at"]) == reply_micros,
                         "audit row of %s has the decision's decided_at" % name,
                         "  row %r, reply %s" % (row["decided_at"], reply.decided_at.ToJsonString()))
        previous = "0" * 64
        for row in rows:
            ok = row["prev_hash"] == previous and row["record_hash"] == record_hash(previous, row)
            if not checks.check(ok, "audit hash chain intact at seq %s" % row["seq"],
                                "  prev_hash %s (expected %s), record_hash %s (recomputed %s)"
                                % (row["prev_hash"], previous, row["record_hash"], record_hash(previous, row))):
                break
            previous = row["record_hash"]

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
        server.process.send_signal(signal.SIGTERM)
        stop_started = time.monotonic()
        try:
            status = server.process.wait(STOP_TIMEOUT_S)
            checks.check(status == 0, "the server exits 0 on SIGTERM",
                         "  exit status %s; log tail:\n%s" % (status, server.log_text()[-2000:]))
            log("server stopped in %.2f s" % (time.monotonic() - stop_started))
        except subprocess.TimeoutExpired:
            checks.check(False, "the server exits within %d s of SIGTERM" % STOP_TIMEOUT_S)
    finally:
        if channel is not None:
            channel.close()
        server.kill()


def main():
    if len(sys.argv) != 3:
        print("usage: python3 python_client_test.py TRIAGE_BINARY SOURCE_DIR", file=sys.stderr)
        return 2
    binary, source_dir = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    if not os.access(binary, os.X_OK):
        print("FAIL: %s is not an executable" % binary, file=sys.stderr)
        return 1
    for key in [k for k in os.environ if k.lower() in ("http_proxy", "https_proxy", "grpc_proxy", "all_proxy")]:
        del os.environ[key]  # only 127.0.0.1 is ever called

    def out_of_time(signum, frame):
        raise Failure("the test took longer than %d s" % TOTAL_BUDGET_S)

    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(TOTAL_BUDGET_S)
    started = time.monotonic()
    checks = Checks()
    try:
        with tempfile.TemporaryDirectory(prefix="triage-interop-") as tmp:
            run(binary, source_dir, tmp, checks)
    except Failure as e:
        checks.failures.append(str(e))
        print("FAIL: " + str(e), flush=True)
    except grpc.RpcError as e:
        message = "unexpected RPC failure %s: %s" % (e.code().name, e.details())
        checks.failures.append(message)
        print("FAIL: " + message, flush=True)
    except Exception:  # a broken test or an unexpected reply: still a clear failure
        import traceback
        traceback.print_exc()
        checks.failures.append("unexpected error")
        print("FAIL: unexpected error (traceback above)", flush=True)
    finally:
        signal.alarm(0)
    elapsed = time.monotonic() - started
    if checks.failures:
        print("\npython_client_test: %d check(s) FAILED, %d passed, %.1f s" % (len(checks.failures), checks.passed,
                                                                            elapsed))
        return 1
    print("python_client_test: all %d checks passed in %.1f s" % (checks.passed, elapsed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
