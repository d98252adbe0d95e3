#pragma once
// `triage audit feedback`'s summary: how often each rule's and red flag's advice was accepted or
// overridden by clinicians (CDS Hooks feedback), joined through the decision id to the logged
// decision record, which names the red flags and rules that fired. Governance evidence.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "audit/reader.hpp"

namespace triage {

// The red flags and rules that fired in one logged decision, each once, in order of appearance.
// Rules are those named in the plan's `why` and `cautions`, the exclusions' reasons and the
// decision's cautions; the plan's own reasons (`plan:…`, `technique:…`) are not rules.
struct FiredIds {
  std::vector<std::string> red_flags;
  std::vector<std::string> rules;
};

// From a decision as the log stores it: a canonical record (api/decision_record.hpp, ids as
// strings) or a full Decision (objects with `rule`). Empty when the text is not a JSON object.
FiredIds fired_in_decision(const std::string& decision_json);

// The feedback on the decisions one rule or red flag fired in.
struct RuleFeedback {
  std::string kind;  // "red_flag" or "rule"
  std::string id;
  std::int64_t accepted = 0;
  std::int64_t overridden = 0;
  // Override reason (code and display as stored; "(none given)" when empty) -> how many.
  std::map<std::string, std::int64_t> override_reasons;
};

struct FeedbackSummary {
  std::int64_t entries = 0;    // feedback entries looked at
  std::int64_t accepted = 0;
  std::int64_t overridden = 0;
  std::int64_t unmatched = 0;  // entries whose decision is not in this log
  // Most overridden first, then by kind (red flags first) and id.
  std::vector<RuleFeedback> rules;
};

// Summarises `rows`; `decision_of` gives the logged decision record of a decision id (nullopt when
// the log has none).
FeedbackSummary summarize_feedback(const std::vector<FeedbackRow>& rows,
                                   const std::function<std::optional<std::string>(const std::string&)>& decision_of);

// The same over a log's feedback (one decision's, or all with an empty id).
FeedbackSummary summarize_feedback(AuditReader& reader, const std::string& decision_id);

// Text (a table under a heading) and JSON (one object, `{"summary": …}`) forms.
std::string feedback_summary_text(const FeedbackSummary& summary);
std::string feedback_summary_json(const FeedbackSummary& summary);

}  // namespace triage
