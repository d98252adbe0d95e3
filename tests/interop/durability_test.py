#!/usr/bin/env python3
"""Durability test: the audit log of `triage serve` across a crash and a full disk.

usage: python3 durability_test.py TRIAGE_BINARY SOURCE_DIR

The service promises that every Decision is committed to the audit log before it is returned, that
a failed audit write gives UNAVAILABLE (never an unlogged decision) and health NOT_SERVING, and that
it comes back to SERVING by itself once a write succeeds again. Two parts:

  1. Crash. A server on a fresh audit log takes load from 8 client threads (each looping Evaluate
     over the example intakes rules/examples/*.json, typed through GetQuestionnaire, with a 1 s
     deadline and its own request ids); after about 1.5 s it is SIGKILLed mid-load. Then:
       a. the crashed log (a copy of the database and its write-ahead log, taken before anything
          opens it again) holds every decision_id a client received with status OK, and
          `triage audit verify` passes on it;
       b. a server restarted on the same log finds the same rows, `triage audit verify` passes on
          the live log with the same chain head, health is SERVING and every example is decided;
       c. after SIGTERM (exit 0) `triage audit verify` passes over all decisions: the hash chain
          runs on across the crash (the first new row's prev_hash is the crashed log's head).
     The log may hold more rows than were received (committed, but the reply was lost to the kill
     or came after its deadline); a received decision missing from the log is the bug.

  2. Full disk. A server starts under a soft file-size limit (`ulimit -S -f 2048`: 2 MiB; the
     server ignores SIGXFSZ, so writes past the limit fail instead of killing it) on a fresh log,
     which is far smaller than the limit. Sequential Evaluate calls grow the write-ahead log until
     a call gets UNAVAILABLE (at most 5000 calls). Then: the server is alive and health says
     NOT_SERVING; every decision returned OK so far is in the log; further calls are answered
     promptly (OK or UNAVAILABLE, no hang). The limit is lifted with
     `prlimit --pid PID --fsize=unlimited:unlimited`; a call succeeds again within 50 tries, health
     is SERVING, 40 concurrent calls succeed, SIGTERM exits 0, `triage audit verify` passes, and
     the log holds exactly the calls that returned OK: none of the refused (UNAVAILABLE) ones.

Exit status 0 when everything holds; otherwise every failed check is printed and the status is 1.
The test stops itself after 100 s (a normal run takes a few seconds) and always kills its servers.
Needs grpc (Debian python3-grpcio), protoc (grpc_tools or the system one), bash and util-linux
(prlimit). Network: 127.0.0.1 only.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_common as common  # noqa: E402

common.require_grpc()

import collections  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import grpc  # noqa: E402

from interop_common import Failure, log  # noqa: E402

TOTAL_BUDGET_S = 100
RPC_TIMEOUT_S = common.scaled(10)

# Part 1
LOAD_THREADS = 8
LOAD_DEADLINE_S = 1.0
LOAD_BEFORE_KILL_S = 1.5
MIN_RECEIVED_BEFORE_KILL = 50

# Part 2
FSIZE_LIMIT_KB = 2048          # bash `ulimit -f` counts 1024-byte blocks
MAX_FILL_CALLS = 5000
CALLS_WHILE_FULL = 5
MAX_RECOVERY_CALLS = 50
RECOVERY_BURST = 40

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def typed_examples(pb, client, rules):
    """[(name, {fact: AnswerValue})] for every example intake, typed by GetQuestionnaire."""
    questionnaire = client.get_questionnaire(pb.GetQuestionnaireRequest(), timeout=RPC_TIMEOUT_S)
    questions = {q.fact: q for q in questionnaire.questions}
    if not questions:
        raise Failure("GetQuestionnaire returned no questions")
    typed = []
    for path in common.example_intakes(rules):
        name = os.path.basename(path)
        with open(path) as f:
            answers = json.load(f)["answers"]
        typed.append((name, common.to_answer_values(pb, questions, answers, name)))
    return typed


def file_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def fsize_limit_of(pid):
    """The 'Max file size' line of /proc/PID/limits, or '?'."""
    try:
        with open("/proc/%d/limits" % pid) as f:
            for line in f:
                if line.startswith("Max file size"):
                    return " ".join(line.split()[3:])
    except OSError:
        pass
    return "?"


# ------------------------------------------------------------------------------------------------
# Part 1: SIGKILL under load, restart on the same log

def crash_test(binary, rules, tmp, pb, health_pb, checks):
    log("\n== part 1: SIGKILL under load ==")
    work = os.path.join(tmp, "crash")
    os.makedirs(work)
    db = os.path.join(work, "audit", "audit.db")
    servers = []
    channels = []
    stop = threading.Event()  # ends the load threads
    try:
        first = common.Server(binary, rules, work, db, name="server (before the crash)", log_name="first.log")
        servers.append(first)
        first.start()
        channel = common.insecure_channel(first.address())
        channels.append(channel)
        client = common.Client(channel, pb, health_pb)
        common.wait_serving(client, first)
        requests = typed_examples(pb, client, rules)
        log("server on %s (pid %d); %d example intakes" % (first.address(), first.pid, len(requests)))

        received = []            # (decision_id, request_id) of every OK reply
        statuses = collections.Counter()
        killed_at = [None]
        lock = threading.Lock()

        def worker(k):
            ch = common.insecure_channel(first.address())
            cl = common.Client(ch, pb, health_pb)
            n = 0
            try:
                while not stop.is_set():
                    name, answers = requests[(k * 3 + n) % len(requests)]
                    request_id = "crash-t%d-%05d" % (k, n)
                    n += 1
                    try:
                        reply = cl.evaluate(pb.EvaluateRequest(answers=answers, request_id=request_id),
                                            timeout=LOAD_DEADLINE_S)
                        with lock:
                            received.append((reply.decision_id, request_id))
                            statuses["OK" + (" after the kill" if killed_at[0] is not None else "")] += 1
                    except grpc.RpcError as e:
                        with lock:
                            statuses[e.code().name + (" after the kill" if killed_at[0] is not None else "")] += 1
                        if killed_at[0] is not None:
                            time.sleep(0.01)  # the server is gone: do not spin
            finally:
                ch.close()

        threads = [threading.Thread(target=worker, args=(k,), daemon=True, name="load-%d" % k)
                   for k in range(LOAD_THREADS)]
        load_started = time.monotonic()
        for t in threads:
            t.start()
        time.sleep(LOAD_BEFORE_KILL_S)
        with lock:
            before_kill = len(received)
        killed_at[0] = time.monotonic()
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(10)
        # Let calls in flight at the kill end (they fail fast: the connection is gone).
        time.sleep(0.2)
        stop.set()
        for t in threads:
            t.join(LOAD_DEADLINE_S + 5)
        checks.check(not any(t.is_alive() for t in threads), "every load thread ends after the kill")
        first.kill()  # closes its log file
        log("load: %d threads for %.2f s, %d OK replies before the kill (%.0f/s), %d in all; statuses %s"
            % (LOAD_THREADS, killed_at[0] - load_started, before_kill,
               before_kill / max(killed_at[0] - load_started, 1e-9), len(received), dict(statuses)))
        checks.check(first.process.returncode == -signal.SIGKILL, "the server was killed by SIGKILL",
                     "  exit status %s" % first.process.returncode)
        if not checks.check(before_kill >= MIN_RECEIVED_BEFORE_KILL,
                            "the load got at least %d decisions before the kill" % MIN_RECEIVED_BEFORE_KILL,
                            "  got %d; statuses %s; server log tail:\n%s"
                            % (before_kill, dict(statuses), first.log_text()[-2000:])):
            return
        ids = [d for d, _ in received]
        checks.check(len(set(ids)) == len(ids), "every received decision_id is unique",
                     "  %d ids, %d distinct" % (len(ids), len(set(ids))))
        checks.check(all(UUID_RE.fullmatch(d) for d in ids), "every received decision_id is a UUID",
                     "  e.g. %r" % next((d for d in ids if not UUID_RE.fullmatch(d)), None))

        # a. The crashed log as the kill left it: copy the database and its write-ahead log before
        # anything opens it (opening recovers the WAL; the restarted server must do that itself).
        snapshot_dir = os.path.join(work, "snapshot")
        os.makedirs(snapshot_dir)
        snapshot = os.path.join(snapshot_dir, "audit.db")
        for suffix in ("", "-wal"):
            if os.path.exists(db + suffix):
                shutil.copy2(db + suffix, snapshot + suffix)
        log("crashed log: %d bytes of database, %d bytes of write-ahead log"
            % (file_size(db), file_size(db + "-wal")))
        crashed_rows = common.audit_rows(snapshot, readonly=False)
        crashed_ids = {r["decision_id"] for r in crashed_rows}
        missing = [(d, r) for d, r in received if d not in crashed_ids]
        checks.check(not missing, "every decision received OK before the crash is in the crashed log",
                     "  %d of %d received decisions are missing, e.g. %s (the log holds %d rows)"
                     % (len(missing), len(received), missing[:5], len(crashed_rows)))
        by_id = {r["decision_id"]: r for r in crashed_rows}
        wrong_request = [(d, r, by_id[d]["request_id"]) for d, r in received if d in by_id
                         and by_id[d]["request_id"] != r]
        checks.check(not wrong_request, "each received decision's audit row has its call's request_id",
                     "  e.g. %s" % wrong_request[:5])
        log("received %d decisions OK; the crashed log holds %d rows (%d committed but not received: the "
            "kill or a deadline came first)" % (len(received), len(crashed_rows), len(crashed_rows) - len(received)))
        crashed_head = common.check_chain(checks, crashed_rows, " (crashed log)")
        rc, verified, head, output = common.audit_verify(binary, snapshot)
        checks.check(rc == 0 and verified == len(crashed_rows),
                     "`triage audit verify` passes on the crashed log and counts its %d rows" % len(crashed_rows),
                     "  exit %d: %s" % (rc, output[-1000:]))
        checks.check(head == crashed_head, "`triage audit verify` reports the crashed log's chain head",
                     "  verify %s, recomputed %s" % (head, crashed_head))

        # b. Restart on the same log.
        second = common.Server(binary, rules, work, db, name="restarted server", log_name="restarted.log")
        servers.append(second)
        second.start()
        channel = common.insecure_channel(second.address())
        channels.append(channel)
        client = common.Client(channel, pb, health_pb)
        common.wait_serving(client, second)
        log("restarted on %s (pid %d)" % (second.address(), second.pid))
        live_rows = common.audit_rows(db)
        live_ids = {r["decision_id"] for r in live_rows}
        missing = [d for d, _ in received if d not in live_ids]
        checks.check(not missing, "after the restart every received decision is in the decisions table",
                     "  %d missing, e.g. %s" % (len(missing), missing[:5]))
        checks.check([r["decision_id"] for r in live_rows] == [r["decision_id"] for r in crashed_rows],
                     "the restarted server's log holds exactly the crashed log's rows",
                     "  %d rows now, %d in the crashed copy" % (len(live_rows), len(crashed_rows)))
        rc, verified, head, output = common.audit_verify(binary, db)
        checks.check(rc == 0 and verified == len(crashed_rows) and head == crashed_head,
                     "`triage audit verify` passes on the live log after the restart, with the same head",
                     "  exit %d, verified %s, head %s (crashed head %s): %s"
                     % (rc, verified, head, crashed_head, output[-1000:]))

        new = []
        for n, (name, answers) in enumerate(requests):
            request_id = "after-crash-%02d" % n
            try:
                reply = client.evaluate(pb.EvaluateRequest(answers=answers, request_id=request_id),
                                        timeout=RPC_TIMEOUT_S)
                checks.check(reply.request_id == request_id and UUID_RE.fullmatch(reply.decision_id),
                             "the restarted server decides %s" % name)
                new.append((reply.decision_id, request_id))
            except grpc.RpcError as e:
                checks.check(False, "the restarted server decides %s" % name,
                             "  got %s: %s" % (e.code().name, e.details()))
        status = client.health()
        checks.check(status == "SERVING", "the restarted server's health is SERVING after new decisions",
                     "  got %s" % status)
        log("the restarted server decided %d of %d examples; health %s" % (len(new), len(requests), status))
        channel.close()
        channels.remove(channel)
        second.stop(checks)

        # c. The chain runs on across the crash.
        final_rows = common.audit_rows(db)
        final_ids = {r["decision_id"] for r in final_rows}
        checks.check(len(final_rows) == len(crashed_rows) + len(new),
                     "the log holds the crashed log's rows plus the %d new decisions" % len(new),
                     "  %d rows, expected %d + %d" % (len(final_rows), len(crashed_rows), len(new)))
        checks.check(all(d in final_ids for d, _ in new + received),
                     "every decision received before and after the crash is in the final log",
                     "  missing %s" % [d for d, _ in new + received if d not in final_ids][:5])
        if len(final_rows) > len(crashed_rows):
            first_new = final_rows[len(crashed_rows)]
            checks.check(first_new["prev_hash"] == crashed_head,
                         "the first decision after the restart chains onto the crashed log's head",
                         "  prev_hash %s, crashed head %s" % (first_new["prev_hash"], crashed_head))
        final_head = common.check_chain(checks, final_rows, " (after the restart)")
        rc, verified, head, output = common.audit_verify(binary, db)
        checks.check(rc == 0 and verified == len(final_rows) and head == final_head,
                     "`triage audit verify` passes after the restart's new decisions (%d in all)" % len(final_rows),
                     "  exit %d, verified %s, head %s (recomputed %s): %s"
                     % (rc, verified, head, final_head, output[-1000:]))
        log("after the restart: %d rows, `triage audit verify`: %s" % (len(final_rows), output.splitlines()[-1]
                                                                        if output else "(no output)"))
    finally:
        stop.set()
        for ch in channels:
            ch.close()
        for server in servers:
            server.kill()


# ------------------------------------------------------------------------------------------------
# Part 2: the audit log hits a file-size limit, then the limit is lifted

def full_disk_test(binary, rules, tmp, pb, health_pb, checks):
    log("\n== part 2: audit writes fail under a file-size limit of %d KiB ==" % FSIZE_LIMIT_KB)
    prlimit = shutil.which("prlimit")
    if not prlimit:
        raise Failure("`prlimit` (util-linux) is not installed: cannot lift the file-size limit")
    work = os.path.join(tmp, "disk")
    os.makedirs(work)
    db = os.path.join(work, "audit", "audit.db")
    # A soft limit only: prlimit can then lift it without privileges (the hard limit stays as it is).
    wrapper = ["bash", "-c", 'ulimit -S -f %d && exec "$0" "$@"' % FSIZE_LIMIT_KB]
    server = common.Server(binary, rules, work, db, name="server under a file-size limit", log_name="disk.log",
                           wrapper=wrapper)
    channel = None
    try:
        server.start()
        channel = common.insecure_channel(server.address())
        client = common.Client(channel, pb, health_pb)
        common.wait_serving(client, server)
        limit = fsize_limit_of(server.pid)
        log("server on %s (pid %d), max file size %s; fresh log: %d bytes + %d bytes of WAL"
            % (server.address(), server.pid, limit, file_size(db), file_size(db + "-wal")))
        if not limit.startswith(str(FSIZE_LIMIT_KB * 1024)):
            raise Failure("the server does not run under the file-size limit: /proc/%d/limits says %s"
                          % (server.pid, limit))
        if file_size(db) + file_size(db + "-wal") >= FSIZE_LIMIT_KB * 1024 // 2:
            raise Failure("the fresh audit log is not small enough for the limit: %d + %d bytes"
                          % (file_size(db), file_size(db + "-wal")))
        requests = typed_examples(pb, client, rules)

        returned = {}   # request_id -> decision_id of every OK reply
        refused = []    # request_ids answered UNAVAILABLE
        counter = [0]

        def call(prefix, timeout=RPC_TIMEOUT_S):
            """One Evaluate; returns (status name, details or decision_id, request_id)."""
            n = counter[0]
            counter[0] += 1
            name, answers = requests[n % len(requests)]
            request_id = "%s-%05d" % (prefix, n)
            try:
                reply = client.evaluate(pb.EvaluateRequest(answers=answers, request_id=request_id), timeout=timeout)
                returned[request_id] = reply.decision_id
                return "OK", reply.decision_id, request_id
            except grpc.RpcError as e:
                if e.code() == grpc.StatusCode.UNAVAILABLE:
                    refused.append(request_id)
                return e.code().name, e.details() or "", request_id

        def server_alive(when):
            try:
                status = server.process.wait(0.3)  # a dying server may still be on its way out
            except subprocess.TimeoutExpired:
                status = None
            return checks.check(status is None, "the server is still running %s" % when,
                                "  it exited with status %s%s; log tail:\n%s"
                                % (status, common.describe_signal(status), server.log_text()[-2000:]))

        # Fill the write-ahead log until a write fails.
        fill_started = time.monotonic()
        first_failure = None
        for _ in range(MAX_FILL_CALLS):
            status, detail, request_id = call("fill")
            if status == "OK":
                continue
            first_failure = (status, detail, request_id)
            break
        fill_s = time.monotonic() - fill_started
        wal_at_failure = file_size(db + "-wal")
        log("fill: %d calls OK in %.2f s, then %s; database %d bytes, WAL %d bytes (limit %d)"
            % (len(returned), fill_s, first_failure[0] if first_failure else "no failure", file_size(db),
               wal_at_failure, FSIZE_LIMIT_KB * 1024))
        if not server_alive("after its audit writes hit the file-size limit"):
            return
        if not checks.check(first_failure is not None,
                            "an Evaluate fails once the audit log reaches the file-size limit",
                            "  %d calls all succeeded; database %d bytes, WAL %d bytes"
                            % (MAX_FILL_CALLS, file_size(db), wal_at_failure)):
            return
        status, detail, request_id = first_failure
        if not checks.check(status == "UNAVAILABLE",
                            "the first call whose audit write fails gets UNAVAILABLE",
                            "  got %s: %s (a DEADLINE_EXCEEDED means the server hung)" % (status, detail)):
            return
        log("first failure (%s after %d OK): %s: %s" % (request_id, len(returned), status, detail))
        checks.check("audit log" in detail, "the UNAVAILABLE message says the audit log could not be written",
                     "  got %r" % detail)
        health = client.health()
        checks.check(health == "NOT_SERVING", "health is NOT_SERVING right after a failed audit write",
                     "  got %s; log tail:\n%s" % (health, server.log_text()[-1500:]))
        failed_log = [line for line in server.log_text().splitlines() if "audit_write_failed" in line]
        if failed_log:
            log("server log: " + failed_log[0][:300])

        rows = common.audit_rows(db)
        logged = {r["decision_id"] for r in rows}
        missing = sorted(rid for rid, d in returned.items() if d not in logged)
        checks.check(not missing, "every decision returned OK before the failure is in the audit log",
                     "  %d of %d missing, e.g. %s" % (len(missing), len(returned), missing[:5]))
        log("while full: %d OK decisions returned, %d rows in the log" % (len(returned), len(rows)))

        # Still limited: the server answers promptly (OK if a record happens to fit, else UNAVAILABLE).
        while_full = collections.Counter()
        for _ in range(CALLS_WHILE_FULL):
            status, detail, request_id = call("full", timeout=5)
            while_full[status] += 1
            checks.check(status in ("OK", "UNAVAILABLE"), "a call while the limit holds gets OK or UNAVAILABLE",
                         "  %s got %s: %s" % (request_id, status, detail))
        log("%d more calls under the limit: %s; health %s" % (CALLS_WHILE_FULL, dict(while_full), client.health()))
        if not server_alive("after more calls under the limit"):
            return

        # Lift the limit: the server must recover by itself.
        lift = subprocess.run([prlimit, "--pid", str(server.pid), "--fsize=unlimited:unlimited"],
                              capture_output=True, text=True, timeout=10)
        if lift.returncode != 0:
            raise Failure("`prlimit --pid %d --fsize=unlimited:unlimited` failed (exit %d): %s"
                          % (server.pid, lift.returncode, lift.stderr.strip()))
        limit = fsize_limit_of(server.pid)
        log("lifted the limit: max file size now %s" % limit)
        if not limit.startswith("unlimited"):
            raise Failure("prlimit did not lift the server's file-size limit: /proc/%d/limits says %s"
                          % (server.pid, limit))
        recovered_after = None
        attempts = []
        for attempt in range(1, MAX_RECOVERY_CALLS + 1):
            status, detail, request_id = call("recover")
            attempts.append(status)
            if status == "OK":
                recovered_after = attempt
                break
            time.sleep(0.05)
        if not checks.check(recovered_after is not None,
                            "Evaluate succeeds again within %d calls once the limit is lifted" % MAX_RECOVERY_CALLS,
                            "  statuses %s; log tail:\n%s" % (dict(collections.Counter(attempts)),
                                                               server.log_text()[-2000:])):
            return
        log("recovered: the call %d after lifting the limit was OK" % recovered_after)
        health = client.health()
        checks.check(health == "SERVING", "health is SERVING again after a successful audit write",
                     "  got %s" % health)

        # Group commit works again: a burst of concurrent calls all succeed.
        burst = []
        for k in range(RECOVERY_BURST):
            name, answers = requests[k % len(requests)]
            request_id = "burst-%02d" % k
            burst.append((request_id, client.evaluate.future(
                pb.EvaluateRequest(answers=answers, request_id=request_id), timeout=RPC_TIMEOUT_S)))
        burst_errors = []
        for request_id, future in burst:
            try:
                returned[request_id] = future.result().decision_id
            except grpc.RpcError as e:
                burst_errors.append("%s: %s %s" % (request_id, e.code().name, e.details()))
        checks.check(not burst_errors, "%d concurrent calls after the recovery all succeed" % RECOVERY_BURST,
                     "  " + "\n  ".join(burst_errors[:10]))
        health = client.health()
        checks.check(health == "SERVING", "health stays SERVING after the burst", "  got %s" % health)
        channel.close()
        channel = None
        server.stop(checks)

        rows = common.audit_rows(db)
        by_request = {r["request_id"]: r["decision_id"] for r in rows}
        missing = sorted(rid for rid, d in returned.items() if by_request.get(rid) != d)
        checks.check(not missing, "every decision returned OK is in the audit log (%d)" % len(returned),
                     "  %d missing, e.g. %s" % (len(missing), missing[:5]))
        refused_logged = sorted(rid for rid in refused if rid in by_request)
        checks.check(not refused_logged,
                     "no call answered UNAVAILABLE has a decision in the audit log (%d refused)" % len(refused),
                     "  logged anyway: %s" % refused_logged[:10])
        unexplained = sorted(rid for rid in by_request if rid not in returned and rid not in refused)
        checks.check(not unexplained, "the audit log holds no decision that no call returned",
                     "  %s" % unexplained[:10])
        head = common.check_chain(checks, rows, " (after the full disk)")
        rc, verified, verify_head, output = common.audit_verify(binary, db)
        checks.check(rc == 0 and verified == len(rows) and verify_head == head,
                     "`triage audit verify` passes after the full disk (%d decisions)" % len(rows),
                     "  exit %d, verified %s, head %s (recomputed %s): %s"
                     % (rc, verified, verify_head, head, output[-1000:]))
        log("after the full disk: %d OK, %d UNAVAILABLE, %d rows; `triage audit verify`: %s"
            % (len(returned), len(refused), len(rows), output.splitlines()[-1] if output else "(no output)"))
    finally:
        if channel is not None:
            channel.close()
        server.kill()


def run(binary, source_dir, tmp, checks):
    rules = os.path.join(source_dir, "rules")
    common.example_intakes(rules)
    started = time.monotonic()
    pb, health_pb = common.compile_protos(source_dir, os.path.join(tmp, "gen"))
    log("compiled the protos in %.1f s" % (time.monotonic() - started))
    crash_test(binary, rules, tmp, pb, health_pb, checks)
    full_disk_test(binary, rules, tmp, pb, health_pb, checks)


if __name__ == "__main__":
    sys.exit(common.run_main("durability_test", run, TOTAL_BUDGET_S, "triage-durability-"))
