"""Helpers of the HTTP tests (http_service_test.py, http_durability_test.py, kiosk_browser_test.py):
a `triage serve --http-listen` server on free 127.0.0.1 ports, and small http.client calls.
Standard library only."""

import http.client
import json
import os
import socket
import sqlite3
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
import interop_common as common  # noqa: E402
from interop_common import Failure  # noqa: E402,F401


def start_server(binary, source_dir, tmp, name="server", extra_args=(), audit_db=None, rules=None, wrapper=()):
    """Starts `triage serve` with gRPC and HTTP on free loopback ports; returns the common.Server
    with `.http_port` set once the HTTP port accepts connections."""
    http_port = common.free_port()
    server = common.Server(binary, rules or os.path.join(source_dir, "rules"), tmp,
                           audit_db or os.path.join(tmp, name + ".db"), name=name, wrapper=list(wrapper),
                           extra_args=["--http-listen", "127.0.0.1:%d" % http_port,
                                       "--kiosk-dir", os.path.join(source_dir, "web", "kiosk"),
                                       "--watch-interval-ms", "0"] + list(extra_args))
    server.start()
    server.http_port = http_port
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise Failure("the %s exited before its HTTP port opened; log:\n%s" % (name, server.log_text()[-3000:]))
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", http_port)) == 0:
                return server
        time.sleep(0.05)
    server.kill()
    raise Failure("the %s did not open its HTTP port %d; log:\n%s" % (name, http_port, server.log_text()[-3000:]))


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # {lower-case name: value}
        self.body = body
        self.json = None
        try:
            self.json = json.loads(body.decode("utf-8")) if body else None
        except ValueError:
            pass

    def __repr__(self):
        return "HTTP %d %s" % (self.status, self.body[:300].decode("utf-8", "replace"))


def request(conn, method, path, body=None, headers=None):
    """One request on an http.client connection (kept alive); body may be a dict (sent as JSON)."""
    headers = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    elif isinstance(body, str):
        body = body.encode()
    conn.request(method, path, body=body, headers=headers)
    reply = conn.getresponse()
    data = reply.read()
    return Reply(reply.status, {k.lower(): v for k, v in reply.getheaders()}, data)


def connect(port, timeout=10):
    return http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)


def call(port, method, path, body=None, headers=None, timeout=10):
    """A request on a fresh connection."""
    conn = connect(port, timeout)
    try:
        return request(conn, method, path, body, headers)
    finally:
        conn.close()


class AuditLock:
    """Holds the audit log's write lock from another connection (BEGIN IMMEDIATE), so the server's
    commits fail after its --audit-busy-timeout-ms: UNAVAILABLE / 503, health NOT_SERVING."""

    def __init__(self, path):
        self.db = sqlite3.connect(path, timeout=5, isolation_level=None)
        self.db.execute("BEGIN IMMEDIATE")

    def release(self):
        if self.db is not None:
            self.db.execute("ROLLBACK")
            self.db.close()
            self.db = None


def load_json(path):
    with open(path) as f:
        return json.load(f)
