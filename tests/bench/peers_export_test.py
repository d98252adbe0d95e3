#!/usr/bin/env python3
"""triage_peers_export (bench/peers_export.cpp): the sets the peer engines are checked against.

Runs the exporter on 100 generated rules (no timing) and checks, without node, that every
condition is a tree over declared facts, and that the fired ids it wrote (triage's compiled
programs) are what an independent reading of those trees gives on every intake: the peers are
held to these sets, so a wrong tree or a wrong set would let a wrong comparison pass.
Usage: peers_export_test.py PATH_TO_triage_peers_export
"""
import json
import subprocess
import sys
import tempfile

CMP = {"eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b,
       "le": lambda a, b: a <= b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b}


def holds(node, answers, facts):
    if "and" in node:
        assert len(node["and"]) >= 2, node
        return all(holds(c, answers, facts) for c in node["and"])
    if "or" in node:
        assert len(node["or"]) >= 2, node
        return any(holds(c, answers, facts) for c in node["or"])
    if "not" in node:
        return not holds(node["not"], answers, facts)
    fact = facts[node["fact"]]  # KeyError: a fact nobody declared
    value = answers[node["fact"]]
    if "is" in node:
        assert fact["type"] == "bool", node
        return value is node["is"]
    if "cmp" in node:
        assert fact["type"] == "int" and fact["low"] <= node["value"] + 1 and node["value"] - 1 <= fact["high"] + 1, node
        return CMP[node["cmp"]](value, node["value"])
    kind = next(k for k in ("any", "all", "none") if k in node)
    values = node[kind]
    assert values and set(values) <= set(fact["values"]), node
    present = {value} if fact["type"] == "enum" else set(value)
    return {"any": bool(present & set(values)), "all": set(values) <= present,
            "none": not present & set(values)}[kind]


def check(data, path):
    facts = {f["id"]: f for f in data["facts"]}
    assert data["path"] == path and data["rules"] == 100
    ids = [c["id"] for c in data["conditions"]]
    assert len(ids) == len(set(ids)) == 100 + (1 if path == "plan" else 0), len(ids)
    flags = {c["id"] for c in data["conditions"] if c["kind"] == "red_flag"}
    assert len(data["intakes"]) == len(data["fired"]) == 256
    counts = {i: 0 for i in ids}
    for n, (answers, fired) in enumerate(zip(data["intakes"], data["fired"])):
        expected = [c["id"] for c in data["conditions"] if holds(c["when"], answers, facts)]
        assert sorted(fired) == sorted(expected), (path, n, sorted(set(fired) ^ set(expected)))
        for i in fired:
            counts[i] += 1
        if path == "refer":
            assert flags & set(fired), (n, "a referral without a red flag")
        else:
            assert "never" not in fired
    # Non-trivial: most conditions fire on some intakes and not on others.
    mixed = sum(1 for c in counts.values() if 0 < c < 256)
    assert mixed >= 80, mixed
    mean = sum(len(f) for f in data["fired"]) / 256
    assert 10 < mean < 90, mean


def main():
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([sys.argv[1], out, "--rules", "100", "--run-ms", "0"], check=True)
        for path in ("refer", "plan"):
            with open("%s/%s_100.json" % (out, path)) as f:
                data = json.load(f)
            assert "ours" not in data
            check(data, path)
    print("peers export: trees and fired sets agree on 2 x 256 intakes")


if __name__ == "__main__":
    main()
