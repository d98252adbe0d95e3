#!/usr/bin/env python3
"""A callgrind profile of `triage serve` under load as instructions per answered call.

Usage: profile_breakdown.py CALLGRIND_OUT CALLS PROTOCOL   (tools/profile_served.sh runs it)

Prints two Markdown tables: the stages of the served path (inclusive instructions of the function
that does each, per call; indented rows are parts of the row above them), and the self
instructions per call by library. Stages are named by the functions that do them, so a function
renamed or inlined shows as "—" rather than being counted wrongly.
"""
import re
import sys

# (depth, label, regular expressions matched at the start of function names: the inclusive costs of
# the matching functions are summed)
COMMON_WRITER = [
    (0, "audit writer thread (AuditLog::run)", [r"triage::AuditLog::run\(\)"]),
    (1, "hash chain: canonical record + SHA-256", [r"triage::chain_hash\("]),
    (1, "the insert (prepared statement: bind, step, reset)", [r"triage::sql::Statement::run\(\)"]),
    (1, "commit (WAL write + fsync call)", [r"triage::sql::Transaction::commit\(\)"]),
    (1, "begin", [r"triage::sql::Transaction::Transaction\("]),
    (1, "decided_at as RFC 3339 text", [r"triage::utc_time"]),
    (1, "hand-over to the completion thread", [r"triage::AuditLog::write_batch\("]),  # adjusted below
    (0, "WAL checkpointer thread", [r"triage::AuditLog::checkpoint\(\)"]),
]
STAGES = {
    "floor": [],  # the floors: the total and the libraries only
    "grpc": [
        (0, "Evaluate handler (gRPC callback thread)", [r"triage::TriageService::Evaluate\("]),
        (1, "trace context (traceparent in, out)", [r"triage::\(anonymous\ namespace\)::trace_call\("]),
        (1, "client identity", [r"triage::client_identity"]),
        (1, "answers from the request message", [r"triage::raw_answers\("]),
        (1, "validation", [r"triage::validate_answers\("]),
        (1, "evaluation", [r"triage::evaluate\(triage::CompiledRuleset\ const\&"]),
        (1, "the reply: Decision message", [r"triage::fill_decision\("]),
        (1, "audit record: canonical answers JSON", [r"triage::canonical_answers_json"]),
        (1, "audit record: canonical decision JSON", [r"triage::decision_record_json"]),
        (1, "decision id", [r"triage::new_decision_id"]),
        (1, "hand-over to the audit writer (AuditLog::append)", [r"triage::AuditLog::append\("]),
    ] + COMMON_WRITER + [
        (0, "completion thread (AuditLog::complete)", [r"triage::AuditLog::complete\(\)"]),
        (1, "decision log line and metrics", [r"triage::Decider::log_committed\(", r"triage::Decider::committed\(", r"triage::\(anonymous\ namespace\)::log_decided\("]),
        (1, "finishing the call (gRPC's write of the reply)", [r"triage::TriageService::finish\("]),
        (0, "(part of everything else) protobuf: parse EvaluateRequest", [r"triage::v1::EvaluateRequest::_InternalParse\("]),
        (0, "(part of finishing the call) protobuf: serialize Decision", [r"triage::v1::Decision::_InternalSerialize\("]),
    ],
    "http": [
        (0, "request routing (Router::handle, on an I/O thread)", [r"triage::http_api::Router::handle\("]),
        (1, "intake JSON parse", [r"triage::parse_intake_json\("]),
        (1, "decide: validation, evaluation, record, hand-over", [r"triage::Decider::decide\("]),
        (2, "validation", [r"triage::validate_answers\("]),
        (2, "evaluation", [r"triage::evaluate\(triage::CompiledRuleset\ const\&"]),
        (2, "the reply: Decision message", [r"triage::fill_decision\("]),
        (2, "audit record: canonical answers JSON", [r"triage::canonical_answers_json"]),
        (2, "audit record: canonical decision JSON", [r"triage::decision_record_json"]),
        (2, "hand-over to the audit writer (AuditLog::append)", [r"triage::AuditLog::append\("]),
    ] + COMMON_WRITER + [
        (0, "completion thread (AuditLog::complete)", [r"triage::AuditLog::complete\(\)"]),
        (1, "decision log line and metrics", [r"triage::Decider::log_committed\(", r"triage::Decider::committed\(", r"triage::\(anonymous\ namespace\)::log_decided\("]),
        (0, "(part of the completion thread before, of the reply after) reply JSON: decision_to_json", [r"triage::decision_to_json"]),
        (0, "the reply on the connection's strand: JSON (after), headers, access log line, write", [r"triage::\(anonymous\ namespace\)::Session<.*>::respond\(triage::http_api::Reply"]),
        (1, "access log line and metrics", [r"triage::\(anonymous\ namespace\)::Session<.*>::account\(triage::http_api::Reply"]),
    ],
}


