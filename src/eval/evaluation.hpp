#pragma once
// What the evaluator decides, by index into the ruleset; turned into text only at the API edge.
#include <cstdint>
#include <vector>

#include "model/ruleset.hpp"

namespace triage {

// A patient's answers in compact form (see model::FactValue). Facts not in `known` are unanswered.
struct Answers {
  std::vector<model::FactValue> values;  // one per fact of the ruleset
  model::FactSet known;
};

enum class Outcome { refer, self_care, incomplete };

// Why a technique was left out.
struct ExclusionReason {
  enum class Kind { rule, missing_equipment, not_targeted, phase_limit, total_limit, requirement };
  Kind kind = Kind::rule;
  int rule = -1;             // Kind::rule: the suitability rule
  std::uint64_t detail = 0;  // missing_equipment: the missing equipment bits; requirement: the needed phase
};

struct PlanEntry {
  int technique = -1;
  std::vector<int> include_rules;  // rules whose `include` put it in the plan
  std::vector<int> caution_rules;  // rules whose `caution on` matched it
  std::uint64_t matched_areas = 0; // the patient's pain areas it works on
};

// A left-out technique; its reasons are Evaluation::exclusion_reasons[first, first + count).
struct Exclusion {
  int technique = -1;
  std::uint32_t first = 0;
  std::uint32_t count = 0;
};

struct Evaluation {
  Outcome outcome = Outcome::incomplete;
  model::Tier urgency = model::Tier::none;  // for incomplete: the provisional tier already certain
  std::vector<int> red_flags;               // fired red flags, most urgent first, then declaration order
  std::vector<int> missing;                 // facts to ask next, most urgent first
  std::vector<int> refine;                  // self_care: unanswered facts the plan depends on, questionnaire order
  std::vector<PlanEntry> plan;              // in plan order
  std::vector<Exclusion> excluded;          // catalogue order
  std::vector<ExclusionReason> exclusion_reasons;  // grouped by technique, in `excluded` order
  std::vector<int> cautions;                // rules with a general `caution` that applies
  std::vector<int> fired_rules;             // self_care: suitability rules whose condition held
};

}  // namespace triage
