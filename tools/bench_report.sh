#!/usr/bin/env bash
# `triage audit report` over one million logged decisions: wall time and peak memory (issue 28).
# usage: tools/bench_report.sh [COUNT]   (from the repository root, after a build with tests)
# Writes the log with the test binary (real decisions of the shipped rules, the example intakes in
# turn, over 30 days; tests/report/report_fixture.cpp), then times the report with GNU time.
set -euo pipefail
count=${1:-1000000}
triage=${TRIAGE:-build/triage}
tests=${TRIAGE_TESTS:-build/tests/triage_tests}
tmp=$(mktemp -d /tmp/triage-bench-report-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
started=$(date +%s.%N)
TRIAGE_REPORT_BENCH_LOG="$tmp/audit.db" TRIAGE_REPORT_BENCH_COUNT=$count "$tests" "[.report-bench]" >/dev/null
echo "== wrote $count decisions in $(echo "$(date +%s.%N) - $started" | bc) s ($(du -h "$tmp/audit.db" | cut -f1))"
echo "== triage audit report --log audit.db --html report.html --json report.json"
/usr/bin/time -f "   %e s wall, %U s user, %M KB peak resident" \
  "$triage" audit report --log "$tmp/audit.db" --html "$tmp/report.html" --json "$tmp/report.json"
ls -l "$tmp/report.html" "$tmp/report.json" | awk '{print "   " $5 " bytes " $9}'
