#pragma once
// `triage audit replay`: re-decides logged intakes. Without a candidate ruleset each decision is
// re-made with the ruleset recorded for it and must come out byte for byte the same (determinism).
// With a candidate ruleset it is impact analysis: which decisions would change, and how.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "audit/reader.hpp"
#include "compile/compiled.hpp"

namespace triage {

struct FieldDifference {
  std::string path;    // like `plan[2].technique`
  std::string before;  // JSON text, or empty when absent
  std::string after;
};

struct ReplayDifference {
  std::int64_t seq = 0;
  std::string decision_id;
  std::string decided_at;
  std::string transition;  // like `self_care -> refer/urgent`
  std::vector<FieldDifference> fields;
  std::string error;       // when the intake could not be re-decided
};

struct ReplayReport {
  std::int64_t replayed = 0;
  std::int64_t unchanged = 0;
  std::int64_t changed = 0;
  std::int64_t failed = 0;
  std::map<std::string, std::int64_t> transitions;  // transition -> count
  std::vector<ReplayDifference> differences;       // every changed or failed decision
};

// `candidate` null: determinism replay. Otherwise impact analysis against it.
ReplayReport replay_audit_log(AuditReader& reader, const DecisionFilter& filter,
                              std::shared_ptr<const CompiledRuleset> candidate,
                              const std::function<void(std::int64_t done, std::int64_t total)>& progress);

// Text and JSON forms of a report.
std::string replay_text(const ReplayReport& report, bool candidate);
std::string replay_json(const ReplayReport& report, bool candidate);

}  // namespace triage
