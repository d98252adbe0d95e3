#!/usr/bin/env python3
"""FHIR R4 and CDS Hooks end to end: a real `triage serve --http-listen` with --cds-jwks and
--fhir-base-url, called over HTTP as an EHR would.

usage: fhir_http_test.py TRIAGE_BINARY SOURCE_DIR

Covers GET /fhir/metadata and the Questionnaire, $next-question to convergence, $evaluate Bundles
(ServiceRequest for a red flag, CarePlan for self-care), a bad QuestionnaireResponse (400
OperationOutcome with FHIRPath), CDS Hooks discovery, a patient-view hook with prefetch (critical
card), 412 without prefetch, hooks answered from an allow-listed fhirServer (Python http.server
stand-ins: a searchset Bundle with the query and bearer token checked, one that stalls (504), one
that answers garbage (502), https with an untrusted certificate (502)), 401 for bad/replayed/wrong-audience/unknown-issuer JWTs and when no
--cds-jwks is given, feedback into the audit log (`triage audit feedback`), and that every decision
made over FHIR is in the audit log (client, decision id) and the chain verifies. Returned resources
are checked against the R4 JSON schema when tools/install-deps.sh installed it (as
tests/fhir/validate_fhir.py does). JWTs are signed with the openssl command line (ES384, RS384).
Standard library, openssl and (with the schema) python3-jsonschema only."""

import base64
import http.server
import json
import os
import sqlite3
import ssl
import subprocess
import sys
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "fhir"))
import http_common as hc  # noqa: E402
from http_common import common, Failure  # noqa: E402

BASE_URL = "https://triage.test"  # given with a trailing slash below, which the server drops
CANONICAL = "https://clinic.example.org/fhir"  # --fhir-canonical-base (given with a trailing slash)
EHR = "https://ehr.test"
OTHER_EHR = "https://other-ehr.test"
FHIR_JSON = {"Content-Type": "application/fhir+json"}


# ------------------------------------------------------------------------------------------------
# Keys and JWTs (openssl command line)

# ------------------------------------------------------------------------------------------------
# Stand-ins for an EHR's FHIR server (CDS Hooks fhirServer), on loopback

class FakeFhirServer:
    """Answers every GET as `mode` says: "bundle" (a searchset Bundle holding `resource`),
    "garbage" (200 with HTML), "stall" (never answers until stopped). Records each request's path
    and Authorization header. `tls`: an ssl.SSLContext to serve https with."""

    def __init__(self, mode, resource=None, tls=None):
        self.mode, self.resource, self.requests, self.release = mode, resource, [], threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append({"path": self.path, "authorization": self.headers.get("Authorization")})
                if outer.mode == "stall":
                    outer.release.wait(30)
                    return
                if outer.mode == "bundle":
                    body = json.dumps({"resourceType": "Bundle", "type": "searchset", "total": 1,
                                       "entry": [{"fullUrl": "http://fhir.test/QuestionnaireResponse/qr-1",
                                                  "resource": outer.resource, "search": {"mode": "match"}}]}).encode()
                else:
                    body = b"<html><body>502 upstream trouble</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.url = "%s://127.0.0.1:%d" % ("https" if tls else "http", self.port)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)


