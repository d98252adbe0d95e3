#pragma once
// Answers at the API edge: typed protobuf answers to and from the raw answers the intake checks
// read, and the canonical JSON of a set of answers stored in the audit log.
#include <string>
#include <vector>

#include "intake/intake.hpp"
#include "triage/v1/triage.pb.h"

namespace triage {

// The raw answers of a request, sorted by fact id. An answer with no value set becomes an error
// message in `errors` ("`x` has no value").
std::vector<RawAnswer> raw_answers(const v1::EvaluateRequest& request, std::vector<IntakeError>& errors);

// A request from raw answers (as read from an intake JSON file): JSON booleans become bool_value,
// whole numbers int_value, strings enum_value, lists set_value. False with `error` for a number
// that is not whole.
bool to_request(const std::vector<RawAnswer>& raw, v1::EvaluateRequest& request, std::string& error);

// Canonical JSON of the answers: keys sorted, no spaces; what the audit log stores and hashes.
std::string canonical_answers_json(std::vector<RawAnswer> raw);

}  // namespace triage
