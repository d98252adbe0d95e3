#pragma once
// Governance: the `ruleset` header, the source registry, the hazard log and per-rule maintenance
// metadata. Checking (errors while building the model) and review (warnings, and the stricter
// release gate of `triage check --release`) live here, apart from the clinical checks.
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "check/checker.hpp"
#include "check/context.hpp"
#include "check/properties.hpp"

namespace triage::check {

// Reads `author`, `reviewed` and `status` of a red flag or rule, checking the date and status.
model::RuleMeta rule_meta(Context& context, const SourceFile* file, const Properties& properties);

// Checks the header, sources and hazards of all files into context.ruleset (after red flags and
// rules are built, so hazard controls resolve), and, once any source is declared, that every cited
// source string is declared.
void check_governance(Context& context, const std::vector<ParsedFile>& files);

// A YYYY-MM-DD date as days since 1970-01-01, or nothing when it is not a real date.
std::optional<long> parse_date(const std::string& text);

}  // namespace triage::check

namespace triage {

struct GovernanceOptions {
  bool release = false;                 // `check --release`: the deployment gate
  long today = 0;                       // days since 1970-01-01 (UTC)
  bool have_coverage = false;           // when true, `exercised` lists red flags and rules run by .cases
  std::set<std::string> exercised;      // ids of red flags and rules some `.cases` test fires
};

// Governance findings on a checked ruleset, in source order: unused sources, red flags that
// control no hazard and hazards with no control (warnings, errors under `release`); under
// `release` also missing header fields, status not production, review_due passed (error) or within
// 30 days (warning), a residual risk rated 4 or 5, and hazard controls no `.cases` test exercises.
Diagnostics governance_review(const model::Ruleset& ruleset, const GovernanceOptions& options);

// Today's date (UTC) as days since 1970-01-01.
long today_utc();

// A risk's severity and likelihood as written in hazards.rules (`catastrophic`, `very_low`).
std::string_view risk_severity_name(const model::Risk& risk);
std::string_view risk_likelihood_name(const model::Risk& risk);

}  // namespace triage
