#pragma once
// A fast printer for the JSON mapping of triage.v1.Decision: proto field names, every field
// present (empty lists as []), `urgency` left out when unset, enums by name, the timestamp in
// RFC 3339. protobuf's generic printer goes through reflection and a type resolver and dominated
// the service's CPU profile; this writes the same document directly. Tests parse its output back
// with protobuf's parser and compare messages, so it stays a faithful mapping.
#include <string>

#include "triage/v1/triage.pb.h"

namespace triage {

std::string decision_to_json(const v1::Decision& decision);

// The JSON mapping of an EvaluateBatchResponse, each decision as decision_to_json writes it:
// {"results":[{"decision":{...}},{"error":{"code":...,"message":...,"details":[{"fact":...,"message":...}]}}]}
std::string batch_to_json(const v1::EvaluateBatchResponse& response);

}  // namespace triage
