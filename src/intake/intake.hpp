#pragma once
// Checks a patient's raw answers against the ruleset's facts and turns them into compact Answers.
// Shared by the command line (JSON) and the service (protobuf), so both refuse the same input with
// the same words.
#include <string>
#include <vector>

#include "compile/compiled.hpp"
#include "eval/evaluation.hpp"

namespace triage {

struct JsonValue;

// One answer as it arrived, before its fact is known.
struct RawAnswer {
  enum class Kind { boolean, number, text, list } kind = Kind::boolean;
  std::string fact;
  bool boolean = false;
  double number = 0;
  std::string number_text;  // as written in JSON, when it came from JSON ("4.0"); else empty
  std::string text;
  std::vector<std::string> list;
};

// A refused answer: which fact, and a message that names it and says what was expected.
struct IntakeError {
  std::string fact;
  std::string message;
};

struct IntakeResult {
  Answers answers;
  std::vector<IntakeError> errors;  // empty when every answer was accepted
};

// Validates every answer (all problems are reported, not only the first).
IntakeResult validate_answers(const CompiledRuleset& ruleset, const std::vector<RawAnswer>& raw);

// Parses `{"answers": {...}}` JSON (bool, number, string, array of strings) into raw answers.
// Returns false with `error` set when the text is not JSON of that shape. With `request_id` (the
// HTTP API), a "request_id" string beside "answers" is accepted too and stored there.
bool parse_intake_json(const std::string& text, std::vector<RawAnswer>& raw, std::string& error,
                       std::string* request_id = nullptr);
// The same for an intake already read as JSON (one element of a batch). The document is consumed:
// its strings are moved into `raw`.
bool intake_from_json(JsonValue&& document, std::vector<RawAnswer>& raw, std::string& error,
                      std::string* request_id = nullptr);

}  // namespace triage
