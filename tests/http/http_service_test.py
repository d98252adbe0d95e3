#!/usr/bin/env python3
"""The HTTP/JSON listener of `triage serve --http-listen` (src/http/), over plain HTTP and TLS.

usage: python3 http_service_test.py TRIAGE_BINARY SOURCE_DIR

Every route, status code and limit of the HTTP API, with the standard library's http.client, ssl
and socket as clients (nobody on this project wrote them):
  routes     /healthz, /readyz, /v1/questionnaire (= `triage schema`), /v1/ruleset, /v1/evaluate
             (= `triage eval`, key for key, for every example intake), the Connect unary JSON paths,
             /kiosk/; keep-alive (many calls on one connection); request_id and X-Client-Id reach the
             audit log, which holds every decision_id answered 200
  errors     400 (every bad answer named, in the CLI's words; malformed JSON), 404, 405 + Allow,
             413, 415, 431, 408 (read timeout), 504 (Connect-Timeout-Ms), 503 + Retry-After while
             the audit log cannot be written (readyz 503 too, then back to 200), all as
             {"code", "message", "details"}
  limits     idle timeout closes a silent connection; the connection cap answers 503
  headers    a strict Content-Security-Policy everywhere; no CORS by default; with
             --http-cors-origin only that origin, and the preflight
  drain      SIGTERM: no new connections, the call in flight is answered 200 and logged, exit 0
  TLS        one-way TLS; mutual TLS with the client's certificate subject in the audit log exactly
             as gRPC writes it (X-Client-Id cannot override it); no, or an untrusted, client
             certificate is refused; plain HTTP to the TLS port gets no reply
Network: 127.0.0.1 only. Exit 0 when everything holds; each failed check is printed.
"""

import base64
import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import http_common as hc  # noqa: E402
from http_common import call, connect, request  # noqa: E402

common = hc.common
# `python3` on PATH may lack the Debian protobuf package (the Connect binary checks need it): then
# this runs again under /usr/bin/python3.
common.require_grpc()
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
import tls_test  # noqa: E402  (its certificate maker)
from interop_common import Failure, log  # noqa: E402

CSP_START = "default-src 'none'"


def is_error(reply, status, code):
    j = reply.json
    return (reply.status == status and isinstance(j, dict) and j.get("code") == code and
            isinstance(j.get("message"), str) and j["message"] and isinstance(j.get("details"), list))


def cli_eval(binary, rules, intake_text):
    run = subprocess.run([binary, "eval", "--rules", rules, "--intake", "-"], input=intake_text, capture_output=True,
                         text=True, timeout=common.scaled(30), env=common.child_env())
    return run.returncode, run.stdout, run.stderr


