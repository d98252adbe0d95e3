// Fuzz target: intake JSON through the reader, validation against the shipped rules, evaluation
// and the canonical record and answers the audit log stores.
#include <cstdint>
#include <string>

#include "api/answers_proto.hpp"
#include "api/decision_record.hpp"
#include "eval/evaluator.hpp"
#include "fuzz_common.hpp"
#include "intake/intake.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const triage::CompiledRuleset& ruleset = triage::fuzz::shipped();
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<triage::RawAnswer> raw;
  std::string error;
  if (!triage::parse_intake_json(text, raw, error)) return 0;
  triage::IntakeResult intake = triage::validate_answers(ruleset, raw);
  if (!intake.errors.empty()) return 0;
  triage::Evaluation evaluation = triage::evaluate(ruleset, intake.answers);
  std::string record = triage::decision_record_json(ruleset, evaluation);
  std::string answers = triage::canonical_answers_json(std::move(raw));
  // What the log stores reads back: the answers re-decide to the same record (replay's promise).
  std::vector<triage::RawAnswer> again;
  if (!triage::parse_intake_json("{\"answers\":" + answers + "}", again, error)) std::abort();
  triage::IntakeResult revalidated = triage::validate_answers(ruleset, again);
  if (!revalidated.errors.empty()) std::abort();
  if (triage::decision_record_json(ruleset, triage::evaluate(ruleset, revalidated.answers)) != record) std::abort();
  return 0;
}
