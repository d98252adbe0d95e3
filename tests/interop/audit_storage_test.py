#!/usr/bin/env python3
"""The audit log on storage that is read-only or damaged, end to end with the built binary.

a. Auditors read a log on a read-only mount (a mount namespace from `unshare -rm`, so no real
   mount changes): `verify`, `export` and `replay` work on a log copied while the server ran (its
   -wal with and without its -shm) and on a log the server closed (no -wal).
b. `serve` refuses a damaged log: a zeroed page or an edited record gives NOT_SERVING, no decision
   (UNAVAILABLE) and nothing appended; a 0-byte file is refused unless --audit-init.
c. Signed checkpoints: a server with --audit-signing-key leaves a log that `audit verify
   --trusted-keys` accepts; the same log rewritten with every hash recomputed (which plain verify
   accepts) or cut short is refused.

usage: python3 audit_storage_test.py TRIAGE_BINARY SOURCE_DIR
"""
import os
import shutil
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_common as common  # noqa: E402
from interop_common import Failure, child_env  # noqa: E402


def call(binary, server, source_dir, request_id):
    intake = os.path.join(source_dir, "rules", "examples", "self_care_lower_back.json")
    return subprocess.run([binary, "call", "--server", server.address(), "--intake", intake, "--request-id", request_id],
                          capture_output=True, text=True, timeout=common.scaled(30), env=child_env())


def read_only(command, folder):
    """Runs `command` with `folder` mounted read-only over itself, in a private mount namespace."""
    script = 'mount --bind -o ro "$0" "$0" && touch "$0/probe" 2>/dev/null && exit 99; shift; exec "$@"'
    return subprocess.run(["unshare", "-rm", "sh", "-c", script, folder, "--"] + command, capture_output=True,
                          text=True, timeout=common.scaled(60), env=child_env())


def decision_count(path):
    try:
        with sqlite3.connect("file:%s?mode=ro" % path, uri=True) as c:
            return c.execute("SELECT count(*) FROM decisions").fetchone()[0]
    except sqlite3.Error as e:
        return "unreadable (%s)" % e


