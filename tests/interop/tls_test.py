#!/usr/bin/env python3
"""Interop test: `triage serve` under TLS and mutual TLS, called with `triage call`.

usage: python3 tls_test.py TRIAGE_BINARY SOURCE_DIR

Makes a throw-away CA with the `openssl` command line, a server certificate for 127.0.0.1 and
localhost, a client certificate (CN=kiosk-042), and a second, untrusted CA with its own server and
client certificates. Then:

  a. TLS (--tls-cert/--tls-key): `triage call --tls-ca CA` succeeds and returns the same outcome as
     `triage eval`; a plaintext call and a call trusting the wrong CA fail;
  b. mutual TLS (plus --tls-client-ca CA): a call with the client certificate succeeds and is in
     the audit log as `cert:<subject>` naming kiosk-042 (an x-client-id cannot override it); a call
     without a client certificate, or with one from the untrusted CA, fails.

Refused calls leave no decision in the audit log, the hash chain runs on across the restart, and
every server exits 0 on SIGTERM. Standard library only (plus `openssl` and the triage binary).
Network: 127.0.0.1 only. Exit status 0 when everything holds, 1 with the failures otherwise.
"""

import glob
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_common as common  # noqa: E402
from interop_common import Failure, audit_rows, child_env, log  # noqa: E402

TOTAL_BUDGET_S = 55
START_TIMEOUT_S = 20
STOP_TIMEOUT_S = 15
CALL_TIMEOUT_MS = 5000

