#!/usr/bin/env python3
"""Interop test: a real Connect client, connect-es 2 on connect-node, against `triage serve`.

usage: python3 connect_es_test.py TRIAGE_BINARY SOURCE_DIR

The client (tests/interop/connect-es/connect_es_client.mjs) and its npm packages, pinned with their
integrity hashes in tests/interop/connect-es/package-lock.json, are installed by
tools/install-deps.sh (`npm ci` into tests/interop/connect-es/node_modules, not committed). Without
them, or without node or protoc, the test fails and says to run that script.

1. `protoc --descriptor_set_out --include_imports` of proto/triage/v1/triage.proto and the
   google.rpc.BadRequest message (tests/interop/connect-es/proto/): the client builds the service
   from these descriptors at run time, so no generated code is kept.
2. `triage serve --http-listen` on free 127.0.0.1 ports with the shipped rules and a fresh audit log.
3. The client, with useBinaryFormat true (connect-es's default) and false (JSON), calls every unary
   method served over Connect (GetQuestionnaire, GetRuleset, Evaluate, EvaluateBatch) and checks the
   answers: an emergency intake is referred as an emergency with its red flag, a simple one gets
   the plan rules/examples/expected.tsv lists; a bad intake (unknown fact, wrong type) is a
   ConnectError InvalidArgument with the service's message and a google.rpc.BadRequest detail
   (err.findDetails) naming the fact; ReloadRules and an unknown method are Unimplemented; a
   gzip-compressed request is Unimplemented naming the supported encoding; headers
   (Content-Type both ways, Connect-Protocol-Version, Connect-Timeout-Ms).
4. The connect-es snippet of docs/integrators.md, run as it stands (server address and descriptor
   file substituted), prints what its comments say.
5. Every decision the client received is in the audit log with its request id, and the chain holds.
6. SIGTERM stops the server with exit status 0.
"""

import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http"))
import http_common as hc  # noqa: E402

common = hc.common
from interop_common import Failure, child_env, log  # noqa: E402

TOTAL_BUDGET_S = 55
CLIENT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "connect-es")
PACKAGES = ("@connectrpc/connect", "@connectrpc/connect-node", "@bufbuild/protobuf")


def require_client():
    """node, protoc and the pinned packages; a Failure naming what is missing otherwise."""
    for tool, package in (("node", "nodejs"), ("protoc", "protobuf-compiler")):
        if not shutil.which(tool):
            raise Failure("`%s` is not installed (Debian: %s); run tools/install-deps.sh" % (tool, package))
    with open(os.path.join(CLIENT_DIR, "package.json")) as f:
        pinned = json.load(f)["dependencies"]
    for package in PACKAGES:
        manifest = os.path.join(CLIENT_DIR, "node_modules", package, "package.json")
        try:
            with open(manifest) as f:
                version = json.load(f)["version"]
        except OSError:
            raise Failure("%s is not installed in %s: run tools/install-deps.sh (npm ci from package-lock.json)"
                          % (package, os.path.join(CLIENT_DIR, "node_modules")))
        if version != pinned[package]:
            raise Failure("%s %s is installed but package.json pins %s: run tools/install-deps.sh"
                          % (package, version, pinned[package]))


def docs_snippet(source_dir):
    """The connect-es example of docs/integrators.md ("Connect clients (connect-es)"), and the output
    its comments promise: the `// ...` line after each console.log (`…` stands for any text)."""
    with open(os.path.join(source_dir, "docs", "integrators.md")) as f:
        text = f.read()
    section = text.find("### Connect clients (connect-es)")
    start = text.find("```js\n", section)
    end = text.find("```\n", start + 6)
    if section < 0 or start < 0 or end < 0:
        raise Failure("docs/integrators.md has no ```js block under \"Connect clients (connect-es)\"")
    code = text[start + 6:end]
    lines = code.splitlines()
    promised = []
    for i, line in enumerate(lines[:-1]):
        if "console.log(" in line and lines[i + 1].strip().startswith("// "):
            promised.append(lines[i + 1].strip()[3:])
    if len(promised) != 2:
        raise Failure("the docs' connect-es snippet should promise two output lines, found %r" % promised)
    return code, promised


