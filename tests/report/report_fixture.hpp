#pragma once
// The report tests' audit logs: three replicas over ten days with known counts, a ruleset change
// after day 5 (routine referrals double), an emergency spike on day 3 (replicas a and b), a replica
// whose mix drifts (c: more incomplete, fewer self-care) and one edited record (replica a).
#include <cstdint>
#include <filesystem>
#include <string>

namespace triage::test {

struct ReportFixture {
  std::filesystem::path folder;
  std::string log_a, log_b, log_c;  // replica-a.db … replica-c.db in `folder`
  std::string hash_before, hash_after;  // the two rulesets (versions 9.0.0 and 9.1.0)
  bool tampered = false;
};

// Writes the three logs into `folder` (created; existing logs there are replaced). With `tamper`,
// record 57 of replica a has its client edited after the fact, breaking the chain there.
ReportFixture write_report_fixture(const std::filesystem::path& folder, bool tamper);

// The benchmark's log: `count` real decisions of the shipped rules (the example intakes in turn,
// decided once each and logged as the service logs them) over 30 days, one flow id per three
// decisions, feedback on one decision in a hundred.
void write_report_bench_log(const std::string& path, std::int64_t count);

}  // namespace triage::test
