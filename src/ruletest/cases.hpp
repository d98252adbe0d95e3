#pragma once
// Rule tests clinicians write: `*.cases` files beside the rules. Each case is an intake and what
// the decision must show.
//
//   base clear                                  # answers shared by several cases
//     answer night_pain = false
//     answer pain_areas = {lower_back}
//
//   case "saddle numbness is an emergency"
//     from clear                                # start from a base (optional)
//     answer saddle_numbness = true             # true/false, a number, a value, or {a, b}
//     expect outcome refer                      # refer | self_care | incomplete
//     expect urgency emergency                  # emergency | urgent | routine | none
//     expect red_flag flag_saddle_numbness      # fired
//     expect plan has cat_cow                   # in the plan
//     expect plan lacks plank                   # not in the plan
//     expect order gentle_walk_warmup before cat_cow
//     expect missing night_pain                 # asked for; `expect missing none`: nothing missing
//     expect missing lacks upper_back_pain_without_cause   # not asked
//     expect refine equipment                   # self-care: still worth asking; also `refine none`, `refine lacks F`
//     expect excluded plank by floor_work_only_if_safe
//     expect caution never_push_into_pain       # a general caution from this rule
//     expect caution lower_back_no_lumbar_rolling on foam_roll_glutes_to_sacrum
#include <string>
#include <vector>

#include "diag/diagnostic.hpp"

namespace triage {

struct CaseAnswer {
  std::string fact;
  std::string value;  // as written: true, 12, sudden, {a, b}
  SourceLocation location;
};

struct Expectation {
  std::string kind;                // outcome, urgency, red_flag, plan_has, plan_lacks, order, missing, missing_none,
                                   // missing_lacks, refine, refine_none, refine_lacks, excluded, caution, caution_on
  std::vector<std::string> words;  // the operands
  SourceLocation location;
};

struct TestCase {
  std::string name;
  std::string base;  // `from`
  std::vector<CaseAnswer> answers;
  std::vector<Expectation> expectations;
  SourceLocation location;
};

struct CaseBase {
  std::string name;
  std::vector<CaseAnswer> answers;
  SourceLocation location;
};

struct CaseFile {
  std::vector<CaseBase> bases;
  std::vector<TestCase> cases;
};

// Parses one cases file; every malformed line is a diagnostic (file:line:column).
CaseFile parse_cases(const std::string& file_name, const std::string& text, Diagnostics& diagnostics);

}  // namespace triage
