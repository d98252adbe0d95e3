#pragma once
// Static safety analysis of a whole ruleset (`triage check`). Each finding that a concrete intake
// can show comes with that intake (a witness) for the clinician to run with `triage eval`.
//
// Checks: red-flag safety (every red flag can fire and then refers at its tier; no red-flag question
// has a default that would answer it "no" for the patient), monotonicity (answering "yes" to one
// more red-flag question never lowers the urgency or removes a referral), conflicts (include and
// avoid of one technique for one intake; ordering cycles), dead and redundant rules, techniques no
// intake can receive, and facts, tags, equipment and derived facts declared but never used.
// Searches are exhaustive over the value classes the conditions distinguish (analyze/value_classes).
#include <optional>
#include <string>
#include <vector>

#include "compile/compiled.hpp"
#include "diag/diagnostic.hpp"
#include "eval/evaluation.hpp"

namespace triage {

struct Finding {
  // Its code names the check (the `analyze` rows of diag/codes.hpp).
  Diagnostic diagnostic;
  std::optional<std::string> witness;  // {"answers": {...}} JSON
  std::string witness_shows;           // what running the witness shows
};

struct AnalysisReport {
  std::vector<Finding> findings;  // in source order
  long intakes_searched = 0;
};

AnalysisReport analyze(const CompiledRuleset& ruleset);

// The red-flag check for one red flag (an index into the model's red flags), for a rule author who
// asks what makes it fire: the intake its search finds, with every other red-flag question
// answered "no" (the first value class: valid answers only), and the engine's decision on it.
struct RedFlagWitness {
  // never: no answers satisfy its condition (the check's error); undecided: the search ran out of
  // budget, so "none found" proves nothing.
  enum class Status { fires, never, undecided };
  Status status = Status::never;
  std::string witness;  // {"answers": {...}} JSON, when it fires
  Evaluation decision;  // the decision on the witness, when it fires
};
RedFlagWitness red_flag_witness(const CompiledRuleset& ruleset, int flag);

// The error findings as diagnostics, codes kept and the witness appended to the hint: what makes a
// ruleset unfit to serve.
Diagnostics analysis_errors(const AnalysisReport& report);

// Findings rendered by the diagnostic renderers (diag/render.hpp), each followed by its witness;
// as text and as a JSON array.
std::string render_findings(const AnalysisReport& report, const class SourceSet& sources);
std::string findings_json(const AnalysisReport& report);

}  // namespace triage
