"""Shared helpers of the interop tests (python_client_test.py, tls_test.py, durability_test.py).

Standard library only at import time; the gRPC helpers import grpc when they are called, so a test
that never talks gRPC itself (tls_test.py drives `triage call`) does not need the Python grpc
package. A gRPC test calls require_grpc() before its own `import grpc`.

Network: 127.0.0.1 only. Every server is started under `setpriv --pdeathsig KILL` when util-linux
has it, so even a test killed with SIGKILL (a CTest timeout) leaves no server behind.
"""

import calendar
import glob
import hashlib
import importlib
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

PROXY_VARIABLES = ("http_proxy", "https_proxy", "grpc_proxy", "all_proxy")
GENESIS_HASH = "0" * 64

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


# Time budgets below were measured on a Release build; the sanitizer job (tools/sanitize.sh) runs a
# build several times slower and scales them by TRIAGE_TEST_TIME_SCALE.
TIME_SCALE = max(1.0, float(os.environ.get("TRIAGE_TEST_TIME_SCALE", "1") or "1"))


def scaled(seconds):
    """A time budget measured on a Release build, scaled for slower (sanitizer) builds."""
    return seconds * TIME_SCALE


class Failure(Exception):
    """A check that makes going on pointless; reported as one failure."""


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


# ------------------------------------------------------------------------------------------------
# Interpreter and environment

def require_grpc():
    """Makes sure `import grpc` works: `python3` on PATH may be an interpreter without the Debian
    grpc packages (for example a pyenv shim); then the script is run again under /usr/bin/python3,
    which has them. Exits 1 with a clear message when no interpreter has grpc."""
    require_module("grpc", "python3-grpcio")


def require_module(module, package):
    """Like require_grpc for any module: re-runs the script under /usr/bin/python3 (where Debian's
    python3-* packages live) when `python3` on PATH cannot import it; exits 1 naming the package."""
    try:
        importlib.import_module(module)
        return
    except ImportError:
        pass
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != os.path.realpath(
            "/usr/bin/python3") and not os.environ.get("TRIAGE_INTEROP_REEXEC"):
        os.environ["TRIAGE_INTEROP_REEXEC"] = "1"
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    print("FAIL: the Python module %s is not installed (Debian: %s)" % (module, package), file=sys.stderr)
    sys.exit(1)


def drop_proxies():
    """Only 127.0.0.1 is ever called: no proxy settings in this process."""
    for key in [k for k in os.environ if k.lower() in PROXY_VARIABLES]:
        del os.environ[key]


def child_env():
    """The environment for triage processes: no TRIAGE_* settings leaking in, no proxies."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TRIAGE_") and k.lower() not in PROXY_VARIABLES}
    env["no_proxy"] = env["NO_PROXY"] = "127.0.0.1,localhost"
    return env


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_pdeathsig_prefix = None


def pdeathsig_prefix():
    """`setpriv --pdeathsig KILL` when available: the server dies with this test process."""
    global _pdeathsig_prefix
    if _pdeathsig_prefix is None:
        _pdeathsig_prefix = []
        setpriv = shutil.which("setpriv")
        if setpriv:
            probe = subprocess.run([setpriv, "--pdeathsig", "KILL", "true"], capture_output=True, timeout=10)
            if probe.returncode == 0:
                _pdeathsig_prefix = [setpriv, "--pdeathsig", "KILL"]
    return _pdeathsig_prefix


# ------------------------------------------------------------------------------------------------
# Code generation

def compile_protos(source_dir, out_dir):
    """Generates triage/v1/triage_pb2.py (and health_pb2.py when grpc_health is missing) in out_dir;
    returns (triage_pb2, health_pb2).

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
        protoc_bin = shutil.which("protoc")
        if not protoc_bin:
            raise Failure("cannot compile the protos: " + "; ".join(errors) + "; and no `protoc` on PATH")
        log("note: " + "; ".join(errors) + " -> using " + protoc_bin)
        for include, proto in jobs:
            run = subprocess.run([protoc_bin, "-I" + include, "--python_out=" + out_dir, proto],
                                 capture_output=True, text=True, timeout=scaled(30))
            if run.returncode != 0:
                raise Failure("protoc failed on %s:\n%s" % (proto, run.stderr))

    sys.path.insert(0, out_dir)
    triage_pb2 = importlib.import_module("triage.v1.triage_pb2")
    if need_health:
        health_pb2 = importlib.import_module("grpc_interop_health.health_pb2")
    else:
        health_pb2 = importlib.import_module("grpc_health.v1.health_pb2")
    return triage_pb2, health_pb2