def read_profile(path):
    """Self and inclusive instructions by function name, and self by object, from a callgrind file
    (one event, Ir). A function inlined from several files is one function here (callgrind_annotate
    would list it once per file)."""
    names = {"ob": {}, "fn": {}}
    self_cost, inclusive, by_object = {}, {}, {}
    total = 0
    ob = fn = ""
    call_pending = False
    called = ""

    def name(kind, text):
        text = text.strip()
        if text.startswith("("):
            close = text.index(")")
            key, rest = text[1:close], text[close + 1:].strip()
            if rest:
                names[kind][key] = rest
            return names[kind].get(key, rest)
        return text

    with open(path, errors="replace") as lines:
        for line in lines:
            if not line or line[0] in "#\n":
                continue
            c = line[0]
            if c.isdigit() or c in "+-*":
                if call_pending:
                    cost = int(line.split()[-1])
                    if called != fn:
                        inclusive[fn] = inclusive.get(fn, 0) + cost
                    call_pending = False
                    continue
                parts = line.split()
                if len(parts) < 2:
                    continue
                cost = int(parts[-1])
                self_cost[fn] = self_cost.get(fn, 0) + cost
                inclusive[fn] = inclusive.get(fn, 0) + cost
                by_object[ob] = by_object.get(ob, 0) + cost
                total += cost
            elif line.startswith("ob="):
                ob = name("ob", line[3:])
            elif line.startswith("cob="):
                name("ob", line[4:])
            elif line.startswith("fn="):
                fn = name("fn", line[3:])
            elif line.startswith("cfn="):
                called = name("fn", line[4:])
            elif line.startswith("calls="):
                call_pending = True
    return total, self_cost, inclusive, by_object


def library(obj):
    base = obj.rsplit("/", 1)[-1]
    for prefix, label in (("libgrpc", "gRPC (libgrpc*, libgpr, libaddress_sorting, libupb)"),
                          ("libgpr", "gRPC (libgrpc*, libgpr, libaddress_sorting, libupb)"),
                          ("libupb", "gRPC (libgrpc*, libgpr, libaddress_sorting, libupb)"),
                          ("libaddress_sorting", "gRPC (libgrpc*, libgpr, libaddress_sorting, libupb)"),
                          ("libabsl", "abseil"), ("libprotobuf", "protobuf"), ("libsqlite3", "SQLite"),
                          ("libtcmalloc", "tcmalloc (malloc/free)"), ("???", "tcmalloc (malloc/free)"), ("libc.so", "glibc"), ("libc-", "glibc"),
                          ("libstdc++", "libstdc++"), ("libcrypto", "OpenSSL libcrypto (SHA-256)"),
                          ("libssl", "OpenSSL libssl"), ("libspdlog", "spdlog + fmt"), ("libfmt", "spdlog + fmt"),
                          ("ld-linux", "dynamic loader"), ("libm.so", "glibc"), ("triage", "triage (our code)")):
        if base.startswith(prefix):
            return label
    return base or "(unknown)"


def print_libraries(by_object, total, per):
    print("| library (self instructions) | instructions per call | share |")
    print("|---|---|---|")
    by_lib = {}
    for obj, cost in by_object.items():
        by_lib[library(obj)] = by_lib.get(library(obj), 0) + cost
    for label, cost in sorted(by_lib.items(), key=lambda kv: -kv[1]):
        if per(cost) >= 50:
            print("| %s | %.0f | %.1f %% |" % (label, per(cost), 100.0 * cost / total))
    print()


def main():
    path, calls, protocol = sys.argv[1], int(sys.argv[2]), sys.argv[3]  # protocol: grpc, http or floor
    total, _, inclusive, by_object = read_profile(path)
    per = lambda cost: cost / max(calls, 1)
    print("%s: %d calls answered while counting; %.0f instructions per call in all (user space, every thread)\n"
          % (protocol, calls, per(total)))
    if not STAGES[protocol]:
        print_libraries(by_object, total, per)
        return
    print("| stage (inclusive instructions of the function doing it) | instructions per call | share |")
    print("|---|---|---|")
    found = {}
    for depth, label, patterns in STAGES[protocol]:
        # A pattern is a regular expression matched at the start of the name, so a wrapper whose
        # template arguments name the function (std::function's handlers) is not counted again.
        found[label] = sum(c for function, c in inclusive.items() if any(re.match(p, function) for p in patterns))
    # write_batch's own share beyond the named parts is the hand-over and the metrics.
    parts = sum(found.get(k, 0) for k in ("hash chain: canonical record + SHA-256",
                                           "the insert (prepared statement: bind, step, reset)",
                                           "commit (WAL write + fsync call)", "begin", "decided_at as RFC 3339 text"))
    if "hand-over to the completion thread" in found:
        found["hand-over to the completion thread"] = max(found["hand-over to the completion thread"] - parts, 0)
    named_top = 0
    for depth, label, _ in STAGES[protocol]:
        cost = found[label]
        if depth == 0 and not label.startswith("(part of"):
            named_top += cost
        indent = "&nbsp;&nbsp;&nbsp;&nbsp;" * depth
        if cost == 0:
            print("| %s%s | — | |" % (indent, label))
        else:
            print("| %s%s | %.0f | %.1f %% |" % (indent, label, per(cost), 100.0 * cost / total))
    rest = total - named_top
    print("| everything else: %s, polling, threads, allocation outside the stages | %.0f | %.1f %% |" % (
        "gRPC/HTTP2 framing, HPACK, the request's protobuf parse" if protocol == "grpc"
        else "Beast/Asio parsing and writing", per(rest), 100.0 * rest / total))
    print()
    print_libraries(by_object, total, per)

if __name__ == "__main__":
    main()