def same_shape(a, b, path="$"):
    """Key order and values equal, apart from per-call ids and times. Returns a difference or None."""
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a.keys()) != list(b.keys()):
            return "%s: keys %s vs %s" % (path, list(a.keys()), list(b.keys()))
        for k in a:
            if k in ("decision_id", "decided_at", "request_id") and path == "$":
                continue
            d = same_shape(a[k], b[k], path + "." + k)
            if d:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return "%s: %d vs %d items" % (path, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            d = same_shape(x, y, "%s[%d]" % (path, i))
            if d:
                return d
        return None
    return None if a == b else "%s: %r vs %r" % (path, a, b)


def routes(binary, source_dir, server, checks):
    port = server.http_port
    rules = os.path.join(source_dir, "rules")
    r = call(port, "GET", "/healthz")
    checks.check(r.status == 200 and r.json.get("status") == "alive" and set(r.json) == {"status", "version", "commit"}
                 and r.json["version"] and r.json["commit"], "GET /healthz: 200 alive, with version and commit", repr(r))
    r = call(port, "GET", "/readyz")
    checks.check(r.status == 200 and r.json == {"status": "SERVING"}, "GET /readyz: 200 SERVING", repr(r))

    schema = json.loads(subprocess.run([binary, "schema", "--rules", rules], capture_output=True, text=True,
                                       timeout=common.scaled(30), env=common.child_env()).stdout)
    r = call(port, "GET", "/v1/questionnaire")
    checks.check(r.status == 200 and r.json == schema, "GET /v1/questionnaire is what `triage schema` prints")
    r2 = call(port, "POST", "/triage.v1.TriageService/GetQuestionnaire", {})
    checks.check(r2.status == 200 and r2.json == schema, "Connect GetQuestionnaire gives the same", repr(r2))
    r = call(port, "GET", "/v1/ruleset")
    checks.check(r.status == 200 and r.json.get("ruleset_hash") == schema["ruleset_hash"] and r.json.get("files"),
                 "GET /v1/ruleset names the served hash and files", repr(r))
    r = call(port, "POST", "/triage.v1.TriageService/GetRuleset", {})
    checks.check(r.status == 200 and r.json.get("ruleset_hash") == schema["ruleset_hash"],
                 "Connect GetRuleset gives the same hash", repr(r))

    # Every example, many on one kept-alive connection, against `triage eval`.
    conn = connect(port)
    received = []
    conn.connect()
    first_socket = conn.sock
    for path in common.example_intakes(rules):
        text = open(path).read()
        status, out, _ = cli_eval(binary, rules, text)
        body = json.loads(text)
        body["request_id"] = "http-" + os.path.basename(path)
        r = request(conn, "POST", "/v1/evaluate", body, {"X-Client-Id": "kiosk-7"})
        if not checks.check(r.status == 200 and r.body.endswith(b"\n"), "POST /v1/evaluate %s: 200" % path, repr(r)):
            continue
        difference = same_shape(r.json, json.loads(out))
        checks.check(difference is None, "%s: the reply is what `triage eval` prints, key for key" % os.path.basename(path),
                     "  " + str(difference))
        checks.check(r.json["request_id"] == body["request_id"], "the request_id is echoed")
        received.append((r.json["decision_id"], body["request_id"]))
    checks.check(conn.sock is first_socket, "keep-alive: every call went over one connection")
    # Connect unary Evaluate: the protobuf JSON of EvaluateRequest (both name styles).
    for body in ({"answers": {"bladder_or_bowel_change": {"boolValue": True}}, "requestId": "connect-1"},
                 {"answers": {"bladder_or_bowel_change": {"bool_value": True}}, "request_id": "connect-2"}):
        r = request(conn, "POST", "/triage.v1.TriageService/Evaluate", body, {"Connect-Protocol-Version": "1"})
        ok = r.status == 200 and r.json.get("outcome") == "refer" and r.json.get("urgency") == "emergency"
        checks.check(ok and r.json["request_id"] == body.get("requestId", body.get("request_id")),
                     "Connect Evaluate (%s) decides and echoes the request id" % list(body)[1], repr(r))
        if ok:
            received.append((r.json["decision_id"], r.json["request_id"]))
    checks.check(conn.sock is first_socket, "keep-alive across the Connect paths too")
    conn.close()
    r = call(port, "POST", "/v1/evaluate", {"answers": {"pain_intensity": 3}})
    if checks.check(r.status == 200, "a call without X-Client-Id", repr(r)):
        received.append((r.json["decision_id"], ""))

    rows = {row["decision_id"]: row for row in common.audit_rows(server.audit_db)}
    missing = [d for d, _ in received if d not in rows]
    checks.check(not missing, "every decision answered 200 is in the audit log", "  missing: %s" % missing[:5])
    for decision_id, request_id in received:
        row = rows.get(decision_id)
        if row is None:
            continue
        if request_id.startswith("http-"):
            checks.check(row["client"] == "id:kiosk-7" and row["request_id"] == request_id,
                         "X-Client-Id and request_id are in the audit log", "  %s" % row["client"])
            break
    anonymous = rows.get(received[-1][0])
    checks.check(anonymous is not None and anonymous["client"].startswith("peer:ipv4:127.0.0.1:"),
                 "without X-Client-Id the client is the peer address, as on gRPC",
                 "  %s" % (anonymous and anonymous["client"]))


def errors(binary, source_dir, server, checks):
    port = server.http_port
    rules = os.path.join(source_dir, "rules")
    bad = {"answers": {"pain_intensity": 11, "onset": "slowly", "night_pain": "yes", "no_such_fact": True}}
    _, _, stderr = cli_eval(binary, rules, json.dumps(bad))
    cli_messages = [line[len("triage eval: invalid answer: "):] for line in stderr.splitlines()
                    if line.startswith("triage eval: invalid answer: ")]
    r = call(port, "POST", "/v1/evaluate", bad)
    checks.check(is_error(r, 400, "invalid_argument"), "bad answers: 400 invalid_argument", repr(r))
    if r.json:
        detail_messages = [d.get("message") for d in r.json.get("details", [])]
        checks.check(len(cli_messages) == 4 and detail_messages == cli_messages,
                     "400 names every bad answer in the CLI's words",
                     "  http %s\n  cli  %s" % (detail_messages, cli_messages))
        checks.check(sorted(d.get("fact") for d in r.json["details"]) ==
                     ["night_pain", "no_such_fact", "onset", "pain_intensity"], "each detail names its fact")
    r = call(port, "POST", "/triage.v1.TriageService/Evaluate",
             {"answers": {"pain_intensity": {"intValue": 11}}})
    checks.check(is_error(r, 400, "invalid_argument") and "pain_intensity" in r.json["message"],
                 "Connect Evaluate with a bad answer: 400", repr(r))
    for body, what in (("{not json", "malformed JSON"), ('{"answers": {}, "extra": 1}', "an unknown key"),
                       ('{"answers": {}, "request_id": 5}', "a request_id that is not a string")):
        r = call(port, "POST", "/v1/evaluate", body, {"Content-Type": "application/json"})
        checks.check(is_error(r, 400, "invalid_argument"), "%s: 400" % what, repr(r))
    r = call(port, "POST", "/v1/evaluate", {"answers": {}, "request_id": "x" * 129})
    checks.check(is_error(r, 400, "invalid_argument") and "128" in r.json["message"], "a 129-character request_id: 400",
                 repr(r))
    r = call(port, "POST", "/v1/evaluate", "answers=1", {"Content-Type": "application/x-www-form-urlencoded"})
    checks.check(is_error(r, 415, "invalid_argument"), "a form body: 415", repr(r))
    r = call(port, "POST", "/triage.v1.TriageService/Evaluate", "{}", {"Content-Type": "text/plain"})
    checks.check(is_error(r, 415, "invalid_argument"), "Connect without application/json: 415", repr(r))
    r = call(port, "GET", "/v1/nothing")
    checks.check(is_error(r, 404, "not_found"), "an unknown path: 404 with a JSON body", repr(r))
    r = call(port, "POST", "/triage.v1.TriageService/ReloadRules", {})
    checks.check(r.status == 404 and r.json and r.json.get("code") == "unimplemented",
                 "ReloadRules is not on HTTP: 404 unimplemented", repr(r))
    for method, path, allowed in (("GET", "/v1/evaluate", "POST"), ("POST", "/v1/questionnaire", "GET"),
                                  ("DELETE", "/healthz", "GET"), ("GET", "/triage.v1.TriageService/Evaluate", "POST"),
                                  ("OPTIONS", "/v1/evaluate", "POST")):
        r = call(port, method, path)
        checks.check(is_error(r, 405, "unimplemented") and r.headers.get("allow") == allowed,
                     "%s %s: 405 with Allow: %s" % (method, path, allowed), repr(r))
    r = call(port, "POST", "/v1/evaluate", {"answers": {}, "request_id": "x" * 5000})
    checks.check(is_error(r, 413, "resource_exhausted"), "a body over --max-request-bytes: 413", repr(r))
    r = call(port, "GET", "/healthz", headers={"X-Padding": "p" * 3000})
    checks.check(is_error(r, 431, "resource_exhausted"), "headers over --http-max-header-bytes: 431", repr(r))
    r = call(port, "POST", "/v1/evaluate", {"answers": {}}, {"Connect-Timeout-Ms": "0"})
    checks.check(is_error(r, 504, "deadline_exceeded"), "a deadline that has passed: 504", repr(r))
    r = call(port, "POST", "/v1/evaluate", {"answers": {}}, {"Connect-Timeout-Ms": "soon"})
    checks.check(is_error(r, 400, "invalid_argument"), "a malformed Connect-Timeout-Ms: 400", repr(r))

    # The audit log cannot be written: 503 with Retry-After, readyz 503, then back by itself.
    before = len(common.audit_rows(server.audit_db))
    lock = hc.AuditLock(server.audit_db)
    try:
        r = call(port, "POST", "/v1/evaluate", {"answers": {"pain_intensity": 2}, "request_id": "refused"})
        checks.check(is_error(r, 503, "unavailable") and r.headers.get("retry-after") == "1",
                     "audit log unwritable: 503 unavailable with Retry-After", repr(r))
        r = call(port, "GET", "/readyz")
        checks.check(r.status == 503 and r.json and r.json.get("code") == "unavailable",
                     "GET /readyz: 503 while NOT_SERVING", repr(r))
        r = call(port, "GET", "/healthz")
        checks.check(r.status == 200, "GET /healthz stays 200 (alive) meanwhile", repr(r))
    finally:
        lock.release()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and call(port, "GET", "/readyz").status != 200:
        time.sleep(0.2)
    checks.check(call(port, "GET", "/readyz").status == 200, "GET /readyz: back to 200 once writes work")
    rows = common.audit_rows(server.audit_db)
    checks.check(len(rows) == before and all(row["request_id"] != "refused" for row in rows),
                 "the refused (503) decision is not in the audit log")


def headers(server, checks):
    port = server.http_port
    for path in ("/kiosk/", "/v1/questionnaire", "/nope"):
        r = call(port, "GET", path, headers={"Origin": "https://evil.example"})
        checks.check(r.headers.get("content-security-policy", "").startswith(CSP_START) and
                     "script-src 'self'" in r.headers["content-security-policy"] and
                     r.headers.get("x-content-type-options") == "nosniff" and r.headers.get("cache-control") == "no-store",
                     "%s carries the strict CSP, nosniff and no-store" % path, repr(r.headers))
        checks.check("access-control-allow-origin" not in r.headers, "%s: no CORS by default" % path)
    r = call(port, "GET", "/kiosk/")
    checks.check(r.status == 200 and r.headers.get("content-type", "").startswith("text/html") and
                 b"kiosk.js" in r.body, "GET /kiosk/ serves the kiosk page", repr(r))
    r = call(port, "GET", "/kiosk/kiosk.js")
    checks.check(r.status == 200 and r.headers.get("content-type", "").startswith("text/javascript"),
                 "GET /kiosk/kiosk.js as JavaScript", repr(r))
    # HEAD: GET's headers with its Content-Length and no body; the connection stays usable.
    for path in ("/kiosk/", "/kiosk/kiosk.js", "/healthz", "/readyz"):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("HEAD", path)
        head = conn.getresponse()
        head_body = head.read()
        conn.request("GET", path)
        got = conn.getresponse()
        got_body = got.read()
        conn.close()
        checks.check(head.status == 200 and head_body == b"" and
                     int(head.getheader("content-length", "-1")) == len(got_body) and got.status == 200 and
                     head.getheader("content-type") == got.getheader("content-type"),
                     "HEAD %s: the GET's headers and length, no body" % path,
                     "  HEAD %d %r, GET %d (%d bytes)" % (head.status, head.getheaders(), got.status, len(got_body)))
    r = call(port, "GET", "/kiosk/../rules/red_flags.rules")
    checks.check(r.status in (400, 404), "no path reaches the file system through /kiosk/", repr(r))
    r = call(port, "GET", "/")
    checks.check(r.status == 308 and r.headers.get("location") == "/kiosk/", "GET / redirects to /kiosk/", repr(r))


def read_until_closed(sock):
    """What `sock` receives until the server closes it or the socket's timeout passes."""
    data = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
    return data


def limits(server, checks):
    port = server.http_port
    # Idle timeout (2 s here): a connection that never sends is closed.
    s = socket.create_connection(("127.0.0.1", port), timeout=6)
    started = time.monotonic()
    try:
        data = s.recv(100)
    except socket.timeout:
        data = None
    s.close()
    checks.check(data == b"" and 1.5 < time.monotonic() - started < 5,
                 "a silent connection is closed after the idle timeout", "  got %r after %.1f s" %
                 (data, time.monotonic() - started))
    # Read timeout (1 s here): a request that stops half way gets 408 and the connection closes.
    s = socket.create_connection(("127.0.0.1", port), timeout=6)
    s.sendall(b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"answers\"")
    data = read_until_closed(s)
    s.close()
    checks.check(data.startswith(b"HTTP/1.1 408"), "a request that stalls gets 408 and is closed", "  %r" % data[:80])
    # Connection cap (6 here). Six idle connections do not lock others out: a new one closes the
    # oldest idle connection and is served.
    held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(6)]
    time.sleep(0.3)
    served = call(port, "GET", "/healthz").status == 200
    closed = 0
    for s in held:
        s.settimeout(2)
        try:
            closed += s.recv(100) == b""
        except socket.timeout:
            pass
        except ConnectionResetError:
            closed += 1
    checks.check(served and closed >= 1, "at the cap an idle connection makes room for a new one",
                 "  served %s, idle connections closed %d" % (served, closed))
    for s in held:
        s.close()
    time.sleep(0.3)
    # Six connections each half way through a request are not idle: the next one is told 503 and
    # closed (within the 1 s read timeout that will answer them 408).
    held = []
    for _ in range(6):
        busy = socket.create_connection(("127.0.0.1", port), timeout=5)
        busy.sendall(b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        held.append(busy)
    time.sleep(0.1)
    reply = b""
    for _ in range(5):
        extra = socket.create_connection(("127.0.0.1", port), timeout=0.5)
        held.append(extra)
        reply = read_until_closed(extra)
        if reply.startswith(b"HTTP/1.1 503"):
            break
    checks.check(reply.startswith(b"HTTP/1.1 503") and b"too many connections" in reply,
                 "over --http-max-connections with no idle connection: 503 and closed", "  %r" % reply[:120])
    for s in held:
        s.close()
    time.sleep(1.5)
    checks.check(call(port, "GET", "/healthz").status == 200, "after the others close, connections are accepted again")


BAD_REQUEST_PROTO = """syntax = "proto3";
package google.rpc;
// As googleapis google/rpc/error_details.proto declares it (the part the server sends).
message BadRequest {
  message FieldViolation {
    string field = 1;
    string description = 2;
  }
  repeated FieldViolation field_violations = 1;
}
"""


def connect_binary(server, source_dir, tmp, checks):
    """Connect unary in binary protobuf (the default of connect-es and connect-go clients), and
    errors with a typed google.rpc.BadRequest detail, read with classes generated from proto/."""
    out = os.path.join(tmp, "connect_pb")
    # The file's path is not google/rpc/: Python's `google` package is the installed protobuf's.
    os.makedirs(os.path.join(out, "rpc_proto", "connect_rpc"), exist_ok=True)
    triage_pb2, _ = common.compile_protos(source_dir, out)
    with open(os.path.join(out, "rpc_proto", "connect_rpc", "bad_request.proto"), "w") as f:
        f.write(BAD_REQUEST_PROTO)
    made = subprocess.run(["protoc", "-I" + os.path.join(out, "rpc_proto"), "--python_out=" + out,
                           "connect_rpc/bad_request.proto"], capture_output=True, text=True, timeout=60)
    checks.check(made.returncode == 0, "protoc compiles google.rpc.BadRequest", made.stderr)
    import importlib
    bad_request_pb2 = importlib.import_module("connect_rpc.bad_request_pb2")
    checks.check(bad_request_pb2.BadRequest.DESCRIPTOR.full_name == "google.rpc.BadRequest",
                 "the detail type is google.rpc.BadRequest")
    port = server.http_port
    proto = {"Content-Type": "application/proto", "Connect-Protocol-Version": "1"}

    message = triage_pb2.EvaluateRequest(request_id="connect-binary-1")
    message.answers["bladder_or_bowel_change"].bool_value = True
    r = call(port, "POST", "/triage.v1.TriageService/Evaluate", message.SerializeToString(), proto)
    decision = triage_pb2.Decision()
    parsed = False
    try:
        decision.ParseFromString(r.body)
        parsed = True
    except Exception:  # noqa: BLE001 - any decode failure is the finding
        pass
    checks.check(r.status == 200 and r.headers.get("content-type") == "application/proto" and parsed and
                 decision.request_id == "connect-binary-1" and decision.outcome == triage_pb2.refer and
                 decision.urgency == triage_pb2.emergency and len(decision.red_flags) > 0,
                 "Connect binary Evaluate: a triage.v1.Decision in application/proto", repr(r))
    rows = common.audit_rows(server.audit_db)
    checks.check(any(row["decision_id"] == decision.decision_id for row in rows),
                 "the binary call's decision is in the audit log")

    r = call(port, "POST", "/triage.v1.TriageService/GetRuleset", b"", proto)
    info = triage_pb2.RulesetInfo()
    info.ParseFromString(r.body)
    checks.check(r.status == 200 and info.ruleset_hash == decision.ruleset_hash,
                 "Connect binary GetRuleset names the same ruleset", repr(r))

    batch = triage_pb2.EvaluateBatchRequest(request_id="b-1")
    for value in (True, False):
        intake = batch.intakes.add()
        intake.answers["bladder_or_bowel_change"].bool_value = value
    r = call(port, "POST", "/triage.v1.TriageService/EvaluateBatch", batch.SerializeToString(), proto)
    answer = triage_pb2.EvaluateBatchResponse()
    answer.ParseFromString(r.body)
    checks.check(r.status == 200 and len(answer.results) == 2, "Connect binary EvaluateBatch: two results", repr(r))

    bad = triage_pb2.EvaluateRequest()
    bad.answers["pain_intensity"].int_value = 11
    for body, headers, what in ((bad.SerializeToString(), proto, "binary"),
                                (json.dumps({"answers": {"pain_intensity": {"intValue": 11}}}),
                                 {"Content-Type": "application/json"}, "JSON")):
        r = call(port, "POST", "/triage.v1.TriageService/Evaluate", body, headers)
        details = (r.json or {}).get("details", [])
        violations = []
        if details and details[0].get("type") == "google.rpc.BadRequest":
            value = details[0]["value"]
            parsed = bad_request_pb2.BadRequest()
            parsed.ParseFromString(base64.b64decode(value + "=" * (-len(value) % 4)))
            violations = [(v.field, v.description) for v in parsed.field_violations]
        checks.check(r.status == 400 and r.headers.get("content-type") == "application/json" and
                     r.json.get("code") == "invalid_argument" and len(violations) == 1 and
                     violations[0][0] == "pain_intensity" and "10" in violations[0][1],
                     "Connect %s error: invalid_argument with a google.rpc.BadRequest detail naming the fact" % what,
                     repr(r) + " %r" % violations)
    r = call(port, "POST", "/triage.v1.TriageService/Evaluate", b"\xff\xff\xff", proto)
    checks.check(r.status == 400 and "binary protobuf" in (r.json or {}).get("message", ""),
                 "Connect binary with bytes that are no EvaluateRequest: 400", repr(r))


def per_client_cap(binary, source_dir, tmp, checks):
    """One client address cannot take the whole cap: the others are still served."""
    server = hc.start_server(binary, source_dir, tmp, name="per-client cap server",
                             extra_args=["--http-max-connections-per-client", "3", "--http-max-connections", "50",
                                         "--grpc-handshake-timeout-ms", "500"])
    try:
        port = server.http_port
        held = [socket.create_connection(("127.0.0.1", port), timeout=5, source_address=("127.0.0.2", 0))
                for _ in range(3)]
        time.sleep(0.2)
        extra = socket.create_connection(("127.0.0.1", port), timeout=3, source_address=("127.0.0.2", 0))
        reply = read_until_closed(extra)
        extra.close()
        checks.check(reply.startswith(b"HTTP/1.1 503") and b"too many connections from your address" in reply,
                     "the fourth connection from one address gets 503", "  %r" % reply[:160])
        checks.check(call(port, "GET", "/healthz").status == 200, "another address is still served")
        for s in held:
            s.close()
        time.sleep(0.3)
        again = socket.create_connection(("127.0.0.1", port), timeout=3, source_address=("127.0.0.2", 0))
        again.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = read_until_closed(again)
        again.close()
        checks.check(answer.startswith(b"HTTP/1.1 200"), "once its connections close, the address is served again",
                     "  %r" % answer[:80])
        # gRPC: a connection that never starts HTTP/2 is closed after --grpc-handshake-timeout-ms.
        silent = socket.create_connection(("127.0.0.1", server.port), timeout=8)
        started = time.monotonic()
        read_until_closed(silent)  # the server's HTTP/2 SETTINGS, then the close (or the 8 s timeout)
        closed = time.monotonic() - started < 7
        silent.close()
        checks.check(closed, "gRPC: a silent connection is closed after the handshake timeout",
                     "  after %.1f s" % (time.monotonic() - started))
    finally:
        server.stop(checks)
        server.kill()


def cors(binary, source_dir, tmp, checks):
    server = hc.start_server(binary, source_dir, tmp, name="cors server",
                             extra_args=["--http-cors-origin", "https://clinic.example"])
    try:
        port = server.http_port
        r = call(port, "GET", "/v1/ruleset", headers={"Origin": "https://clinic.example"})
        checks.check(r.headers.get("access-control-allow-origin") == "https://clinic.example",
                     "--http-cors-origin: that origin is allowed", repr(r.headers))
        r = call(port, "GET", "/v1/ruleset", headers={"Origin": "https://other.example"})
        checks.check("access-control-allow-origin" not in r.headers, "--http-cors-origin: other origins are not")
        r = call(port, "OPTIONS", "/v1/evaluate", headers={"Origin": "https://clinic.example",
                                                           "Access-Control-Request-Method": "POST"})
        checks.check(r.status == 204 and "POST" in r.headers.get("access-control-allow-methods", "") and
                     r.headers.get("access-control-allow-origin") == "https://clinic.example",
                     "the preflight from the allowed origin: 204", repr(r))
    finally:
        server.stop(checks)
        server.kill()


def drain(binary, source_dir, tmp, checks):
    server = hc.start_server(binary, source_dir, tmp, name="drain server",
                             extra_args=["--audit-busy-timeout-ms", "8000", "--drain-seconds", "10"])
    try:
        port = server.http_port
        idle = connect(port)
        checks.check(request(idle, "GET", "/healthz").status == 200, "drain: an idle keep-alive connection")
        lock = hc.AuditLock(server.audit_db)
        result = {}

        def in_flight():
            try:
                result["reply"] = call(port, "POST", "/v1/evaluate", {"answers": {"pain_intensity": 1},
                                                                      "request_id": "in-flight"}, timeout=20)
            except Exception as e:  # reported below
                result["error"] = repr(e)

        thread = threading.Thread(target=in_flight)
        thread.start()
        time.sleep(0.5)
        server.process.send_signal(15)
        time.sleep(0.5)
        refused = False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        except OSError:
            refused = True
        checks.check(refused, "drain: new connections are refused after SIGTERM")
        try:
            idle_closed = idle.sock.recv(10) == b""
        except OSError:
            idle_closed = True
        checks.check(idle_closed, "drain: idle keep-alive connections are closed")
        lock.release()
        thread.join(20)
        reply = result.get("reply")
        checks.check(reply is not None and reply.status == 200, "drain: the call in flight is answered 200",
                     "  %s" % (reply or result))
        status = server.process.wait(15)
        checks.check(status == 0, "drain: exit 0", "  %s" % status)
        rows = common.audit_rows(server.audit_db)
        checks.check(reply is not None and reply.json and
                     any(r["decision_id"] == reply.json.get("decision_id") for r in rows),
                     "drain: the in-flight decision is in the audit log")
    finally:
        server.kill()


def tls(binary, source_dir, tmp, checks):
    pki_dir = os.path.join(tmp, "pki")
    os.makedirs(pki_dir)
    pki = tls_test.make_pki(pki_dir)
    intake = json.load(open(os.path.join(source_dir, "rules", "examples", "self_care_lower_back.json")))

    # One-way TLS.
    server = hc.start_server(binary, source_dir, tmp, name="tls server",
                             extra_args=["--tls-cert", pki["server"], "--tls-key", pki["server_key"],
                                         "--http-read-timeout-ms", "1000"])
    try:
        context = ssl.create_default_context(cafile=pki["ca"])
        conn = http.client.HTTPSConnection("127.0.0.1", server.http_port, context=context, timeout=10)
        r = request(conn, "POST", "/v1/evaluate", intake, {"X-Client-Id": "kiosk-tls"})
        r2 = request(conn, "GET", "/readyz")
        checks.check(r.status == 200 and r.json["outcome"] == "self_care" and r2.status == 200,
                     "TLS: evaluate and readyz over one HTTPS connection", repr(r))
        conn.close()
        rows = common.audit_rows(server.audit_db)
        checks.check(rows and rows[-1]["client"] == "id:kiosk-tls", "TLS without client certificates: X-Client-Id")
        plain = socket.create_connection(("127.0.0.1", server.http_port), timeout=5)
        plain.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            answer = plain.recv(100)
        except (socket.timeout, ConnectionResetError):
            answer = b""
        plain.close()
        checks.check(not answer.startswith(b"HTTP/1.1 200"), "plain HTTP to the TLS port gets no reply")
        # A TLS request that stalls mid-body is answered 408 (after --http-read-timeout-ms, 1 s here).
        raw = socket.create_connection(("127.0.0.1", server.http_port), timeout=5)
        stalled = ssl.create_default_context(cafile=pki["ca"]).wrap_socket(raw, server_hostname="localhost")
        stalled.sendall(b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"answers\"")
        data = b""
        try:
            while True:
                chunk = stalled.recv(4096)
                if not chunk:
                    break
                data += chunk
        except (socket.timeout, ssl.SSLError, ConnectionResetError):
            pass
        stalled.close()
        checks.check(data.startswith(b"HTTP/1.1 408"), "TLS: a request stalled mid-body gets 408", "  %r" % data[:80])
    finally:
        server.stop(checks)
        server.kill()

    # Mutual TLS: the certificate names the client, as on gRPC.
    server = hc.start_server(binary, source_dir, tmp, name="mtls server",
                             extra_args=["--tls-cert", pki["server"], "--tls-key", pki["server_key"],
                                         "--tls-client-ca", pki["ca"]])
    try:
        context = ssl.create_default_context(cafile=pki["ca"])
        context.load_cert_chain(pki["client"], pki["client_key"])
        conn = http.client.HTTPSConnection("127.0.0.1", server.http_port, context=context, timeout=10)
        r = request(conn, "POST", "/v1/evaluate", intake, {"X-Client-Id": "someone-else"})
        conn.close()
        checks.check(r.status == 200, "mutual TLS: a trusted client certificate is served", repr(r))
        http_client = common.audit_rows(server.audit_db)[-1]["client"]
        status, _, stderr = tls_test.call(binary, server.address(), os.path.join(
            source_dir, "rules", "examples", "self_care_lower_back.json"),
            ["--tls-ca", pki["ca"], "--tls-cert", pki["client"], "--tls-key", pki["client_key"]])
        grpc_client = common.audit_rows(server.audit_db)[-1]["client"]
        checks.check(status == 0 and http_client.startswith("cert:") and "kiosk-042" in http_client,
                     "mutual TLS: the audit log names the certificate, not X-Client-Id", "  %s" % http_client)
        checks.check(http_client == grpc_client, "mutual TLS: the same client identity as on gRPC",
                     "  http %r, grpc %r %s" % (http_client, grpc_client, stderr))
        for name, cert in (("no client certificate", None), ("an untrusted client certificate", "rogue_client")):
            context = ssl.create_default_context(cafile=pki["ca"])
            if cert:
                context.load_cert_chain(pki[cert], pki[cert + "_key"])
            conn = http.client.HTTPSConnection("127.0.0.1", server.http_port, context=context, timeout=10)
            try:
                r = request(conn, "GET", "/healthz")
                served = r.status == 200
            except (ssl.SSLError, ConnectionError, http.client.HTTPException, OSError):
                served = False
            conn.close()
            checks.check(not served, "mutual TLS: %s is refused" % name)
    finally:
        server.stop(checks)
        server.kill()


def run(binary, source_dir, tmp, checks):
    server = hc.start_server(binary, source_dir, tmp, name="http server",
                             extra_args=["--max-request-bytes", "4096", "--http-max-header-bytes", "2048",
                                         "--http-idle-timeout-ms", "2000", "--http-read-timeout-ms", "1000",
                                         "--http-max-connections", "6", "--audit-busy-timeout-ms", "300"])
    try:
        routes(binary, source_dir, server, checks)
        connect_binary(server, source_dir, tmp, checks)
        errors(binary, source_dir, server, checks)
        headers(server, checks)
        limits(server, checks)
        server.stop(checks)
    finally:
        server.kill()
    verify = common.audit_verify(binary, server.audit_db)
    checks.check(verify[0] == 0, "triage audit verify passes on the HTTP server's log", verify[3])
    cors(binary, source_dir, tmp, checks)
    per_client_cap(binary, source_dir, tmp, checks)
    drain(binary, source_dir, tmp, checks)
    tls(binary, source_dir, tmp, checks)


if __name__ == "__main__":
    sys.exit(common.run_main("http_service_test", run, 110, "triage-http-"))
