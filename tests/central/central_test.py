#!/usr/bin/env python3
"""Central audit store test: replicas ship their SQLite audit logs into a real PostgreSQL 15.

usage: python3 central_test.py TRIAGE_BINARY SOURCE_DIR

Starts a private PostgreSQL cluster (initdb/pg_ctl from /usr/lib/postgresql/15/bin, or PG_BIN) in a
temporary folder as the unprivileged user `nobody`, listening only on a Unix socket in that folder,
and always stops it. Then:
  1. two servers (replicas `a` and `b`) ship in the background (--ship-to) while they take calls;
     the central store ends up with exactly each local log's records (same ids, same hashes), and
     GetRuleset (RulesetInfo.shipping) and HTTP /readyz report the shipping lag;
  2. `triage audit ship` again ships nothing (idempotent); two one-shot shippers of one log at once
     neither lose nor duplicate; a one-shot shipper SIGKILLed mid-way resumes; an insert-only login
     (member of triage_writer) ships but cannot UPDATE or DELETE;
  3. replica `a` is SIGKILLed mid-shipping under load, and PostgreSQL is killed (immediate stop)
     mid-batch while replica `b` keeps answering and stays ready (shipping never blocks calls) and
     reports a growing lag; after restarts the central copy equals the local logs exactly, nothing
     lost or duplicated;
  4. `triage audit verify --pg` passes for every replica; `replay --pg` (determinism and impact of
     candidate rules) and `export --pg` work from the centre;
  5. tampering: an edited row (replica a), a deleted row (replica b), a truncated central tail
     (replica c) and a truncated local log (replica d, refused by its shipper) are each caught by
     `verify --pg` and reported for that replica only.
Exit status 0 when every check holds. Network: none (Unix socket); servers on 127.0.0.1.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
import interop_common as common  # noqa: E402

common.require_grpc()

import json  # noqa: E402
import pwd  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import sqlite3  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import grpc  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402

from interop_common import Failure, log  # noqa: E402

PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
RPC_TIMEOUT_S = common.scaled(5)


class Postgres:
    """A private cluster owned by an unprivileged user, on a Unix socket in its folder."""

    def __init__(self, folder):
        self.folder = folder
        self.data = os.path.join(folder, "data")
        self.socket_dir = folder
        self.user = "nobody"
        self.started = False

    def user_command(self, command):
        """The command line and environment that run `command` as the cluster's user."""
        entry = pwd.getpwnam(self.user)
        prefix = []
        if os.getuid() == 0:
            prefix = ["setpriv", "--reuid=%d" % entry.pw_uid, "--regid=%d" % entry.pw_gid, "--clear-groups"]
        return prefix + command, {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": self.folder}

    def as_user(self, command, **kwargs):
        line, env = self.user_command(command)
        return subprocess.run(line, capture_output=True, text=True, env=env, **kwargs)

    def guard(self):
        """Stops the cluster when this test process dies, however it dies (CTest kills a test that runs
        past its timeout, and then no `finally` runs): a watchdog in its own session waits for the end
        of a pipe only this process holds, then stops the cluster (a no-op when it is already down)."""
        line, env = self.user_command([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-m", "immediate",
                                       "-w", "-t", "30", "stop"])
        read_end, write_end = os.pipe()
        watchdog = ("import os, subprocess, sys\n"
                    "os.read(0, 1)\n"
                    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=%r)\n"
                    % env)
        subprocess.Popen([sys.executable, "-c", watchdog] + line, stdin=read_end, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
        os.close(read_end)
        self.guard_fd = write_end  # never written; closed by the kernel when this process ends

    def init(self):
        os.makedirs(self.folder)
        os.chmod(os.path.dirname(self.folder), 0o711)  # the user must reach its folder
        if os.getuid() == 0:
            entry = pwd.getpwnam(self.user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        run = self.as_user([os.path.join(PG_BIN, "initdb"), "-D", self.data, "-U", "postgres", "-A", "trust",
                            "-E", "UTF8", "--no-sync"], timeout=60)
        if run.returncode != 0:
            raise Failure("initdb failed:\n" + run.stdout + run.stderr)
        self.guard()
        with open(os.path.join(self.data, "postgresql.conf"), "a") as conf:
            conf.write("listen_addresses = ''\nunix_socket_directories = '%s'\nfsync = on\n"
                       "max_connections = 50\nshared_buffers = 32MB\n" % self.socket_dir)

    def start(self):
        run = self.as_user([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-l",
                            os.path.join(self.folder, "postgres.log"), "-w", "-t", "30", "start"], timeout=60)
        if run.returncode != 0:
            raise Failure("pg_ctl start failed:\n" + run.stdout + run.stderr + self.log_tail())
        self.started = True

    def stop(self, mode="fast"):
        if not self.started:
            return
        self.as_user([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-m", mode, "-w", "-t", "30", "stop"],
                     timeout=60)
        self.started = mode != "fast" and self.running()

    def running(self):
        return os.path.exists(os.path.join(self.data, "postmaster.pid"))

    def kill(self):
        """SIGKILL the postmaster (its children die with it): a crash mid-batch."""
        with open(os.path.join(self.data, "postmaster.pid")) as f:
            pid = int(f.readline())
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        # The children notice the dead postmaster and exit; wait for them to let go of the socket.
        time.sleep(0.5)

    def log_tail(self):
        try:
            with open(os.path.join(self.folder, "postgres.log")) as f:
                return "\npostgres log:\n" + f.read()[-2000:]
        except OSError:
            return ""

    def url(self, user="postgres"):
        return "postgresql:///postgres?host=%s&port=5432&user=%s" % (self.socket_dir, user)

    def sql(self, statement, user="postgres", check=True):
        run = subprocess.run([os.path.join(PG_BIN, "psql"), "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d",
                              self.url(user), "-c", statement], capture_output=True, text=True, timeout=30)
        if check and run.returncode != 0:
            raise Failure("psql failed: %s\n%s" % (statement, run.stderr))
        return run


def central_rows(pg, replica):
    out = pg.sql("SELECT seq, decision_id, record_hash FROM triage_decisions WHERE replica_id = '%s' ORDER BY seq"
                 % replica).stdout
    return [tuple(line.split("|")) for line in out.splitlines() if line]


def local_rows(db):
    rows = common.audit_rows(db, readonly=False)
    return [(str(r["seq"]), r["decision_id"], r["record_hash"]) for r in rows]


def triage(binary, *args, timeout=60):
    return subprocess.run([binary] + list(args), capture_output=True, text=True, timeout=common.scaled(timeout),
                          env=common.child_env())


def typed_examples(pb, client, rules):
    questionnaire = client.get_questionnaire(pb.GetQuestionnaireRequest(), timeout=RPC_TIMEOUT_S)
    questions = {q.fact: q for q in questionnaire.questions}
    typed = []
    for path in common.example_intakes(rules):
        with open(path) as f:
            answers = json.load(f)["answers"]
        typed.append(common.to_answer_values(pb, questions, answers, path))
    return typed


class Load:
    """Calls Evaluate from `threads` threads until stopped; keeps the ids returned OK."""

    def __init__(self, client, pb, examples, prefix, threads=2):
        self.client, self.pb, self.examples, self.prefix = client, pb, examples, prefix
        self.ok_ids, self.errors = [], []
        self.stop_flag = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.work, args=(k,)) for k in range(threads)]

    def work(self, k):
        i = 0
        while not self.stop_flag.is_set():
            answers = self.examples[i % len(self.examples)]
            try:
                reply = self.client.evaluate(self.pb.EvaluateRequest(answers=answers,
                                                                     request_id="%s-%d-%d" % (self.prefix, k, i)),
                                             timeout=RPC_TIMEOUT_S)
                with self.lock:
                    self.ok_ids.append(reply.decision_id)
            except grpc.RpcError as e:
                with self.lock:
                    self.errors.append(e.code().name)
            i += 1

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.stop_flag.set()
        for t in self.threads:
            t.join(10)


def evaluate_n(client, pb, examples, n, prefix):
    ids = []
    for i in range(n):
        reply = client.evaluate(pb.EvaluateRequest(answers=examples[i % len(examples)], request_id="%s-%d" % (prefix, i)),
                                timeout=RPC_TIMEOUT_S)
        ids.append(reply.decision_id)
    return ids


def wait_shipped(checks, pg, replica, db, what, timeout_s=20):
    """Waits until the central copy of `replica` equals its local log; checks that it does."""
    deadline = time.monotonic() + common.scaled(timeout_s)
    local, central = [], []
    while time.monotonic() < deadline:
        local, central = local_rows(db), central_rows(pg, replica)
        if local == central and local:
            break
        time.sleep(0.2)
    checks.check(local == central and len(local) > 0,
                 "%s: the central store holds exactly replica %s's %d local records" % (what, replica, len(local)),
                 "  central has %d, first difference at %s" % (
                     len(central), next((i for i, (x, y) in enumerate(zip(local, central)) if x != y),
                                        min(len(local), len(central)))))
    return local


def wait_lag(client, pb, done, timeout_s=10):
    """GetRuleset's shipping state once `done(state)` holds (the shipper reports per round)."""
    deadline = time.monotonic() + common.scaled(timeout_s)
    while True:
        shipping = client.get_ruleset(pb.GetRulesetRequest(), timeout=RPC_TIMEOUT_S).shipping
        if done(shipping) or time.monotonic() > deadline:
            return shipping
        time.sleep(0.1)


def readyz(port):
    """GET /readyz: (status, JSON body)."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/readyz" % port, timeout=RPC_TIMEOUT_S) as reply:
            return reply.status, json.loads(reply.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def start_server(binary, rules, work, name, pb, health_pb, extra=()):
    db = os.path.join(work, name + ".db")
    server = common.Server(binary, rules, work, db, name="replica " + name,
                           extra_args=["--replica-id", name, "--log-format", "json"] + list(extra))
    server.start()
    client = common.Client(common.insecure_channel(server.address()), pb, health_pb)
    common.wait_serving(client, server)
    return server, client, db


def run(binary, source_dir, tmp, checks):
    rules = os.path.join(source_dir, "rules")
    pb, health_pb = common.compile_protos(source_dir, os.path.join(tmp, "gen"))
    pg = Postgres(os.path.join(tmp, "pg"))
    servers = []
    try:
        started = time.monotonic()
        pg.init()
        pg.start()
        log("postgres up in %.1f s" % (time.monotonic() - started))
        url = pg.url()
        work = os.path.join(tmp, "work")
        os.makedirs(work)
        ship = ["--ship-to", url, "--ship-interval-ms", "100"]

        log("\n== 1: two replicas ship in the background ==")
        a, client_a, db_a = start_server(binary, rules, work, "a", pb, health_pb, ship)
        servers.append(a)
        http_b = common.free_port()
        b, client_b, db_b = start_server(binary, rules, work, "b", pb, health_pb,
                                         ship + ["--http-listen", "127.0.0.1:%d" % http_b])
        servers.append(b)
        examples = typed_examples(pb, client_a, rules)
        ids_a = evaluate_n(client_a, pb, examples, 60, "a")
        ids_b = evaluate_n(client_b, pb, examples, 40, "b")
        wait_shipped(checks, pg, "a", db_a, "background shipping")
        wait_shipped(checks, pg, "b", db_b, "background shipping")
        rows = common.audit_rows(db_a, readonly=False)
        checks.check(all(r["replica_id"] == "a" for r in rows), "every record of replica a names it")
        checks.check(common.check_chain(checks, rows, " (replica a, with replica ids)") is not None,
                     "the chain over replica ids recomputes in Python")
        central_ids = set(pg.sql("SELECT decision_id FROM triage_decisions").stdout.split())
        checks.check(set(ids_a) | set(ids_b) <= central_ids, "every decision returned OK is in the central store")
        rulesets = pg.sql("SELECT count(*) FROM triage_rulesets").stdout.strip()
        checks.check(rulesets == "1", "the ruleset travelled once (one row for its hash)", "  rows: " + rulesets)
        shipping = wait_lag(client_a, pb, lambda s: s.central_seq == len(rows))
        checks.check(shipping.replica_id == "a" and shipping.lag_records == 0 and shipping.ok and
                     shipping.central_seq == len(rows) and 0 <= shipping.seconds_since_success < 10,
                     "GetRuleset reports the shipping state (replica a, lag 0, central head %d)" % len(rows),
                     "  got %r" % shipping)
        status, ready = readyz(http_b)
        checks.check(status == 200 and ready.get("status") == "SERVING" and
                     ready.get("shipping", {}).get("replica_id") == "b" and
                     ready["shipping"].get("lag_records") == "0",
                     "HTTP /readyz reports replica b's shipping lag (0 records)", "  got %d %r" % (status, ready))

        log("\n== 2: one-shot shipping: idempotent, concurrent, resumable, insert-only ==")
        again = triage(binary, "audit", "ship", "--db", db_a, "--to", url, "--format", "json")
        report = json.loads(again.stdout or "{}")
        checks.check(again.returncode == 0 and report.get("shipped") == 0,
                     "shipping an already shipped log again ships nothing", "  " + again.stdout + again.stderr)
        # A log of replica c shipped by two one-shot shippers at once, one of them SIGKILLed.
        c, client_c, db_c = start_server(binary, rules, work, "c", pb, health_pb)
        servers.append(c)
        evaluate_n(client_c, pb, examples, 400, "c")
        c.stop(checks)
        killed = subprocess.Popen([binary, "audit", "ship", "--db", db_c, "--to", url, "--batch", "1"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=common.child_env())
        deadline = time.monotonic() + common.scaled(10)
        while time.monotonic() < deadline and killed.poll() is None:
            if len(central_rows(pg, "c")) >= 20:
                break
        killed.kill()
        killed.wait()
        partial = len(central_rows(pg, "c"))
        log("one-shot shipper killed after %d of 400 records" % partial)
        both = [subprocess.Popen([binary, "audit", "ship", "--db", db_c, "--to", url, "--batch", "7"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env=common.child_env()) for _ in range(2)]
        outs = [p.communicate(timeout=common.scaled(60)) for p in both]
        checks.check(all(p.returncode == 0 for p in both), "two concurrent one-shot shippers both succeed",
                     "  " + repr(outs))
        checks.check(central_rows(pg, "c") == local_rows(db_c),
                     "after a SIGKILLed and two concurrent shippers, central equals replica c's log exactly")
        # An insert-only login.
        pg.sql("CREATE ROLE shipper LOGIN IN ROLE triage_writer")
        denied = pg.sql("UPDATE triage_decisions SET client = 'x'", user="shipper", check=False)
        checks.check(denied.returncode != 0 and "permission denied" in denied.stderr,
                     "the insert-only role cannot UPDATE", "  " + denied.stderr)
        denied = pg.sql("DELETE FROM triage_decisions", user="shipper", check=False)
        checks.check(denied.returncode != 0 and "permission denied" in denied.stderr,
                     "the insert-only role cannot DELETE", "  " + denied.stderr)
        denied = pg.sql("DELETE FROM triage_decisions", check=False)
        checks.check(denied.returncode != 0 and "append-only" in denied.stderr,
                     "even the owner's DELETE is refused by the append-only trigger", "  " + denied.stderr)

        log("\n== 3: SIGKILL of a shipping server; PostgreSQL killed mid-batch ==")
        load = Load(client_a, pb, examples, "crash-a").start()
        time.sleep(1.0)
        a.kill()
        load.stop()
        log("replica a killed after %d OK calls" % len(load.ok_ids))
        a.start()
        client_a = common.Client(common.insecure_channel(a.address()), pb, health_pb)
        common.wait_serving(client_a, a)
        local = wait_shipped(checks, pg, "a", db_a, "after SIGKILL of the shipping server")
        checks.check(set(load.ok_ids) <= {r[1] for r in local}, "every OK decision of the killed server is logged")
        load = Load(client_b, pb, examples, "outage-b").start()
        time.sleep(0.6)
        pg.kill()
        time.sleep(1.5)
        during = len(load.ok_ids)
        time.sleep(1.0)
        checks.check(len(load.ok_ids) > during and not load.errors,
                     "replica b keeps answering while PostgreSQL is down (shipping never blocks calls)",
                     "  OK calls %d -> %d, errors %s" % (during, len(load.ok_ids), load.errors[:5]))
        shipping = wait_lag(client_b, pb, lambda s: s.lag_records > 0 and not s.ok)
        checks.check(shipping.lag_records > 0 and not shipping.ok,
                     "GetRuleset reports a shipping lag and a failing shipper while PostgreSQL is down",
                     "  got %r" % shipping)
        status, ready = readyz(http_b)
        checks.check(status == 200 and int(ready.get("shipping", {}).get("lag_records", "0")) > 0,
                     "HTTP /readyz stays 200 (ready) and reports the lag while PostgreSQL is down",
                     "  got %d %r" % (status, ready))
        pg.start()
        time.sleep(0.5)
        load.stop()
        local = wait_shipped(checks, pg, "b", db_b, "after PostgreSQL was killed mid-batch and restarted",
                             timeout_s=40)
        checks.check(set(load.ok_ids) <= {r[1] for r in local}, "every OK decision during the outage is logged")
        checks.check("shipping_failed" in b.log_text(), "the server logged the shipping failure")
        dup = pg.sql("SELECT count(*) - count(DISTINCT decision_id) FROM triage_decisions").stdout.strip()
        checks.check(dup == "0", "no decision is stored twice centrally")
        for s in (a, b):
            s.stop(checks)
        checks.check('"event":"shipping"' in a.log_text(), "the server logs its shipping (with the lag)")

        log("\n== 4: verify, replay and export at the centre ==")
        verify = triage(binary, "audit", "verify", "--pg", url, "--format", "json")
        result = json.loads(verify.stdout or "{}")
        checks.check(verify.returncode == 0 and result.get("ok") and
                     sorted(r["replica_id"] for r in result.get("replicas", [])) == ["a", "b", "c"],
                     "verify --pg passes for replicas a, b and c", "  " + verify.stdout + verify.stderr)
        replay = triage(binary, "audit", "replay", "--pg", url)
        checks.check(replay.returncode == 0 and "replica a" in replay.stdout and "replica c" in replay.stdout,
                     "replay --pg re-decides every replica's decisions identically",
                     "  " + replay.stdout[-1500:] + replay.stderr[-1500:])
        # Impact analysis at the centre: a candidate that refers pain below the knee urgently.
        candidate = os.path.join(tmp, "candidate-rules")
        shutil.copytree(rules, candidate)
        with open(os.path.join(candidate, "red_flags.rules")) as f:
            text = f.read()
        edit = "pain_below_knee -> refer routine"
        checks.check(edit in text, "the candidate edit applies to the shipped rules")
        with open(os.path.join(candidate, "red_flags.rules"), "w") as f:
            f.write(text.replace(edit, "pain_below_knee -> refer urgent"))
        central_impact = triage(binary, "audit", "replay", "--pg", url, "--replica", "c", "--rules", candidate,
                                "--format", "json")
        local_impact = triage(binary, "audit", "replay", "--db", db_c, "--rules", candidate, "--format", "json")
        try:
            central_report = json.loads(central_impact.stdout)
            local_report = json.loads(local_impact.stdout)
        except ValueError:
            central_report, local_report = {}, None
        checks.check(central_impact.returncode == 0 and central_report.get("replica_id") == "c" and
                     central_report.get("report") == local_report and
                     local_report.get("transitions", {}).get("refer/routine -> refer/urgent", 0) > 0,
                     "impact (replay --pg --rules) of replica c equals impact on its local log, with changes",
                     "  " + central_impact.stdout[:800] + central_impact.stderr[-800:])
        every = triage(binary, "audit", "replay", "--pg", url, "--rules", candidate, "--format", "json")
        reports = [json.loads(x) for x in every.stdout.splitlines() if x.strip()]
        checks.check(every.returncode == 0 and [r["replica_id"] for r in reports] == ["a", "b", "c"] and
                     all(r["report"]["mode"] == "impact" for r in reports) and
                     sum(r["report"]["replayed"] for r in reports) ==
                     sum(len(local_rows(d)) for d in (db_a, db_b, db_c)),
                     "impact over every replica at the centre replays each replica's decisions",
                     "  " + every.stdout[:800] + every.stderr[-800:])
        export = triage(binary, "audit", "export", "--pg", url, "--replica", "b", "--format", "jsonl")
        lines = [json.loads(x) for x in export.stdout.splitlines() if x]
        checks.check(export.returncode == 0 and [x["decision_id"] for x in lines] == [r[1] for r in local_rows(db_b)]
                     and all(x["replica_id"] == "b" for x in lines),
                     "export --pg --replica b gives replica b's decisions in order", "  " + export.stderr)
        export = triage(binary, "audit", "export", "--pg", url, "--format", "csv")
        checks.check(export.returncode == 0 and export.stdout.count("\n") ==
                     1 + sum(len(local_rows(d)) for d in (db_a, db_b, db_c)),
                     "export --pg over all replicas gives one header and every decision")

        log("\n== 5: tampering is caught per replica ==")
        d, client_d, db_d = start_server(binary, rules, work, "d", pb, health_pb)
        servers.append(d)
        evaluate_n(client_d, pb, examples, 30, "d")
        d.stop(checks)
        shipped = triage(binary, "audit", "ship", "--db", db_d, "--to", pg.url("shipper"))
        checks.check(shipped.returncode == 0, "the insert-only login ships replica d", "  " + shipped.stdout
                     + shipped.stderr)
        verify = triage(binary, "audit", "verify", "--pg", url)
        checks.check(verify.returncode == 0, "verify --pg passes and records every head", "  " + verify.stdout)
        tamper = "SET session_replication_role = replica; "  # a DBA bypassing the triggers
        pg.sql(tamper + "UPDATE triage_decisions SET client = client || ' (edited)' "
               "WHERE replica_id = 'a' AND seq = 10")
        pg.sql(tamper + "DELETE FROM triage_decisions WHERE replica_id = 'b' AND seq = 5")
        pg.sql(tamper + "DELETE FROM triage_decisions WHERE replica_id = 'c' AND seq > 395")
        db = sqlite3.connect(db_d)
        db.execute("DELETE FROM decisions WHERE seq > 25")
        db.commit()
        db.close()
        d.start()  # writes past the truncation, so the local log no longer continues the central chain
        client_d = common.Client(common.insecure_channel(d.address()), pb, health_pb)
        common.wait_serving(client_d, d)
        evaluate_n(client_d, pb, examples, 10, "d2")
        d.stop(checks)
        shipped = triage(binary, "audit", "ship", "--db", db_d, "--to", url)
        checks.check(shipped.returncode != 0 and "truncated" in shipped.stdout,
                     "the shipper refuses replica d's truncated local log", "  " + shipped.stdout + shipped.stderr)
        verify = triage(binary, "audit", "verify", "--pg", url, "--format", "json")
        result = json.loads(verify.stdout or "{}")
        verdicts = {r["replica_id"]: r for r in result.get("replicas", [])}
        checks.check(verify.returncode != 0 and not result.get("ok"), "verify --pg fails after tampering")
        expected = {"a": "edited", "b": "deleted", "c": "truncated", "d": "truncated"}
        for replica, word in expected.items():
            verdict = verdicts.get(replica, {})
            checks.check(not verdict.get("ok", True) and word in verdict.get("problem", ""),
                         "verify --pg reports replica %s as %s" % (replica, word), "  got %r" % verdict)
        checks.check(verdicts.get("a", {}).get("problem", "").startswith("record 10 "),
                     "the edited record is named (record 10 of replica a)", "  got %r" % verdicts.get("a"))
        text = triage(binary, "audit", "verify", "--pg", url)
        log(text.stdout.strip())

        log("\n== 6: a record the central store refuses is named, the ones before it shipped ==")
        e, client_e, db_e = start_server(binary, rules, work, "e", pb, health_pb)
        servers.append(e)
        evaluate_n(client_e, pb, examples, 10, "e")
        e.stop(checks)
        # A log from before version 3 could hold a request_id that is not UTF-8 (the edge now
        # refuses it): put one in record 6, as such a log would have it.
        db = sqlite3.connect(db_e)
        db.execute("UPDATE decisions SET request_id = CAST(X'E2FF' AS TEXT) WHERE seq = 6")
        db.commit()
        db.close()
        shipped = triage(binary, "audit", "ship", "--db", db_e, "--to", url)
        out = shipped.stdout + shipped.stderr
        checks.check(shipped.returncode != 0 and "local record 6 cannot be shipped: its `request_id` is not valid UTF-8"
                     in out, "the shipper names the record PostgreSQL would refuse", "  " + out[-600:])
        count = pg.sql("SELECT count(*) FROM triage_decisions WHERE replica_id = 'e'").stdout.strip()
        checks.check(count == "5", "the records before it are shipped", "  central holds %r of replica e" % count)
        again = triage(binary, "audit", "ship", "--db", db_e, "--to", url)
        checks.check(again.returncode != 0 and "local record 6" in again.stdout + again.stderr,
                     "every later round names it again (it does not stall silently)")
    finally:
        for s in servers:
            s.kill()
        if pg.running():
            pg.stop("immediate")


if __name__ == "__main__":
    sys.exit(common.run_main("central_test", run, 110, "triage-central-"))
