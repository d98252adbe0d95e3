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
#include <string_view>
#include <vector>

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

// A canonical record's ids without building a JSON document: views into the record's text (valid
// while it lives). For reading millions of logged records (`audit report`), where a general JSON
// reader's allocations were most of the time.
struct DecisionRecordView {
  std::string_view outcome, urgency;  // urgency empty when the record has none
  std::vector<std::string_view> red_flags;
  std::vector<std::string_view> plan;  // techniques given, in order
  struct Exclusion {
    std::string_view technique;
    std::vector<std::string_view> reasons;
  };
  std::vector<Exclusion> excluded;
};

// Reads a record laid out exactly as decision_record_json writes it (keys in that order, ids
// without escapes). False for anything else (an older or damaged record, a full Decision): the
// caller then reads it with a general JSON reader. `out`'s vectors are reused across calls.
bool scan_decision_record(std::string_view json, DecisionRecordView& out);

}  // namespace triage
