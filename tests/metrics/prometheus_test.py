#!/usr/bin/env python3
"""Metrics, trace context and access logs end to end, read by a real Prometheus server (Debian's
`prometheus` and `promtool`).

usage: python3 prometheus_test.py TRIAGE_BINARY SOURCE_DIR

  - `triage serve --http-listen --log-format json` decides N example intakes over HTTP
  - `prometheus` (its own config, temporary storage and a free port) scrapes GET /metrics every
    second; its HTTP API (/api/v1/query) answers the decision counter (== N, and per outcome what
    the replies said) and histogram_quantile(0.9, ...) over the latency histogram (a number)
  - `promtool check metrics` is clean on the exposition
  - traceparent: the caller's trace id comes back in the reply header, the JSON `http_request`
    and `decision` log lines (with the decision id); a request without one gets a new trace; gRPC
    metadata the same
  - gRPC health answers SERVING for "" and for "triage.v1.TriageService", NOT_FOUND for others
  - --metrics-listen serves /metrics on its own port (and the HTTP port then answers 404)
  - the trace id is in the decision's audit record: `triage audit export` shows it, the chain
    recomputes and `triage audit verify` passes
  - `triage --version` names the version and commit
Everything started here is stopped here; network: 127.0.0.1 only.
"""

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))
import http_common as hc  # noqa: E402

common = hc.common
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = "00-%s-00f067aa0ba902b7-01" % TRACE_ID


def start_prometheus(tmp, target):
    """Prometheus scraping `target` (host:port) every second; returns (process, api base URL)."""
    port = common.free_port()
    config = os.path.join(tmp, "prometheus.yml")
    with open(config, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
                "scrape_configs:\n  - job_name: triage\n    static_configs:\n      - targets: ['%s']\n" % target)
    log_file = open(os.path.join(tmp, "prometheus.log"), "wb")
    process = subprocess.Popen(
        common.pdeathsig_prefix() + [shutil.which("prometheus"), "--config.file=" + config,
                                     "--storage.tsdb.path=" + os.path.join(tmp, "prometheus-data"),
                                     "--web.listen-address=127.0.0.1:%d" % port, "--log.level=warn"],
        stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file, cwd=tmp, env=common.child_env())
    log_file.close()
    return process, "http://127.0.0.1:%d" % port