def run_docs_snippet(source_dir, base_url, descriptors, checks):
    code, promised = docs_snippet(source_dir)
    for placeholder, value in (('"http://127.0.0.1:8080"', json.dumps(base_url)),
                               ('readFileSync("triage.fds")', "readFileSync(%s)" % json.dumps(descriptors))):
        if code.count(placeholder) != 1:
            raise Failure("the docs' connect-es snippet should hold %s once" % placeholder)
        code = code.replace(placeholder, value)
    # Fed on stdin from the client folder, so its imports resolve in node_modules there.
    snippet = subprocess.run(["node", "--input-type=module"], input=code, capture_output=True, text=True,
                             timeout=common.scaled(30), env=child_env(), cwd=CLIENT_DIR)
    printed = snippet.stdout.splitlines()
    patterns = [re.compile(".*".join(re.escape(part) for part in line.split("…"))) for line in promised]
    checks.check(snippet.returncode == 0 and len(printed) == len(promised) and
                 all(p.fullmatch(line) for p, line in zip(patterns, printed)),
                 "docs/integrators.md's connect-es snippet runs and prints what its comments say",
                 "  exit status %d; promised %r; printed %r; stderr:\n%s"
                 % (snippet.returncode, promised, printed, snippet.stderr[-2000:]))
    log("docs snippet printed: %r" % printed)


def run(binary, source_dir, tmp, checks):
    require_client()
    descriptors = os.path.join(tmp, "triage.fds")
    compile_run = subprocess.run(
        ["protoc", "--descriptor_set_out=" + descriptors, "--include_imports",
         "-I" + os.path.join(source_dir, "proto"), "-I" + os.path.join(CLIENT_DIR, "proto"),
         "triage/v1/triage.proto", "google/rpc/error_details.proto"],
        capture_output=True, text=True, timeout=60)
    if compile_run.returncode != 0:
        raise Failure("protoc failed:\n" + compile_run.stderr)

    server = hc.start_server(binary, source_dir, tmp, name="connect-es server")
    try:
        base_url = "http://127.0.0.1:%d" % server.http_port
        client = subprocess.run(
            ["node", os.path.join(CLIENT_DIR, "connect_es_client.mjs"), base_url, descriptors,
             os.path.join(source_dir, "rules", "examples")],
            capture_output=True, text=True, timeout=common.scaled(40), env=child_env(), cwd=CLIENT_DIR)
        out = client.stdout.splitlines()
        for line in out:
            if not line.startswith("DECISIONS "):
                print("  client " + line, flush=True)
        passed = sum(1 for line in out if line.startswith("ok: "))
        failed = [line for line in out if line.startswith("FAIL: ")]
        checks.check(client.returncode == 0 and not failed and passed >= 60,
                     "the connect-es client's checks all pass (binary and JSON)",
                     "  exit status %d, %d passed, %d failed; stderr:\n%s"
                     % (client.returncode, passed, len(failed), client.stderr[-3000:]))
        received = [json.loads(line[len("DECISIONS "):]) for line in out if line.startswith("DECISIONS ")]
        received = received[0] if received else []
        checks.check(len(received) == 8 and {d["format"] for d in received} == {"binary", "json"},
                     "the client received 4 decisions in each format", repr(received))

        rows = {row["decision_id"]: row for row in common.audit_rows(server.audit_db)}
        for decision in received:
            row = rows.get(decision["decisionId"])
            checks.check(row is not None and row["request_id"] == decision["requestId"],
                         "decision %s (%s) is in the audit log with its request id" % (decision["requestId"],
                                                                                      decision["format"]),
                         "  row: %r" % (row and {k: row[k] for k in ("request_id", "client")}))
            if row is not None and decision["requestId"].endswith(("-emergency", "-batch-0")):
                recorded = json.loads(row["decision"])
                checks.check(recorded.get("outcome") == "refer" and recorded.get("urgency") == "emergency",
                             "the audit log records %s as an emergency referral" % decision["requestId"],
                             "  %r" % {k: recorded.get(k) for k in ("outcome", "urgency")})
        run_docs_snippet(source_dir, base_url, descriptors, checks)
        all_rows = common.audit_rows(server.audit_db)
        common.check_chain(checks, all_rows)
        log("%d decisions in the audit log" % len(all_rows))
        server.stop(checks)
    finally:
        server.kill()


if __name__ == "__main__":
    sys.exit(common.run_main("connect_es_test", run, TOTAL_BUDGET_S, "triage-connect-es-"))
