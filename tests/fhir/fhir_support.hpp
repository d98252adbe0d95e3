#pragma once
// Shared by the FHIR and CDS Hooks tests: a service over the shipped rules that decides without an
// audit log and keeps feedback in memory, QuestionnaireResponses filled from intakes, and a sink that
// writes every emitted resource for the offline schema check (TRIAGE_FHIR_OUT).
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fhir/routes.hpp"
#include "intake/intake.hpp"

namespace triage::test {

using fhir::Json;

struct FhirFixture {
  std::shared_ptr<const CompiledRuleset> ruleset;
  fhir::FhirService service;
  std::vector<v1::Decision> decisions;        // every decision made, in order
  std::vector<fhir::FeedbackRecord> feedback;  // every feedback entry stored
  std::mutex mutex;

  FhirFixture();
  // Calls handle_fhir; `body` is dumped when not null.
  fhir::HttpResult call(const std::string& method, const std::string& target, const Json& body = nullptr,
                        const fhir::Headers& headers = {});
};

// The shipped rules as a shared ruleset (loaded once).
std::shared_ptr<const CompiledRuleset> shipped_shared();

// A QuestionnaireResponse (status completed) answering `questionnaire` (FHIR JSON) with `raw`, keeping
// its groups; sets answered with an empty list get the exclusive "none" option.
Json response_from_intake(const Json& questionnaire, const std::vector<RawAnswer>& raw);

// The raw answers of a `{"answers": …}` intake file below rules/examples/.
std::vector<RawAnswer> example_answers(const std::string& file);

// The intake files in rules/examples/, sorted.
std::vector<std::string> example_files();

// Writes `resource` as <TRIAGE_FHIR_OUT>/<name>.json when that variable is set.
void emit(const std::string& name, const Json& resource);

}  // namespace triage::test