def stop_prometheus(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def query(base, expression):
    """The result list of an instant query, or None while Prometheus cannot answer."""
    url = base + "/api/v1/query?" + urllib.parse.urlencode({"query": expression})
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            body = json.load(reply)
    except (OSError, ValueError):
        return None
    return body["data"]["result"] if body.get("status") == "success" else None


def wait_for(base, expression, accept, timeout_s, prometheus):
    """Polls `expression` until accept(result) holds; returns the last result."""
    deadline = time.monotonic() + common.scaled(timeout_s)
    result = None
    while time.monotonic() < deadline:
        if prometheus.poll() is not None:
            raise common.Failure("prometheus exited with status %s" % prometheus.returncode)
        result = query(base, expression)
        if result is not None and accept(result):
            return result
        time.sleep(0.25)
    return result


def log_lines(server):
    lines = []
    for line in server.log_text().splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            pass
    return lines


def check_logs(checks, server, decision_id):
    """The JSON log lines of the traced request, read once the 1 s log flush has run."""
    deadline = time.monotonic() + common.scaled(5)
    while True:
        lines = log_lines(server)
        access = [l for l in lines if l.get("event") == "http_request" and l.get("trace_id") == TRACE_ID]
        decided = [l for l in lines if l.get("event") == "decision" and l.get("trace_id") == TRACE_ID]
        if (access and decided) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    checks.check(len(access) == 1, "one JSON http_request line carries the caller's trace id", str(access))
    if access:
        line = access[0]
        checks.check(line.get("route") == "/v1/evaluate" and line.get("status") == 200 and line.get("method") == "POST"
                     and isinstance(line.get("latency_us"), int) and line.get("decision_id") == decision_id
                     and line.get("outcome") in ("refer", "self_care", "incomplete") and "time" in line,
                     "the access line has time, route, method, status, latency, decision id and outcome", str(line))
        checks.check("answers" not in line and "pain_intensity" not in json.dumps(line),
                     "the access line holds no answers", str(line))
    checks.check(len(decided) == 1 and decided[0].get("decision_id") == decision_id,
                 "the decision's log line carries the trace id", str(decided))
    others = [l for l in lines if l.get("event") == "http_request" and l.get("route") == "/metrics"]
    checks.check(len(others) > 0 and all(len(l.get("trace_id", "")) == 32 and l["trace_id"] != TRACE_ID
                                         for l in others),
                 "requests without traceparent are logged with a new trace id each", str(others[:3]))


def check_grpc(checks, source_dir, tmp, server):
    import grpc
    pb, health_pb = common.compile_protos(source_dir, os.path.join(tmp, "gen"))
    with common.insecure_channel(server.address()) as channel:
        client = common.Client(channel, pb, health_pb)
        for name in ("", "triage.v1.TriageService"):
            reply = client.health_check(health_pb.HealthCheckRequest(service=name), timeout=5)
            checks.check(health_pb.HealthCheckResponse.ServingStatus.Name(reply.status) == "SERVING",
                         "gRPC health for %r is SERVING" % name, str(reply))
        try:
            client.health_check(health_pb.HealthCheckRequest(service="no.such.Service"), timeout=5)
            checks.check(False, "gRPC health for an unknown service is NOT_FOUND")
        except grpc.RpcError as e:
            checks.check(e.code() == grpc.StatusCode.NOT_FOUND, "gRPC health for an unknown service is NOT_FOUND",
                         str(e.code()))
        info, call = client.get_ruleset.with_call(pb.GetRulesetRequest(), timeout=5,
                                                  metadata=[("traceparent", TRACEPARENT),
                                                            ("tracestate", "congo=t61rcWkgMzE")])
        checks.check(info.build.version and info.build.commit and info.build.libraries.get("grpc"),
                     "GetRuleset names the build (version, commit, libraries)", str(info.build))
        returned = dict(call.initial_metadata()).get("traceparent", "")
        checks.check(dict(call.initial_metadata()).get("tracestate") == "congo=t61rcWkgMzE",
                     "gRPC returns the caller's tracestate unchanged", str(call.initial_metadata()))
        checks.check(returned.startswith("00-%s-" % TRACE_ID) and len(returned) == 55,
                     "gRPC returns the caller's trace id in the traceparent metadata", returned)
        _, call = client.get_ruleset.with_call(pb.GetRulesetRequest(), timeout=5)
        fresh = dict(call.initial_metadata()).get("traceparent", "")
        checks.check(len(fresh) == 55 and TRACE_ID not in fresh, "gRPC starts a trace when none is sent", fresh)


def run(binary, source_dir, tmp, checks):
    common.require_grpc()  # may run this script again under /usr/bin/python3: before anything starts
    rules = os.path.join(source_dir, "rules")
    for tool in ("prometheus", "promtool"):
        if shutil.which(tool) is None:
            raise common.Failure("%s is not installed (Debian: prometheus; tools/install-deps.sh)" % tool)
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
    checks.check(version.returncode == 0 and version.stdout.startswith("triage ") and "\ncommit " in version.stdout
                 and "\ngrpc " in version.stdout, "triage --version names the version, commit and libraries",
                 version.stdout + version.stderr)

    # The example alerts of docs/operations.md are valid rules for this Prometheus.
    with open(os.path.join(source_dir, "docs", "operations.md")) as f:
        doc = f.read()
    rules_yaml = doc.split("```yaml\n", 1)[1].split("```", 1)[0] if "```yaml\n" in doc else ""
    rules_file = os.path.join(tmp, "alerts.yml")
    with open(rules_file, "w") as f:
        f.write(rules_yaml)
    lint = subprocess.run(["promtool", "check", "rules", rules_file], capture_output=True, text=True, timeout=30)
    checks.check("groups:" in rules_yaml and lint.returncode == 0 and "SUCCESS: 6 rules found" in lint.stdout,
                 "promtool check rules passes the example alerts of docs/operations.md", lint.stdout + lint.stderr)

    server = hc.start_server(binary, source_dir, tmp, name="metrics server", extra_args=["--log-format", "json"])
    prometheus = None
    try:
        prometheus, api = start_prometheus(tmp, "127.0.0.1:%d" % server.http_port)
        intakes = [json.load(open(path)) for path in common.example_intakes(rules)]
        outcomes = {}
        decided = 0
        traced_decision = None
        conn = hc.connect(server.http_port)
        for i in range(30):
            headers = {"traceparent": TRACEPARENT, "tracestate": "congo=t61rcWkgMzE"} if i == 0 else {}
            r = hc.request(conn, "POST", "/v1/evaluate", intakes[i % len(intakes)], headers)
            if not checks.check(r.status == 200, "decision %d is answered 200" % i, repr(r)):
                continue
            decided += 1
            outcomes[r.json["outcome"]] = outcomes.get(r.json["outcome"], 0) + 1
            returned = r.headers.get("traceparent", "")
            if i == 0:
                traced_decision = r.json["decision_id"]
                checks.check(returned.startswith("00-%s-" % TRACE_ID) and returned.endswith("-01")
                             and returned != TRACEPARENT, "HTTP returns the caller's trace id with a new span",
                             returned)
                checks.check(r.headers.get("tracestate") == "congo=t61rcWkgMzE",
                             "HTTP returns the caller's tracestate unchanged", str(r.headers))
            else:
                checks.check(len(returned) == 55 and TRACE_ID not in returned,
                             "HTTP starts a new trace when none is sent", returned)
        conn.close()
        bad = hc.call(server.http_port, "POST", "/v1/evaluate", {"answers": {"pain_intensity": 11}})
        checks.check(bad.status == 400, "a refused intake is answered 400", repr(bad))
        common.log("decided %d intakes over HTTP: %s" % (decided, outcomes))

        ruleset = hc.call(server.http_port, "GET", "/v1/ruleset")
        build = (ruleset.json or {}).get("build", {})
        checks.check(build.get("version") and build.get("commit") and "sqlite" in build.get("libraries", {}),
                     "GET /v1/ruleset names the build", repr(ruleset))
        healthz = hc.call(server.http_port, "GET", "/healthz")
        checks.check((healthz.json or {}).get("commit") == build.get("commit"), "/healthz names the same commit",
                     repr(healthz))
        exposition = hc.call(server.http_port, "GET", "/metrics")
        checks.check(exposition.status == 200 and exposition.headers.get("content-type", "").startswith(
            "text/plain; version=0.0.4"), "GET /metrics answers the text format", repr(exposition))
        lint = subprocess.run(["promtool", "check", "metrics"], input=exposition.body, capture_output=True,
                              timeout=30)
        checks.check(lint.returncode == 0 and not lint.stdout.strip() and not lint.stderr.strip(),
                     "promtool check metrics is clean",
                     (lint.stdout + lint.stderr).decode("utf-8", "replace")[:3000])

        total = wait_for(api, 'sum(triage_decisions_total{job="triage"})',
                         lambda r: r and float(r[0]["value"][1]) == decided, 40, prometheus)
        checks.check(total and float(total[0]["value"][1]) == decided,
                     "Prometheus's sum(triage_decisions_total) is the %d decisions driven" % decided, str(total))
        by_outcome = query(api, "sum by (outcome) (triage_decisions_total)") or []
        seen = {r["metric"]["outcome"]: int(float(r["value"][1])) for r in by_outcome if float(r["value"][1]) > 0}
        checks.check(seen == outcomes, "Prometheus counts the outcomes the replies had", "%s vs %s" % (seen, outcomes))
        quantile = query(api, "histogram_quantile(0.9, sum by (le) (triage_decision_duration_seconds_bucket))")
        value = float(quantile[0]["value"][1]) if quantile else float("nan")
        checks.check(value == value and 0 < value <= 10,
                     "histogram_quantile(0.9) over the decision latency is a number of seconds", str(quantile))
        commit = query(api, "histogram_quantile(0.5, sum by (le) (triage_audit_commit_duration_seconds_bucket))")
        value = float(commit[0]["value"][1]) if commit else float("nan")
        checks.check(value == value and 0 < value <= 10, "the audit commit latency has a median", str(commit))
        requests = query(api, 'triage_requests_total{protocol="http",route="/v1/evaluate",code="200"}') or []
        checks.check(len(requests) == 1 and float(requests[0]["value"][1]) == decided,
                     "requests are counted by route and status code", str(requests))
        refused = query(api, 'triage_requests_total{protocol="http",route="/v1/evaluate",code="400"}') or []
        checks.check(len(refused) == 1 and float(refused[0]["value"][1]) == 1, "the 400 is counted", str(refused))
        for expression in ("triage_build_info", "triage_ruleset_info", "process_resident_memory_bytes",
                           "triage_audit_queue_depth", "triage_serving"):
            found = query(api, expression) or []
            checks.check(len(found) == 1, "Prometheus has %s" % expression, str(found))

        check_logs(checks, server, traced_decision)
        check_grpc(checks, source_dir, tmp, server)
    finally:
        if prometheus is not None:
            stop_prometheus(prometheus)
        server.stop(checks)
        server.kill()

    # The trace id is in the audit record (covered by the hash chain): export and verify.
    export = subprocess.run([binary, "audit", "export", "--db", server.audit_db, "--format", "jsonl"],
                            capture_output=True, text=True, timeout=60, env=common.child_env())
    records = [json.loads(line) for line in export.stdout.splitlines() if line.strip()]
    traced = [r for r in records if r.get("decision_id") == traced_decision]
    checks.check(export.returncode == 0 and len(traced) == 1 and traced[0].get("trace_id") == TRACE_ID,
                 "triage audit export shows the caller's trace id on its decision", export.stderr[-2000:])
    others = [r for r in records if r.get("decision_id") != traced_decision]
    checks.check(len(others) == decided - 1 and all(len(r.get("trace_id", "")) == 32 and r["trace_id"] != TRACE_ID
                                                    for r in others),
                 "every other record has its own new trace id", str([r.get("trace_id") for r in others][:5]))
    rows = common.audit_rows(server.audit_db)
    checks.check(len(rows) == decided and common.check_chain(checks, rows, "(with trace ids)") is not None,
                 "the chain over records with trace ids recomputes")
    verify = subprocess.run([binary, "audit", "verify", "--db", server.audit_db], capture_output=True, text=True,
                            timeout=60, env=common.child_env())
    checks.check(verify.returncode == 0, "triage audit verify passes a log with trace ids",
                 verify.stdout[-2000:] + verify.stderr[-2000:])

    # --metrics-listen: /metrics on its own plaintext port, not on the HTTP port.
    metrics_port = common.free_port()
    separate = hc.start_server(binary, source_dir, tmp, name="metrics-listen server",
                               extra_args=["--metrics-listen", "127.0.0.1:%d" % metrics_port])
    try:
        deadline = time.monotonic() + common.scaled(10)
        reply = None
        while time.monotonic() < deadline:
            try:
                reply = hc.call(metrics_port, "GET", "/metrics")
                break
            except OSError:
                time.sleep(0.1)
        checks.check(reply is not None and reply.status == 200 and b"triage_decisions_total" in reply.body,
                     "--metrics-listen serves /metrics", repr(reply))
        checks.check(hc.call(metrics_port, "GET", "/v1/questionnaire").status == 404,
                     "the metrics port serves nothing else")
        checks.check(hc.call(separate.http_port, "GET", "/metrics").status == 404,
                     "with --metrics-listen the HTTP port does not serve /metrics")
    finally:
        separate.stop(checks)
        separate.kill()


if __name__ == "__main__":
    sys.exit(common.run_main("prometheus_test", run, 120, "triage-prometheus-"))