OPENSSL_CONFIG = """\
[req]
distinguished_name = dn
prompt = no

[dn]
CN = unused

[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash

[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""

# ------------------------------------------------------------------------------------------------
# Certificates

def openssl(args, cwd):
    run = subprocess.run(["openssl"] + args, cwd=cwd, capture_output=True, text=True, timeout=30,
                         env=dict(child_env(), OPENSSL_CONF=os.path.join(cwd, "openssl.cnf")))
    if run.returncode != 0:
        raise Failure("openssl %s failed (exit %d):\n%s" % (" ".join(args), run.returncode, run.stderr))
    return run.stdout


def make_pki(d):
    with open(os.path.join(d, "openssl.cnf"), "w") as f:
        f.write(OPENSSL_CONFIG)

    def key(name):
        openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name + ".key"], d)

    def ca(name, subject):
        key(name)
        openssl(["req", "-x509", "-new", "-config", "openssl.cnf", "-extensions", "v3_ca", "-key", name + ".key",
                 "-sha256", "-days", "2", "-subj", subject, "-out", name + ".crt"], d)

    serial = [1000]

    def leaf(name, subject, ca_name, extensions):
        key(name)
        openssl(["req", "-new", "-config", "openssl.cnf", "-key", name + ".key", "-subj", subject,
                 "-out", name + ".csr"], d)
        serial[0] += 1
        openssl(["x509", "-req", "-in", name + ".csr", "-CA", ca_name + ".crt", "-CAkey", ca_name + ".key",
                 "-set_serial", str(serial[0]), "-days", "2", "-sha256", "-extfile", "openssl.cnf",
                 "-extensions", extensions, "-out", name + ".crt"], d)

    ca("ca", "/O=Triage Interop Test/CN=Triage Interop Test CA")
    leaf("server", "/O=Triage Interop Test/CN=localhost", "ca", "server")
    leaf("client", "/O=Triage Interop Test/CN=kiosk-042", "ca", "client")
    leaf("admin", "/O=Triage Interop Test/CN=clinic-admin", "ca", "client")
    # The red team's kiosks: `CN=clinic-admin` inside another attribute's value, the real CN a kiosk.
    leaf("spoof_o", "/O=x CN=clinic-admin/CN=kiosk-8", "ca", "client")
    leaf("spoof_ou", "/OU=y,CN=clinic-admin/CN=kiosk-9", "ca", "client")
    # Nobody trusts this one.
    ca("rogue_ca", "/O=Somebody Else/CN=Rogue CA")
    leaf("rogue_client", "/O=Somebody Else/CN=kiosk-042", "rogue_ca", "client")

    for name in ("server", "client", "rogue_client"):
        verify = subprocess.run(["openssl", "verify", "-CAfile", ("rogue_ca" if name.startswith("rogue") else "ca")
                                 + ".crt", name + ".crt"], cwd=d, capture_output=True, text=True, timeout=30)
        if verify.returncode != 0:
            raise Failure("the generated %s certificate does not verify:\n%s%s" % (name, verify.stdout,
                                                                                  verify.stderr))
    files = {}
    for name in ("ca", "server", "client", "admin", "spoof_o", "spoof_ou", "rogue_ca", "rogue_client"):
        files[name] = os.path.join(d, name + ".crt")
        files[name + "_key"] = os.path.join(d, name + ".key")
    return files


# ------------------------------------------------------------------------------------------------
# Server and calls

# Calls

def call(binary, target, intake, extra):
    """Runs `triage call`; returns (exit status, parsed decision or None, stderr)."""
    run = subprocess.run([binary, "call", "--server", target, "--intake", intake, "--timeout-ms",
                          str(CALL_TIMEOUT_MS)] + extra, capture_output=True, text=True,
                         timeout=CALL_TIMEOUT_MS / 1000 + 10, env=child_env())
    decision = None
    if run.returncode == 0:
        try:
            decision = json.loads(run.stdout)
        except ValueError:
            pass
    return run.returncode, decision, run.stderr.strip()


# ------------------------------------------------------------------------------------------------
# The test

def run(binary, source_dir, tmp, checks):
    rules = os.path.join(source_dir, "rules")
    intake = os.path.join(rules, "examples", "self_care_lower_back.json")
    if not os.path.exists(intake):
        examples = sorted(glob.glob(os.path.join(rules, "examples", "*.json")))
        if not examples:
            raise Failure("no example intakes in " + os.path.join(rules, "examples"))
        intake = examples[0]
    expected = subprocess.run([binary, "eval", "--rules", rules, "--intake", intake], capture_output=True,
                              text=True, timeout=common.scaled(20), env=child_env())
    if expected.returncode != 0:
        raise Failure("`triage eval --intake %s` exited %d: %s" % (intake, expected.returncode, expected.stderr))
    expected_outcome = json.loads(expected.stdout)["outcome"]

    started = time.monotonic()
    pki_dir = os.path.join(tmp, "pki")
    os.makedirs(pki_dir)
    pki = make_pki(pki_dir)
    log("made the certificates in %.1f s" % (time.monotonic() - started))

    audit_db = os.path.join(tmp, "audit", "audit.db")
    accepted = []  # request ids of the calls that returned a decision, in order
    servers = []
    try:
        # a. TLS.
        tls = common.Server(binary, rules, tmp, audit_db, name="TLS server", log_name="TLS.log",
                            extra_args=["--tls-cert", pki["server"], "--tls-key", pki["server_key"]],
                            start_timeout_s=START_TIMEOUT_S)
        servers.append(tls)
        tls.start()
        target = "127.0.0.1:%d" % tls.port
        log("TLS server listening on %s" % target)

        def expect_ok(server, what, extra, request_id):
            status, decision, err = call(binary, "127.0.0.1:%d" % server.port, intake,
                                         extra + ["--request-id", request_id])
            ok = status == 0 and decision is not None and decision.get("outcome") == expected_outcome
            checks.check(ok, "%s succeeds with outcome %s" % (what, expected_outcome),
                         "  exit %d, stderr: %s\n  stdout decision: %s\n  server log tail:\n%s"
                         % (status, err, decision, server.log_text()[-1500:]))
            if ok:
                checks.check(decision.get("request_id") == request_id, "%s echoes the request id" % what)
                accepted.append(request_id)
            return ok

        def expect_refused(server, what, extra, request_id):
            status, decision, err = call(binary, "127.0.0.1:%d" % server.port, intake,
                                         extra + ["--request-id", request_id])
            if checks.check(status != 0, "%s fails with a non-zero exit" % what,
                            "  exit %d, decision %s" % (status, decision)):
                log("  %s: exit %d, %s" % (what, status, err.splitlines()[-1] if err else "(no message)"))
            return err

        expect_ok(tls, "a TLS call trusting the CA", ["--tls-ca", pki["ca"]], "tls-1")
        expect_refused(tls, "a plaintext call to the TLS server", [], "tls-plaintext")
        expect_refused(tls, "a TLS call trusting only another CA", ["--tls-ca", pki["rogue_ca"]], "tls-rogue-ca")
        expect_ok(tls, "a TLS call with --client-id", ["--tls-ca", pki["ca"], "--client-id", "kiosk-tls-7"],
                  "tls-2")
        rows = audit_rows(audit_db)
        checks.check([r["request_id"] for r in rows] == accepted,
                     "the audit log holds exactly the TLS calls that returned a decision",
                     "  audit request ids %s, accepted %s" % ([r["request_id"] for r in rows], accepted))
        if rows:
            checks.check(rows[-1]["client"] == "id:kiosk-tls-7",
                         "under TLS without a client certificate the client is the x-client-id",
                         "  got %r" % rows[-1]["client"])
        tls.stop(checks, STOP_TIMEOUT_S)

        # b. Mutual TLS, on the same audit log.
        mtls = common.Server(binary, rules, tmp, audit_db, name="mutual TLS server", log_name="mutual TLS.log",
                             extra_args=["--tls-cert", pki["server"], "--tls-key", pki["server_key"],
                                         "--tls-client-ca", pki["ca"], "--admin-subjects", "clinic-admin"],
                             start_timeout_s=START_TIMEOUT_S)
        servers.append(mtls)
        mtls.start()
        log("mutual TLS server listening on 127.0.0.1:%d" % mtls.port)
        with_cert = ["--tls-ca", pki["ca"], "--tls-cert", pki["client"], "--tls-key", pki["client_key"]]
        if expect_ok(mtls, "a mutual TLS call with the client certificate", with_cert, "mtls-1"):
            last = audit_rows(audit_db)[-1]
            checks.check(last["request_id"] == "mtls-1", "the last audit record is the mutual TLS call",
                         "  got request_id %r" % last["request_id"])
            checks.check(last["client"].startswith("cert:") and "kiosk-042" in last["client"],
                         "the audit log names the client by its certificate (cert:..., kiosk-042)",
                         "  got %r" % last["client"])
            log("  audit client: %r" % last["client"])
        if expect_ok(mtls, "a mutual TLS call with the certificate and --client-id",
                     with_cert + ["--client-id", "spoofed-kiosk"], "mtls-2"):
            last = audit_rows(audit_db)[-1]
            checks.check(last["client"].startswith("cert:") and "kiosk-042" in last["client"]
                         and "spoofed" not in last["client"],
                         "x-client-id cannot override the certificate identity", "  got %r" % last["client"])
        expect_refused(mtls, "a mutual TLS call without a client certificate", ["--tls-ca", pki["ca"]],
                       "mtls-no-cert")
        expect_refused(mtls, "a mutual TLS call with a certificate from an untrusted CA",
                       ["--tls-ca", pki["ca"], "--tls-cert", pki["rogue_client"], "--tls-key",
                        pki["rogue_client_key"]], "mtls-rogue-cert")
        expect_refused(mtls, "a plaintext call to the mutual TLS server", [], "mtls-plaintext")
        expect_ok(mtls, "a mutual TLS call after the refusals", with_cert, "mtls-3")

        # c. ReloadRules is for admins only: a kiosk's certificate is refused, the admin's works.
        target = "127.0.0.1:%d" % mtls.port
        kiosk_reload = subprocess.run([binary, "reload", "--server", target] + with_cert, capture_output=True,
                                      text=True, timeout=common.scaled(30), env=child_env())
        checks.check(kiosk_reload.returncode != 0 and "PERMISSION_DENIED" in kiosk_reload.stderr,
                     "a kiosk certificate cannot reload the rules (PERMISSION_DENIED)",
                     "  exit %d: %s" % (kiosk_reload.returncode, kiosk_reload.stderr.strip()))
        for spoof in ("spoof_o", "spoof_ou"):
            spoof_reload = subprocess.run([binary, "reload", "--server", target, "--tls-ca", pki["ca"], "--tls-cert",
                                           pki[spoof], "--tls-key", pki[spoof + "_key"]], capture_output=True,
                                          text=True, timeout=common.scaled(30), env=child_env())
            checks.check(spoof_reload.returncode != 0 and "PERMISSION_DENIED" in spoof_reload.stderr,
                         "a kiosk certificate with CN=clinic-admin inside another attribute (%s) cannot reload" % spoof,
                         "  exit %d: %s %s" % (spoof_reload.returncode, spoof_reload.stdout.strip(),
                                               spoof_reload.stderr.strip()))
        # A reload checks the candidate (safety analysis included): give it a scaled deadline too.
        admin_reload = subprocess.run([binary, "reload", "--server", target, "--tls-ca", pki["ca"], "--tls-cert",
                                       pki["admin"], "--tls-key", pki["admin_key"],
                                       "--timeout-ms", str(int(common.scaled(10) * 1000))], capture_output=True,
                                      text=True, timeout=common.scaled(30), env=child_env())
        checks.check(admin_reload.returncode == 0 and '"reloaded":true' in admin_reload.stdout,
                     "the admin certificate reloads the rules",
                     "  exit %d: %s %s" % (admin_reload.returncode, admin_reload.stdout.strip(),
                                           admin_reload.stderr.strip()))
        mtls.stop(checks, STOP_TIMEOUT_S)

        rows = audit_rows(audit_db)
        checks.check([r["request_id"] for r in rows] == accepted,
                     "the audit log holds exactly the calls that returned a decision",
                     "  audit request ids %s, accepted %s" % ([r["request_id"] for r in rows], accepted))
        common.check_chain(checks, rows, " (across the restart)")
    finally:
        for server in servers:
            server.kill()


if __name__ == "__main__":
    sys.exit(common.run_main("tls_test", run, TOTAL_BUDGET_S, "triage-tls-"))