def self_signed_tls(tmp):
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1 (trusted by nobody)."""
    cert, key = os.path.join(tmp, "fake-fhir.crt"), os.path.join(tmp, "fake-fhir.key")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def private_ca_tls(tmp):
    """A clinic's private CA (ca.pem) and two server contexts it signed: one for 127.0.0.1, and one
    whose certificate names another host (wrong.example) only."""
    ca_key, ca = os.path.join(tmp, "private-ca.key"), os.path.join(tmp, "private-ca.pem")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
            "-subj", "/CN=Clinic Private CA", "-keyout", ca_key, "-out", ca)
    contexts = []
    for name, san in (("private-good", "IP:127.0.0.1"), ("private-wrong-name", "DNS:wrong.example")):
        key, csr, cert = (os.path.join(tmp, name + ext) for ext in (".key", ".csr", ".crt"))
        ext = os.path.join(tmp, name + ".ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=%s\n" % san)
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=" + name,
                "-keyout", key, "-out", csr)
        openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-days", "1",
                "-extfile", ext, "-out", cert)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        contexts.append(context)
    return ca, contexts[0], contexts[1]


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def openssl(*args, data=None):
    run = subprocess.run(["openssl"] + list(args), input=data, capture_output=True, timeout=60)
    if run.returncode != 0:
        raise Failure("openssl %s failed: %s" % (" ".join(args), run.stderr.decode(errors="replace")))
    return run.stdout


def der_ints(der):
    """The two INTEGERs of a DER ECDSA-Sig-Value SEQUENCE."""
    def length(at):
        first = der[at]
        if first < 0x80:
            return first, at + 1
        count = first & 0x7F
        return int.from_bytes(der[at + 1:at + 1 + count], "big"), at + 1 + count
    assert der[0] == 0x30
    _, at = length(1)
    values = []
    for _ in range(2):
        assert der[at] == 0x02
        size, at = length(at + 1)
        values.append(int.from_bytes(der[at:at + size], "big"))
        at += size
    return values


class Key:
    def __init__(self, tmp, alg, kid):
        self.alg, self.kid = alg, kid
        self.path = os.path.join(tmp, kid + ".pem")
        if alg == "ES384":
            openssl("ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out", self.path)
            point = openssl("ec", "-in", self.path, "-pubout", "-outform", "DER")[-97:]
            assert point[0] == 4
            self.jwk = {"kty": "EC", "crv": "P-384", "kid": kid, "x": b64url(point[1:49]), "y": b64url(point[49:])}
        else:
            openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", self.path)
            modulus = openssl("rsa", "-in", self.path, "-noout", "-modulus").decode().strip().split("=", 1)[1]
            self.jwk = {"kty": "RSA", "kid": kid, "n": b64url(bytes.fromhex(modulus)), "e": "AQAB"}

    def sign(self, claims, header=None):
        header = header or {"alg": self.alg, "typ": "JWT", "kid": self.kid}
        signing_input = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())).encode()
        signature = openssl("dgst", "-sha384", "-sign", self.path, data=signing_input)
        if self.alg == "ES384":
            r, s = der_ints(signature)
            signature = r.to_bytes(48, "big") + s.to_bytes(48, "big")
        return signing_input.decode() + "." + b64url(signature)


def claims(issuer=EHR, audience=BASE_URL + "/cds-services/back-pain-triage", lifetime=240, jti=None):
    now = int(time.time())
    return {"iss": issuer, "sub": "client-7", "aud": audience, "exp": now + lifetime, "iat": now - 5,
            "jti": jti or str(uuid.uuid4())}


def bearer(token):
    return {"Authorization": "Bearer " + token, "Content-Type": "application/json"}


# ------------------------------------------------------------------------------------------------
# QuestionnaireResponses from the example intakes

def answers_for(item, value):
    def coding(code):
        for option in item.get("answerOption", []):
            if option["valueCoding"]["code"] == code:
                return {"valueCoding": option["valueCoding"]}
        raise Failure("no option %r for %s" % (code, item["linkId"]))
    if item["type"] == "boolean":
        return [{"valueBoolean": value}]
    if item["type"] == "integer":
        return [{"valueInteger": value}]
    if isinstance(value, list):
        return [coding(v) for v in value] if value else [coding("none")]
    return [coding(value)]


def fill(items, answers):
    """QuestionnaireResponse items answering the questions of `items` that `answers` has, groups kept."""
    out = []
    for item in items:
        if item["type"] == "display":
            continue
        if item["type"] == "group":
            children = fill(item.get("item", []), answers)
            if children:
                out.append({"linkId": item["linkId"], "text": item.get("text", ""), "item": children})
        elif item["linkId"] in answers:
            out.append({"linkId": item["linkId"], "text": item.get("text", ""),
                        "answer": answers_for(item, answers[item["linkId"]])})
    return out


def response_for(questionnaire, answers, rid="qr-1"):
    response = {"resourceType": "QuestionnaireResponse", "id": rid,
                "questionnaire": questionnaire["url"] + "|" + questionnaire["version"], "status": "completed",
                "subject": {"reference": "Patient/p1"}, "authored": "2026-11-30T10:00:00Z"}
    items = fill(questionnaire["item"], answers)
    if items:
        response["item"] = items
    return response


def intake(source_dir, name):
    return hc.load_json(os.path.join(source_dir, "rules", "examples", name))["answers"]


def entries(bundle):
    return [e["resource"] for e in bundle.get("entry", [])]


# ------------------------------------------------------------------------------------------------

def fhir_calls(source_dir, server, checks, validate, decisions):
    port = server.http_port
    r = hc.call(port, "GET", "/fhir/metadata")
    checks.check(r.status == 200 and r.headers.get("content-type") == "application/fhir+json",
                 "GET /fhir/metadata: 200 application/fhir+json", repr(r))
    capability = r.json or {}
    checks.check(capability.get("resourceType") == "CapabilityStatement"
                 and capability.get("implementation", {}).get("url") == BASE_URL + "/fhir",
                 "metadata is a CapabilityStatement naming the --fhir-base-url", repr(r))
    validate(capability, "metadata")
    ruleset = hc.call(port, "GET", "/v1/ruleset").json

    r = hc.call(port, "GET", "/fhir/Questionnaire/back-pain-triage")
    questionnaire = r.json or {}
    checks.check(r.status == 200 and questionnaire.get("resourceType") == "Questionnaire"
                 and questionnaire.get("version") == ruleset["ruleset_hash"] and questionnaire.get("status") == "active",
                 "GET /fhir/Questionnaire/back-pain-triage: active, version = the served ruleset hash", repr(r))
    validate(questionnaire, "Questionnaire")
    checks.check(questionnaire.get("url") == CANONICAL + "/Questionnaire/back-pain-triage",
                 "the canonical URL follows --fhir-canonical-base", repr(questionnaire.get("url")))
    r = hc.call(port, "GET", "/fhir/OperationDefinition/evaluate")
    checks.check(r.status == 200 and r.json.get("code") == "evaluate", "GET /fhir/OperationDefinition/evaluate", repr(r))
    validate(r.json, "OperationDefinition")

    # $next-question to convergence, answering from an intake as a patient would.
    answers = intake(source_dir, "self_care_lower_back.json")
    expected = hc.call(port, "POST", "/v1/evaluate", {"answers": answers}).json
    decisions.append(expected["decision_id"])
    response = {"resourceType": "QuestionnaireResponse", "questionnaire": questionnaire["url"],
                "status": "in-progress", "subject": {"reference": "Patient/p1"}}
    asked, rounds, status = -1, 0, None
    while rounds < 10:
        rounds += 1
        r = hc.call(port, "POST", "/fhir/Questionnaire/$next-question",
                    {"resourceType": "Parameters", "parameter": [{"name": "in", "resource": response}]}, FHIR_JSON)
        if not checks.check(r.status == 200, "$next-question round %d: 200" % rounds, repr(r)):
            return
        step = r.json
        validate(step, "next-question-%d" % rounds)
        decisions.append(step["extension"][-1]["valueIdentifier"]["value"])
        status = step.get("status")
        if status == "completed":
            break
        form = step["contained"][0]
        now_asked = len(form.get("item", []))
        if now_asked == asked:
            break
        asked = now_asked
        step["item"] = fill(form.get("item", []), answers)
        response = step
    checks.check(status == "completed" and rounds >= 2,
                 "$next-question asks in rounds and completes (%d rounds, status %s)" % (rounds, status))

    # $evaluate: the same decision as /v1/evaluate for each kind.
    for name, kind, check in [
            ("emergency_cauda_equina.json", "ServiceRequest", lambda res: res.get("priority") == "stat"),
            ("urgent_fever_night_pain.json", "ServiceRequest", lambda res: res.get("priority") == "urgent"),
            ("self_care_lower_back.json", "CarePlan", lambda res: len(res.get("activity", [])) > 0)]:
        answers = intake(source_dir, name)
        plain = hc.call(port, "POST", "/v1/evaluate", {"answers": answers}).json
        decisions.append(plain["decision_id"])
        r = hc.call(port, "POST", "/fhir/QuestionnaireResponse/$evaluate",
                    response_for(questionnaire, answers), FHIR_JSON)
        if not checks.check(r.status == 200 and r.json.get("resourceType") == "Bundle",
                            "$evaluate %s: a Bundle" % name, repr(r)):
            continue
        validate(r.json, "evaluate-" + name)
        resources = entries(r.json)
        guidance = resources[0]
        decisions.append(guidance["identifier"][0]["value"])
        # Self-care with refine questions left is `data-requested` (more answers could refine the plan).
        status = "data-requested" if plain["outcome"] == "self_care" and plain.get("refine") else "success"
        checks.check(guidance["resourceType"] == "GuidanceResponse" and guidance["status"] == status
                     and guidance["moduleUri"].endswith(plain["ruleset_hash"]),
                     "$evaluate %s: GuidanceResponse %s naming the ruleset" % (name, status), json.dumps(guidance)[:500])
        results = [res for res in resources if res["resourceType"] == kind]
        checks.check(len(results) == 1 and check(results[0]),
                     "$evaluate %s: one %s as expected (outcome %s)" % (name, kind, plain["outcome"]),
                     json.dumps(resources)[:800])

    # Bad input: 400 OperationOutcome naming the item by FHIRPath.
    bad = response_for(questionnaire, {"pain_intensity": 4})
    bad["item"][0]["item"][0]["answer"] = [{"valueInteger": 99}]
    r = hc.call(port, "POST", "/fhir/QuestionnaireResponse/$evaluate", bad, FHIR_JSON)
    issues = (r.json or {}).get("issue", [])
    checks.check(r.status == 400 and r.json.get("resourceType") == "OperationOutcome" and issues
                 and issues[0].get("expression", [""])[0].startswith("QuestionnaireResponse.item[0].item[0]"),
                 "a bad QuestionnaireResponse: 400 OperationOutcome with the item's FHIRPath", repr(r))
    if r.json:
        validate(r.json, "OperationOutcome-bad")
    r = hc.call(port, "POST", "/fhir/QuestionnaireResponse/$evaluate", "not json", FHIR_JSON)
    checks.check(r.status == 400 and r.json.get("resourceType") == "OperationOutcome", "not JSON: 400 OperationOutcome",
                 repr(r))
    r = hc.call(port, "GET", "/fhir/Patient/1")
    checks.check(r.status == 404 and r.json.get("resourceType") == "OperationOutcome", "unknown FHIR path: 404", repr(r))
    log = server.log_text()
    # Not the answer's words (the client's port number may hold "99", so look for the message).
    refused = log.split("fhir_refused", 1)[-1].split("\n")[0]
    checks.check("fhir_refused status=400" in log and "got 99" not in refused and "pain_intensity" not in refused,
                 "refused FHIR calls are in the server's log, without the answers", log[-1500:])
    return questionnaire


def cds_calls(source_dir, server, checks, validate, decisions, questionnaire, keys):
    port = server.http_port
    ec, rsa, stranger = keys
    r = hc.call(port, "GET", "/cds-services")
    services = {s["id"]: s for s in (r.json or {}).get("services", [])}
    checks.check(r.status == 200 and services.get("back-pain-triage", {}).get("hook") == "patient-view"
                 and "questionnaireResponse" in services["back-pain-triage"].get("prefetch", {})
                 and any(s["hook"] == "encounter-start" for s in services.values()),
                 "GET /cds-services: patient-view (with the QuestionnaireResponse prefetch) and encounter-start",
                 repr(r))
    path = "/cds-services/back-pain-triage"
    qr = response_for(questionnaire, intake(source_dir, "emergency_cauda_equina.json"))
    hook = {"hook": "patient-view", "hookInstance": str(uuid.uuid4()),
            "context": {"userId": "Practitioner/1", "patientId": "p1"},
            "prefetch": {"questionnaireResponse": {"resourceType": "Bundle", "type": "searchset",
                                                   "entry": [{"resource": qr}]}}}
    r = hc.call(port, "POST", path, hook, bearer(ec.sign(claims())))
    cards = (r.json or {}).get("cards", [])
    ok = checks.check(r.status == 200 and len(cards) == 1 and cards[0]["indicator"] == "critical"
                      and len(cards[0]["summary"]) < 140,
                      "patient-view with prefetch (ES384 JWT): one critical card", repr(r))
    card_id = cards[0]["uuid"] if ok else None
    offered = {reason.get("code"): reason for reason in (cards[0].get("overrideReasons", []) if ok else [])}
    checks.check("patient-declined" in offered and offered["patient-declined"].get("system", "").endswith(
        "/CodeSystem/override-reason"), "the card offers overrideReasons (CDS Hooks 2.0)", repr(list(offered)))
    if ok:
        decisions.append(card_id)
        suggestion = cards[0].get("suggestions", [{}])[0].get("actions", [{}])[0].get("resource")
        checks.check(suggestion is not None and suggestion.get("resourceType") == "ServiceRequest"
                     and suggestion.get("priority") == "stat",
                     "the critical card suggests the draft stat ServiceRequest", json.dumps(cards[0])[:800])
        if suggestion:
            validate(suggestion, "card-ServiceRequest")
    # RS384 from the other issuer, self-care: an info card.
    hook_self = dict(hook, hookInstance=str(uuid.uuid4()),
                     prefetch={"questionnaireResponse": response_for(questionnaire,
                                                                     intake(source_dir, "self_care_lower_back.json"))})
    r = hc.call(port, "POST", path, hook_self, bearer(rsa.sign(claims(issuer=OTHER_EHR))))
    cards = (r.json or {}).get("cards", [])
    if checks.check(r.status == 200 and len(cards) == 1 and cards[0]["indicator"] == "info",
                    "patient-view, self-care (RS384 JWT): an info card", repr(r)):
        decisions.append(cards[0]["uuid"])

    no_prefetch = {k: v for k, v in hook.items() if k != "prefetch"}
    r = hc.call(port, "POST", path, no_prefetch, bearer(ec.sign(claims())))
    checks.check(r.status == 412, "patient-view without prefetch or fhirServer: 412", repr(r))

    # JWT refusals: each is 401 with a Bearer challenge.
    replayed = ec.sign(claims(jti="once"))
    first = hc.call(port, "POST", path, no_prefetch, bearer(replayed))
    checks.check(first.status == 412, "a fresh jti is accepted (412: no prefetch)", repr(first))
    token = ec.sign(claims())
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for what, headers in [
            ("no Authorization header", {"Content-Type": "application/json"}),
            ("bad signature", bearer(tampered)),
            ("wrong audience", bearer(ec.sign(claims(audience="https://elsewhere.test/cds-services/back-pain-triage")))),
            ("expired", bearer(ec.sign(dict(claims(), exp=int(time.time()) - 120, iat=int(time.time()) - 200)))),
            ("replayed jti", bearer(replayed)),
            ("unknown issuer", bearer(stranger.sign(claims(issuer="https://stranger.test")))),
            ("key of another issuer", bearer(rsa.sign(claims())))]:
        r = hc.call(port, "POST", path, hook, headers)
        checks.check(r.status == 401 and r.headers.get("www-authenticate", "").startswith("Bearer"),
                     "CDS Hooks JWT refused (%s): 401 with a Bearer challenge" % what, repr(r))
    checks.check("cds_unauthorized" in server.log_text(), "refused CDS clients are in the server's log")

    # Feedback: stored against the decision, shown by `triage audit feedback`.
    if card_id:
        feedback = {"feedback": [{"card": card_id, "outcome": "overridden",
                                  "overrideReason": {"reason": offered.get("patient-declined", {}),
                                                     "userComment": "will call 999 if worse"},
                                  "outcomeTimestamp": "2026-11-30T10:05:00Z"}]}
        r = hc.call(port, "POST", path + "/feedback", feedback, bearer(ec.sign(claims())))
        checks.check(r.status == 200, "POST feedback: 200", repr(r))
        run = subprocess.run([server.binary, "audit", "feedback", "--db", server.audit_db], capture_output=True,
                             text=True, timeout=60, env=common.child_env())
        checks.check(run.returncode == 0 and card_id in run.stdout and "overridden" in run.stdout
                     and "patient-declined" in run.stdout,
                     "`triage audit feedback` shows the override against the decision", run.stdout + run.stderr)
        # Per red flag: the card's flags, from its logged decision, each overridden once for that reason.
        with sqlite3.connect("file:%s?mode=ro" % server.audit_db, uri=True) as db:
            record = json.loads(db.execute("SELECT decision FROM decisions WHERE decision_id = ?",
                                           (card_id,)).fetchone()[0])
        flags = record.get("red_flags", [])
        run = subprocess.run([server.binary, "audit", "feedback", "--db", server.audit_db, "--format", "json"],
                             capture_output=True, text=True, timeout=60, env=common.child_env())
        lines = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
        summary = lines[-1].get("summary", {}) if lines else {}
        by_id = {(r["kind"], r["id"]): r for r in summary.get("rules", [])}
        reason = "patient-declined Patient declined"
        checks.check(run.returncode == 0 and flags and summary.get("overridden") == 1 and summary.get("unmatched") == 0
                     and all(by_id.get(("red_flag", f), {}).get("overridden") == 1
                             and by_id[("red_flag", f)].get("override_reasons") == [{"reason": reason, "count": 1}]
                             for f in flags),
                     "`triage audit feedback --format json` sums the override per red flag of the decision (%s)"
                     % ", ".join(flags), run.stdout + run.stderr)
        run = subprocess.run([server.binary, "audit", "feedback", "--db", server.audit_db], capture_output=True,
                             text=True, timeout=60, env=common.child_env())
        checks.check(flags and ("red flag %s: 1 of 1 overridden" % flags[0]) in run.stdout,
                     "`triage audit feedback` shows each red flag's overrides as text", run.stdout + run.stderr)


def fhir_server_calls(source_dir, server, checks, decisions, questionnaire, keys, fakes):
    """Hooks without a prefetch but with a fhirServer: searched on an allow-listed server (the query
    and the bearer token checked), a stalling one (504), one answering garbage (502), one with an
    untrusted certificate (502), and one not allow-listed (412, never called)."""
    port = server.http_port
    ec = keys[0]
    path = "/cds-services/back-pain-triage"
    template = hc.call(port, "GET", "/cds-services").json["services"][0]["prefetch"]["questionnaireResponse"]

    def hook(fhir_server, token="the-ehr-access-token"):
        body = {"hook": "patient-view", "hookInstance": str(uuid.uuid4()), "fhirServer": fhir_server,
                "context": {"userId": "Practitioner/1", "patientId": "p1"}}
        if token:
            body["fhirAuthorization"] = {"access_token": token, "token_type": "Bearer", "expires_in": 300,
                                         "scope": "patient/QuestionnaireResponse.read", "subject": "triage"}
        return hc.call(port, "POST", path, body, bearer(ec.sign(claims())), timeout=20)

    good, stall, garbage, untrusted = fakes["bundle"], fakes["stall"], fakes["garbage"], fakes["tls"]
    r = hook(good.url + "/fhir/")
    cards = (r.json or {}).get("cards", [])
    ok = checks.check(r.status == 200 and len(cards) == 1 and cards[0]["indicator"] == "critical",
                      "no prefetch, allow-listed fhirServer: searched there, one critical card", repr(r))
    if ok:
        decisions.append(cards[0]["uuid"])
    want = "/fhir/" + template.replace("{{context.patientId}}", "p1")
    checks.check(len(good.requests) == 1 and good.requests[0]["path"] == want,
                 "the fhirServer got the prefetch's own search for the hook's patient",
                 "%r, wanted %s" % (good.requests, want))
    checks.check(good.requests and good.requests[0]["authorization"] == "Bearer the-ehr-access-token",
                 "the fhirServer got fhirAuthorization.access_token as a Bearer token", repr(good.requests))
    r = hook(good.url + "/fhir", token=None)
    checks.check(r.status == 200 and len(good.requests) == 2 and good.requests[1]["authorization"] is None,
                 "without fhirAuthorization no Authorization header is sent", repr(r) + repr(good.requests[1:]))
    if r.status == 200 and (r.json or {}).get("cards"):
        decisions.append(r.json["cards"][0]["uuid"])

    started = time.monotonic()
    r = hook(stall.url)
    took = time.monotonic() - started
    checks.check(r.status == 504 and "did not answer within 1000 ms" in (r.json or {}).get("error", "") and took < 8,
                 "a stalling fhirServer: 504 after the 1 s timeout (%.1f s)" % took, repr(r))
    r = hook(garbage.url)
    checks.check(r.status == 502 and "not a searchset Bundle" in (r.json or {}).get("error", ""),
                 "a fhirServer answering garbage: 502 naming the problem", repr(r))
    r = hook(untrusted.url)
    checks.check(r.status == 502 and "TLS" in (r.json or {}).get("error", ""),
                 "an https fhirServer with an untrusted certificate: 502 (certificates are verified)", repr(r))
    # A clinic's private CA (--cds-fhir-ca): its server is trusted; one whose certificate names
    # another host is still refused, and the self-signed one above stays refused.
    r = hook(fakes["private"].url)
    checks.check(r.status == 200 and len((r.json or {}).get("cards", [])) == 1,
                 "an https fhirServer signed by the --cds-fhir-ca private CA is trusted", repr(r))
    if r.status == 200 and (r.json or {}).get("cards"):
        decisions.append(r.json["cards"][0]["uuid"])
    r = hook(fakes["wrong_name"].url)
    checks.check(r.status == 502 and "TLS" in (r.json or {}).get("error", "") and not fakes["wrong_name"].requests,
                 "a private-CA certificate for another host name: 502, never asked", repr(r))
    before = len(good.requests)
    r = hook("http://127.0.0.1:%d/other" % good.port)
    checks.check(r.status == 412 and "allow-list" in (r.json or {}).get("error", "") and len(good.requests) == before,
                 "a fhirServer outside the allow-list: 412, never called", repr(r))
    # Still answering after all that.
    r = hook(good.url + "/fhir")
    checks.check(r.status == 200, "the service answers after fhirServer failures", repr(r))
    if r.status == 200 and (r.json or {}).get("cards"):
        decisions.append(r.json["cards"][0]["uuid"])
    log = server.log_text()
    checks.check("cds_fhir_fetch_failed" in log and "did not answer within" in log and "the-ehr-access-token" not in log
                 and "Patient/p1" not in log.split("cds_fhir_fetch_failed", 1)[-1].split("\n", 1)[0],
                 "fhirServer failures are in the server's log (without the token or the patient)", log[-2000:])


def run(binary, source_dir, tmp, checks):
    import validate_fhir
    checker = validate_fhir.schema_checker(source_dir)
    if checker is None:
        common.log("R4 schema not installed (tools/install-deps.sh): resources are not schema-checked")
    validated = []

    def validate(resource, where):
        if checker is None:
            return
        problems = checker(resource, where)
        validated.append(where)
        checks.check(not problems, "%s validates against the FHIR R4 schema" % where, "\n".join(problems[:10]))

    keys = (Key(tmp, "ES384", "ec-1"), Key(tmp, "RS384", "rsa-1"), Key(tmp, "ES384", "stranger"))
    jwks = os.path.join(tmp, "cds-jwks.json")
    with open(jwks, "w") as f:
        json.dump({"issuers": {EHR: {"keys": [keys[0].jwk]}, OTHER_EHR: {"keys": [keys[1].jwk]}}}, f)

    # Stand-ins for the EHR's FHIR servers a hook may name; all but one path of the first are
    # allow-listed (--cds-fhir-servers), with a 1 s timeout.
    ca, private_good, private_wrong_name = private_ca_tls(tmp)
    fakes = {"bundle": FakeFhirServer("bundle"), "stall": FakeFhirServer("stall"),
             "garbage": FakeFhirServer("garbage"), "tls": FakeFhirServer("bundle", {}, tls=self_signed_tls(tmp)),
             "private": FakeFhirServer("bundle", {}, tls=private_good),
             "wrong_name": FakeFhirServer("bundle", {}, tls=private_wrong_name)}
    allowed = [fakes["bundle"].url + "/fhir", fakes["stall"].url, fakes["garbage"].url + "/", fakes["tls"].url,
               fakes["private"].url, fakes["wrong_name"].url]
    server = None
    decisions = []
    try:
        server = hc.start_server(binary, source_dir, tmp, name="fhir server",
                                 extra_args=["--cds-jwks", jwks, "--fhir-base-url", BASE_URL + "/",
                                             "--fhir-canonical-base", CANONICAL + "/",
                                             "--cds-fhir-servers", ",".join(allowed), "--cds-fhir-timeout-ms", "1000",
                                             "--cds-fhir-ca", ca])
        questionnaire = fhir_calls(source_dir, server, checks, validate, decisions)
        if questionnaire:
            cds_calls(source_dir, server, checks, validate, decisions, questionnaire, keys)
            fakes["bundle"].resource = response_for(questionnaire, intake(source_dir, "emergency_cauda_equina.json"))
            fakes["private"].resource = fakes["wrong_name"].resource = fakes["bundle"].resource
            fhir_server_calls(source_dir, server, checks, decisions, questionnaire, keys, fakes)
        server.stop(checks)
    finally:
        if server:
            server.kill()
        for fake in fakes.values():
            fake.stop()
    if checker is not None:
        common.log("schema-checked %d resources" % len(validated))

    # Every decision made over FHIR and CDS Hooks is in the audit log, under who asked.
    rows = {row["decision_id"]: row for row in common.audit_rows(server.audit_db)}
    missing = [d for d in decisions if d not in rows]
    checks.check(decisions and not missing, "every decision returned (%d) is in the audit log" % len(decisions),
                 "missing: %s" % missing)
    clients = {row["client"].split(":")[0] for row in rows.values()}
    checks.check({"fhir", "https"} <= clients,
                 "FHIR decisions are logged as fhir:<peer>, CDS Hooks ones as <iss>#<sub>", repr(sorted(clients)))
    checks.check(any(row["client"] == EHR + "#client-7" for row in rows.values()),
                 "the CDS Hooks decision names the JWT's issuer and subject")
    verify = common.audit_verify(binary, server.audit_db)
    checks.check(verify[0] == 0, "triage audit verify passes on the FHIR server's log", verify[3])

    # Without --cds-jwks no CDS client is trusted: discovery answers, hooks are 401.
    plain = hc.start_server(binary, source_dir, tmp, name="server without cds-jwks")
    try:
        r = hc.call(plain.http_port, "GET", "/cds-services")
        checks.check(r.status == 200, "without --cds-jwks: discovery still answers", repr(r))
        r = hc.call(plain.http_port, "POST", "/cds-services/back-pain-triage", {"hook": "patient-view"},
                    bearer(keys[0].sign(claims())))
        checks.check(r.status == 401 and "not_configured" in r.headers.get("www-authenticate", ""),
                     "without --cds-jwks: a hook call is 401 not_configured", repr(r))
        plain.stop(checks)
    finally:
        plain.kill()


if __name__ == "__main__":
    if len(sys.argv) == 3 and os.path.exists(os.path.join(sys.argv[2], ".deps", "fhir-r4", "fhir.schema.json")):
        common.require_module("jsonschema", "python3-jsonschema")  # Debian's, under /usr/bin/python3 if need be
    sys.exit(common.run_main("fhir_http_test", run, 110, "triage-fhir-http-"))
