#pragma once
// `triage test`: runs clinicians' cases against a ruleset and reports differences and coverage.
#include <string>
#include <utility>
#include <vector>

#include "compile/compiled.hpp"
#include "diag/diagnostic.hpp"

namespace triage {

struct CaseResult {
  std::string name;
  SourceLocation location;
  std::vector<std::string> failures;  // one line per unmet expectation: what was expected, what came
  std::vector<int> red_flags;         // red flags that fired in this case (hazard traceability)
  std::vector<int> rules;             // suitability rules whose condition held in this case
  bool passed() const { return failures.empty(); }
};

struct TestReport {
  std::vector<CaseResult> results;
  Diagnostics diagnostics;                 // malformed case files
  std::vector<int> red_flag_hits;          // per red flag: cases in which it fired
  std::vector<int> rule_hits;              // per suitability rule: cases in which its condition held
  std::vector<int> technique_hits;         // per technique: cases whose plan had it
  int passed = 0;
  int failed = 0;
};

// Runs every case of the files (name, text).
TestReport run_cases(const CompiledRuleset& ruleset, const std::vector<std::pair<std::string, std::string>>& files);

// The report as text (malformed case lines rendered by diag/render, then each case, then coverage
// when asked) and as JSON (passed, failed, cases, coverage, and the malformed lines as `errors`,
// diagnostic objects).
std::string test_report_text(const TestReport& report, const model::Ruleset& ruleset, bool coverage);
std::string test_report_json(const TestReport& report, const model::Ruleset& ruleset);

}  // namespace triage
