#pragma once
// The API edge: turns an Evaluation (indices) into the triage.v1 messages with their texts and
// sources. The CLI and the service both go through here, so they cannot disagree.
#include <string>

#include "compile/compiled.hpp"
#include "eval/evaluation.hpp"
#include "triage/v1/triage.pb.h"

namespace triage {

// The Decision message for an evaluation. `decided_at_micros` is microseconds since the Unix epoch.
v1::Decision to_decision_proto(const CompiledRuleset& ruleset, const Evaluation& evaluation,
                               const std::string& decision_id, std::int64_t decided_at_micros,
                               const std::string& request_id);

// The same, written into `out` (which may live on an arena: its strings are then allocated there).
void fill_decision(const CompiledRuleset& ruleset, const Evaluation& evaluation, const std::string& decision_id,
                   std::int64_t decided_at_micros, const std::string& request_id, v1::Decision& out);

// The questionnaire a kiosk renders: red-flag questions first, most urgent first.
v1::Questionnaire to_questionnaire(const CompiledRuleset& ruleset);

// JSON of a message with proto field names and every field present (empty lists as []).
std::string to_json(const google::protobuf::Message& message);

// A new random (version 4) UUID.
std::string new_decision_id();

// Microseconds since the Unix epoch, now.
std::int64_t now_micros();

}  // namespace triage
