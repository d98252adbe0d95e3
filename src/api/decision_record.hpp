#pragma once
// The canonical form of a decision in the audit log: what was decided, by id, without the texts
// that come from the ruleset. With the answers and the ruleset (stored in the log by hash) the
// engine re-makes the full Decision exactly (`triage audit replay` proves it), so the log keeps
// about a tenth of the bytes of the full message: at 20,000 decisions a second, the disk is what
// the full texts would exhaust first.
//
//   {"outcome":"self_care","red_flags":[],"missing":[],
//    "plan":[{"technique":"cat_cow","why":["plan:targets"],"cautions":["technique:cat_cow"]}],
//    "excluded":[{"technique":"plank","reasons":["floor_work_only_if_safe"]}],
//    "cautions":["never_push_into_pain"]}
//
// `urgency` appears only when the Decision has one. Keys are in this fixed order; no spaces.
// Built straight from the Evaluation (the same ids the Decision message carries, see
// decision_proto.cpp), so logging and replay need not build the full message.
#include <string>

#include "compile/compiled.hpp"
#include "eval/evaluation.hpp"

namespace triage {

std::string decision_record_json(const CompiledRuleset& ruleset, const Evaluation& evaluation);

// The outcome and urgency (empty when none) of a decision given as JSON: a canonical record or a
// full Decision. Both empty when the text is not such JSON.
struct OutcomeLabel {
  std::string outcome;
  std::string urgency;
  // `outcome` or `outcome/urgency`.
  std::string text() const { return urgency.empty() ? outcome : outcome + "/" + urgency; }
};
OutcomeLabel outcome_label(const std::string& decision_json);

}  // namespace triage