# ------------------------------------------------------------------------------------------------
# gRPC calls

def insecure_channel(address):
    import grpc
    return grpc.insecure_channel(address, options=[("grpc.enable_http_proxy", 0)])


class Client:
    def __init__(self, channel, pb, health_pb):
        def unary(path, request_cls, response_cls):
            return channel.unary_unary(path, request_serializer=request_cls.SerializeToString,
                                       response_deserializer=response_cls.FromString)

        self.health_pb = health_pb
        self.evaluate = unary("/triage.v1.TriageService/Evaluate", pb.EvaluateRequest, pb.Decision)
        self.get_questionnaire = unary("/triage.v1.TriageService/GetQuestionnaire", pb.GetQuestionnaireRequest,
                                       pb.Questionnaire)
        self.get_ruleset = unary("/triage.v1.TriageService/GetRuleset", pb.GetRulesetRequest, pb.RulesetInfo)
        self.health_check = unary("/grpc.health.v1.Health/Check", health_pb.HealthCheckRequest,
                                  health_pb.HealthCheckResponse)

    def health(self, timeout=5):
        """The overall health (service ""): "SERVING", "NOT_SERVING", ... or "error CODE: details"."""
        import grpc
        try:
            reply = self.health_check(self.health_pb.HealthCheckRequest(service=""), timeout=timeout)
            return self.health_pb.HealthCheckResponse.ServingStatus.Name(reply.status)
        except grpc.RpcError as e:
            return "error %s: %s" % (e.code().name, e.details())


def wait_serving(client, server, timeout_s=20):
    """Waits for the health check to answer SERVING; raises Failure when the server exits first or
    the time runs out."""
    timeout_s = scaled(timeout_s)
    deadline = time.monotonic() + timeout_s
    last = "no answer yet"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise Failure("the %s exited with status %s before answering the health check; its log:\n%s"
                          % (server.name, server.process.returncode, server.log_text()[-3000:]))
        last = client.health(timeout=1)
        if last == "SERVING":
            return
        time.sleep(0.1)
    raise Failure("the health check (grpc.health.v1.Health/Check, service \"\") of the %s did not answer SERVING "
                  "within %d s (last: %s); its log:\n%s" % (server.name, timeout_s, last, server.log_text()[-3000:]))


def to_answer_values(pb, questions, answers, source):
    """JSON answers -> map<string, AnswerValue>, typed by the questionnaire ({fact: Question})."""
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


def example_intakes(rules):
    """The example intakes rules/examples/*.json, sorted by path."""
    examples = sorted(glob.glob(os.path.join(rules, "examples", "*.json")))
    if not examples:
        raise Failure("no example intakes in " + os.path.join(rules, "examples"))
    return examples


# ------------------------------------------------------------------------------------------------
# The server