def run(binary, source_dir, tmp, checks):
    rules = os.path.join(source_dir, "rules")
    live = os.path.join(tmp, "live")
    os.makedirs(live)
    db = os.path.join(live, "audit.db")
    server = common.Server(binary, rules, tmp, db, extra_args=["--watch-interval-ms", "0"])
    server.start()
    try:
        for i in range(3):
            reply = call(binary, server, source_dir, "ro-%d" % i)
            checks.check(reply.returncode == 0, "call %d is decided" % i, reply.stderr)
        # Copies taken while the server runs: the decisions may still be in the -wal.
        copies = {}
        for name, files in (("with_shm", ("", "-wal", "-shm")), ("without_shm", ("", "-wal"))):
            folder = os.path.join(tmp, name)
            os.makedirs(folder)
            for suffix in files:
                if os.path.exists(db + suffix):
                    shutil.copyfile(db + suffix, os.path.join(folder, "audit.db" + suffix))
            copies[name] = folder
    finally:
        server.stop(checks)
    closed = os.path.join(tmp, "closed")
    os.makedirs(closed)
    shutil.copyfile(db, os.path.join(closed, "audit.db"))
    copies["closed"] = closed
    checks.check(not os.path.exists(db + "-wal") or os.path.getsize(db + "-wal") == 0,
                 "a closed log has no WAL content left")

    # a. Read-only storage.
    for name, folder in copies.items():
        for f in os.listdir(folder):
            os.chmod(os.path.join(folder, f), 0o444)
        path = os.path.join(folder, "audit.db")
        verify = read_only([binary, "audit", "verify", "--db", path], folder)
        checks.check(verify.returncode != 99, "%s: the folder is really read-only" % name)
        checks.check(verify.returncode == 0 and "verified 3 decisions" in verify.stdout,
                     "%s: verify on a read-only mount" % name,
                     "  exit %d: %s %s" % (verify.returncode, verify.stdout.strip(), verify.stderr.strip()))
        export = read_only([binary, "audit", "export", "--db", path, "--format", "jsonl"], folder)
        checks.check(export.returncode == 0 and len(export.stdout.splitlines()) == 3,
                     "%s: export on a read-only mount" % name,
                     "  exit %d: %s" % (export.returncode, export.stderr.strip()))
        replay = read_only([binary, "audit", "replay", "--db", path], folder)
        checks.check(replay.returncode == 0, "%s: replay on a read-only mount" % name,
                     "  exit %d: %s %s" % (replay.returncode, replay.stdout.strip()[:300], replay.stderr.strip()))

    # b. Damaged logs are refused by serve.
    def serve_refuses(path, what):
        server = common.Server(binary, rules, tmp, path, name="server on %s" % what,
                               extra_args=["--watch-interval-ms", "0"])
        server.start()
        try:
            before = decision_count(path)
            health = subprocess.run([binary, "call", "--server", server.address(), "--intake",
                                     os.path.join(source_dir, "rules", "examples", "self_care_lower_back.json")],
                                    capture_output=True, text=True, timeout=common.scaled(30), env=child_env())
            checks.check(health.returncode != 0 and "UNAVAILABLE" in health.stderr,
                         "%s: a call gets UNAVAILABLE" % what,
                         "  exit %d: %s %s" % (health.returncode, health.stdout.strip()[:200], health.stderr.strip()))
            time.sleep(0.2)
            log_text = server.log_text()
            checks.check("audit_log_refused" in log_text and "failed its start-up check" in log_text
                         and "not_serving" in log_text, "%s: the server log says why it does not serve" % what,
                         "  log: %s" % log_text[-1500:])
        finally:
            server.stop(checks)
        checks.check(decision_count(path) == before, "%s: nothing appended" % what,
                     "  %s decisions before, %s after" % (before, decision_count(path)))

    page = 4096
    zeroed = os.path.join(tmp, "zeroed.db")
    shutil.copyfile(db, zeroed)
    os.chmod(zeroed, 0o600)
    size = os.path.getsize(zeroed)
    checks.check(size >= 4 * page, "the log has a few pages to damage", "  %d bytes" % size)
    with open(zeroed, "r+b") as f:
        f.seek((size // page // 2) * page)  # a few pages in the middle (stored rule files)
        f.write(b"\0" * (4 * page))
    serve_refuses(zeroed, "a zeroed page")

    edited = os.path.join(tmp, "edited.db")
    shutil.copyfile(db, edited)
    os.chmod(edited, 0o600)
    with sqlite3.connect(edited) as c:
        c.execute("UPDATE decisions SET answers = replace(answers, 'false', 'true') WHERE seq = 2")
    serve_refuses(edited, "an edited record")

    empty = os.path.join(tmp, "empty.db")
    open(empty, "wb").close()
    refused = subprocess.run([binary, "serve", "--rules", rules, "--listen", "127.0.0.1:0", "--audit-db", empty],
                             capture_output=True, text=True, timeout=common.scaled(60), env=child_env())
    checks.check(refused.returncode != 0 and "--audit-init" in refused.stderr,
                 "a 0-byte audit.db is refused without --audit-init",
                 "  exit %d: %s" % (refused.returncode, refused.stderr.strip()[-500:]))
    fresh = common.Server(binary, rules, tmp, empty, name="server with --audit-init",
                          extra_args=["--watch-interval-ms", "0", "--audit-init"])
    fresh.start()
    try:
        reply = call(binary, fresh, source_dir, "init-1")
        checks.check(reply.returncode == 0, "with --audit-init a new log starts in the empty file", reply.stderr)
    finally:
        fresh.stop(checks)

    # c. Signed checkpoints.
    keys = os.path.join(tmp, "keys")
    trusted = os.path.join(tmp, "trusted")
    os.makedirs(keys)
    os.makedirs(trusted)
    private = os.path.join(keys, "audit-signing.pem")
    for command in (["openssl", "genpkey", "-algorithm", "ed25519", "-out", private],
                    ["openssl", "pkey", "-in", private, "-pubout", "-out", os.path.join(trusted, "clinic-a.pem")]):
        made = subprocess.run(command, capture_output=True, text=True, timeout=30)
        checks.check(made.returncode == 0, " ".join(command[:2]), made.stderr)
    signed_db = os.path.join(tmp, "signed", "audit.db")
    signer = common.Server(binary, rules, tmp, signed_db, name="server with --audit-signing-key",
                           extra_args=["--watch-interval-ms", "0", "--audit-signing-key", private,
                                       "--audit-checkpoint-records", "2"])
    signer.start()
    try:
        for i in range(5):
            reply = call(binary, signer, source_dir, "signed-%d" % i)
            checks.check(reply.returncode == 0, "signed log: call %d is decided" % i, reply.stderr)
    finally:
        signer.stop(checks)

    def verify_signed(path):
        return subprocess.run([binary, "audit", "verify", "--db", path, "--trusted-keys", trusted],
                              capture_output=True, text=True, timeout=common.scaled(60), env=child_env())

    good = verify_signed(signed_db)
    checks.check(good.returncode == 0 and "signed checkpoints (clinic-a): records 1..5" in good.stdout,
                 "verify --trusted-keys accepts the server's signed log",
                 "  exit %d: %s %s" % (good.returncode, good.stdout.strip(), good.stderr.strip()))

    rewritten = os.path.join(tmp, "rewritten.db")
    shutil.copyfile(signed_db, rewritten)
    with sqlite3.connect(rewritten) as c:
        c.execute("UPDATE decisions SET request_id = 'rewritten' WHERE seq = 2")
    rows = common.audit_rows(rewritten, readonly=False)
    previous = common.GENESIS_HASH
    with sqlite3.connect(rewritten) as c:
        for row in rows:
            row["prev_hash"] = previous
            row["record_hash"] = common.record_hash(previous, row)
            c.execute("UPDATE decisions SET prev_hash = ?, record_hash = ? WHERE seq = ?",
                      (row["prev_hash"], row["record_hash"], row["seq"]))
            previous = row["record_hash"]
    plain = subprocess.run([binary, "audit", "verify", "--db", rewritten], capture_output=True, text=True,
                           timeout=common.scaled(60), env=child_env())
    checks.check(plain.returncode == 0, "the rewritten chain passes a plain verify (every hash recomputed)",
                 "  exit %d: %s" % (plain.returncode, plain.stdout.strip()))
    caught = verify_signed(rewritten)
    checks.check(caught.returncode != 0 and "was changed" in caught.stdout and "truncated" not in caught.stdout,
                 "verify --trusted-keys catches the rewritten chain, without blaming removal",
                 "  exit %d: %s" % (caught.returncode, caught.stdout.strip()))

    truncated = os.path.join(tmp, "truncated.db")
    shutil.copyfile(signed_db, truncated)
    with sqlite3.connect(truncated) as c:
        c.execute("DELETE FROM decisions WHERE seq >= 4")
    cut = verify_signed(truncated)
    checks.check(cut.returncode != 0 and "truncated" in cut.stdout,
                 "verify --trusted-keys catches a log cut short",
                 "  exit %d: %s" % (cut.returncode, cut.stdout.strip()))


if __name__ == "__main__":
    sys.exit(common.run_main("audit_storage_test", run, 120, "triage-audit-storage-"))