class Server:
    """One `triage serve` process on a free 127.0.0.1 port.

    `wrapper` is put before the server's command line and must end by exec-ing it (for example
    ["bash", "-c", 'ulimit -f 2048 && exec "$0" "$@"']), so `process.pid` is the server's pid."""

    def __init__(self, binary, rules, work_dir, audit_db, name="server", extra_args=(), wrapper=(),
                 log_name=None, start_timeout_s=20):
        self.binary = binary
        self.rules = rules
        self.work_dir = work_dir
        self.audit_db = audit_db
        self.name = name
        self.extra_args = list(extra_args)
        self.wrapper = list(wrapper)
        self.log_path = os.path.join(work_dir, log_name or (re.sub(r"[^A-Za-z0-9]+", "_", name) + ".log"))
        self.start_timeout_s = scaled(start_timeout_s)
        self.process = None
        self.port = None
        self.log_file = None
        self.log_start = 0

    @property
    def pid(self):
        return self.process.pid

    def address(self):
        return "127.0.0.1:%d" % self.port

    def log_text(self, since_start=False):
        try:
            with open(self.log_path, "rb") as f:
                if since_start:
                    f.seek(self.log_start)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def start(self):
        """Starts the server and waits until its port accepts connections. A port taken between the
        probe and the bind is retried on another one; any other early exit raises Failure."""
        for attempt in range(3):
            self.port = free_port()
            self.log_file = open(self.log_path, "ab")
            self.log_start = self.log_file.tell()
            command = [self.binary, "serve", "--rules", self.rules, "--listen", self.address(),
                       "--audit-db", self.audit_db] + self.extra_args
            self.process = subprocess.Popen(pdeathsig_prefix() + self.wrapper + command,
                                            stdin=subprocess.DEVNULL, stdout=self.log_file, stderr=self.log_file,
                                            cwd=self.work_dir, env=child_env())
            if self.wait_listening():
                return
            self.log_file.close()
            self.log_file = None
            if "cannot listen" not in self.log_text(since_start=True):
                break
        raise Failure("the %s did not start (exit status %s); its log:\n%s"
                      % (self.name, self.process.poll(), self.log_text(since_start=True)[-3000:]))

    def wait_listening(self):
        """True once the port accepts connections; False when the process died."""
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.settimeout(0.5)
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return True
            time.sleep(0.05)
        raise Failure("the %s did not listen on %s within %d s; its log:\n%s"
                      % (self.name, self.address(), self.start_timeout_s, self.log_text(since_start=True)[-3000:]))

    def stop(self, checks, timeout_s=15):
        """SIGTERM; checks that the server exits 0 within timeout_s. Returns the exit status."""
        self.process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        try:
            status = self.process.wait(scaled(timeout_s))
        except subprocess.TimeoutExpired:
            checks.check(False, "the %s exits within %d s of SIGTERM" % (self.name, timeout_s),
                         "  log tail:\n%s" % self.log_text()[-2000:])
            return None
        checks.check(status == 0, "the %s exits 0 on SIGTERM" % self.name,
                     "  exit status %s%s; log tail:\n%s" % (status, describe_signal(status), self.log_text()[-2000:]))
        log("%s stopped in %.2f s" % (self.name, time.monotonic() - started))
        return status

    def kill(self):
        """SIGKILL (if still running) and reap; always safe to call."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                pass
        if self.log_file is not None:
            self.log_file.close()
            self.log_file = None


def describe_signal(status):
    if status is not None and status < 0:
        try:
            return " (killed by %s)" % signal.Signals(-status).name
        except ValueError:
            return " (killed by signal %d)" % -status
    return ""


# ------------------------------------------------------------------------------------------------
# The audit log

def audit_rows(path, readonly=True):
    """Every decisions row, in seq order, as dicts. readonly=False for a copy of a crashed log,
    whose write-ahead log must be recovered first (that needs write access)."""
    if readonly:
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=5)
    else:
        db = sqlite3.connect(path, timeout=5)
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute("SELECT * FROM decisions ORDER BY seq")]
    finally:
        db.close()


def canonical_field(value):
    data = value.encode("utf-8")
    return str(len(data)).encode() + b":" + data + b"\n"


def record_hash(prev_hash, row):
    """The audit chain hash (src/audit/record.cpp): sha256(prev + "\\n" + length-prefixed fields)."""
    h = hashlib.sha256()
    h.update(prev_hash.encode() + b"\n")
    for key in ("decision_id", "client", "request_id", "ruleset_hash", "answers", "decision", "decided_at"):
        h.update(canonical_field(row[key]))
    if row.get("replica_id") or row.get("trace_id"):  # schema 2: the replica, covered when recorded
        h.update(canonical_field(row.get("replica_id") or ""))
    if row.get("trace_id"):  # schema 6: the W3C trace id, covered when recorded
        h.update(canonical_field(row["trace_id"]))
    return h.hexdigest()


def check_chain(checks, rows, what=""):
    """Recomputes the hash chain over rows (all of them, in seq order). Returns the head hash."""
    previous = GENESIS_HASH
    for row in rows:
        ok = row["prev_hash"] == previous and row["record_hash"] == record_hash(previous, row)
        if not checks.check(ok, "audit hash chain intact at seq %s%s" % (row["seq"], what),
                            "  prev_hash %s (expected %s), record_hash %s (recomputed %s)"
                            % (row["prev_hash"], previous, row["record_hash"], record_hash(previous, row))):
            return None
        previous = row["record_hash"]
    return previous


def audit_verify(binary, db, expect_head=None):
    """Runs `triage audit verify --db DB`; returns (exit status, verified count or None, head or None,
    the whole output)."""
    command = [binary, "audit", "verify", "--db", db]
    if expect_head:
        command += ["--expect-head", expect_head]
    run = subprocess.run(command, capture_output=True, text=True, timeout=scaled(60), env=child_env())
    m = re.search(r"verified (\d+) decisions; chain head (\S+)", run.stdout)
    output = (run.stdout + run.stderr).strip()
    return run.returncode, (int(m.group(1)) if m else None), (m.group(2) if m else None), output


def timestamp_micros(text):
    """'2026-11-21T05:16:16.866593Z' (any number of fraction digits) -> microseconds since epoch."""
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z", text)
    if not m:
        return None
    seconds = calendar.timegm(tuple(int(x) for x in m.groups()[:6]))
    fraction = (m.group(7) or "").ljust(9, "0")
    return seconds * 1000000 + int(fraction[:6])


# ------------------------------------------------------------------------------------------------
# main()

def run_main(test_name, run, budget_s, temp_prefix):
    """Parses `TRIAGE_BINARY SOURCE_DIR`, runs run(binary, source_dir, tmp, checks) in a fresh
    temporary folder under a SIGALRM budget of budget_s (SIGTERM also ends it cleanly), prints every
    failure and a summary. Returns the exit status: 0 all passed, 1 failures, 2 usage."""
    if len(sys.argv) != 3:
        print("usage: python3 %s.py TRIAGE_BINARY SOURCE_DIR" % test_name, file=sys.stderr)
        return 2
    binary, source_dir = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    if not os.access(binary, os.X_OK):
        print("FAIL: %s is not an executable" % binary, file=sys.stderr)
        return 1
    drop_proxies()

    def out_of_time(signum, frame):
        raise Failure("the test took longer than %d s" % budget_s)

    def terminated(signum, frame):
        raise Failure("the test was stopped by %s" % signal.Signals(signum).name)

    signal.signal(signal.SIGALRM, out_of_time)
    signal.signal(signal.SIGTERM, terminated)
    budget_s = int(scaled(budget_s))
    signal.alarm(budget_s)
    started = time.monotonic()
    checks = Checks()
    try:
        with tempfile.TemporaryDirectory(prefix=temp_prefix) as tmp:
            run(binary, source_dir, tmp, checks)
    except Failure as e:
        checks.failures.append(str(e))
        print("FAIL: " + str(e), flush=True)
    except Exception as e:  # a broken test or an unexpected reply: still a clear failure
        grpc = sys.modules.get("grpc")
        if grpc is not None and isinstance(e, grpc.RpcError) and hasattr(e, "code"):
            message = "unexpected RPC failure %s: %s" % (e.code().name, e.details())
        else:
            import traceback
            traceback.print_exc()
            message = "unexpected error (traceback above)"
        checks.failures.append(message)
        print("FAIL: " + message, flush=True)
    finally:
        signal.alarm(0)
    elapsed = time.monotonic() - started
    if checks.failures:
        print("\n%s: %d check(s) FAILED, %d passed, %.1f s" % (test_name, len(checks.failures), checks.passed,
                                                              elapsed), flush=True)
        return 1
    print("%s: all %d checks passed in %.1f s" % (test_name, checks.passed, elapsed), flush=True)
    return 0
