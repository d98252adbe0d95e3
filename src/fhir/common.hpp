#pragma once
// Shared pieces of the FHIR R4 and CDS Hooks layer: the JSON type, the canonical URLs and code
// systems we mint, and OperationOutcome issues. Transport-free: nothing here knows about HTTP.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace triage::fhir {

// Keys keep insertion order, so emitted resources read in the order the FHIR spec lists elements.
using Json = nlohmann::ordered_json;

// The logical id of the served Questionnaire (GET /fhir/Questionnaire/back-pain-triage).
inline constexpr const char* questionnaire_id = "back-pain-triage";

// Canonical URLs and code systems. `base` is the canonical base (FhirNames::canonical), for
// example "https://triage.example/fhir"; stable across deployments of the same product.
struct FhirNames {
  std::string canonical = "https://triage.example/fhir";
  std::string questionnaire_url() const { return canonical + "/Questionnaire/" + questionnaire_id; }
  std::string evaluate_operation_url() const { return canonical + "/OperationDefinition/evaluate"; }
  // Code system of a fact's values: ".../CodeSystem/fact-<fact>".
  std::string fact_system(const std::string& fact) const { return canonical + "/CodeSystem/fact-" + fact; }
  std::string red_flag_system() const { return canonical + "/CodeSystem/red-flag"; }
  std::string technique_system() const { return canonical + "/CodeSystem/technique"; }
  std::string rule_system() const { return canonical + "/CodeSystem/rule"; }
  std::string override_reason_system() const { return canonical + "/CodeSystem/override-reason"; }
  std::string question_system() const { return canonical + "/CodeSystem/question"; }
  std::string decision_system() const { return canonical + "/NamingSystem/decision-id"; }
  // The ruleset as GuidanceResponse.moduleUri: ".../Library/back-pain-rules/sha256:<hex>".
  std::string module_uri(const std::string& ruleset_hash) const {
    return canonical + "/Library/back-pain-rules/" + ruleset_hash;
  }
};

// The code a repeating choice uses for "none of these" (exclusive).
inline constexpr const char* none_code = "none";

// Well-known extension and profile URLs.
namespace ext {
inline constexpr const char* min_value = "http://hl7.org/fhir/StructureDefinition/minValue";
inline constexpr const char* max_value = "http://hl7.org/fhir/StructureDefinition/maxValue";
inline constexpr const char* item_control = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl";
inline constexpr const char* item_control_system = "http://hl7.org/fhir/questionnaire-item-control";
inline constexpr const char* option_exclusive = "http://hl7.org/fhir/StructureDefinition/questionnaire-optionExclusive";
inline constexpr const char* min_occurs = "http://hl7.org/fhir/StructureDefinition/questionnaire-minOccurs";
inline constexpr const char* max_occurs = "http://hl7.org/fhir/StructureDefinition/questionnaire-maxOccurs";
inline constexpr const char* sdc_adaptive = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-questionnaireAdaptive";
inline constexpr const char* sdc_adapt_profile = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-adapt";
inline constexpr const char* sdc_qr_adapt_profile = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaireresponse-adapt";
inline constexpr const char* sdc_next_question = "http://hl7.org/fhir/uv/sdc/OperationDefinition/Questionnaire-next-question";
}  // namespace ext

// One problem with a FHIR input: what is wrong and where (a FHIRPath such as
// "QuestionnaireResponse.item[2].answer[0].valueCoding.code").
struct Issue {
  std::string code = "invalid";  // OperationOutcome issue type: invalid, structure, value, required, not-supported…
  std::string message;
  std::string expression;  // FHIRPath; empty when the whole input is at fault
  std::string severity = "error";
};

// The string `object` holds under `key`; "" when `object` is not an object, has no `key`, or holds
// another JSON type there. Never throws (Json::value with a default throws on a member of another type).
std::string string_member(const Json& object, const char* key);

// An OperationOutcome listing `issues` (each with its FHIRPath in `expression`).
Json operation_outcome(const std::vector<Issue>& issues);

// FHIR instant/dateTime text (UTC, microseconds) from microseconds since the Unix epoch.
std::string fhir_time(std::int64_t micros);

// FHIR dateTime text from seconds and nanos of a protobuf Timestamp.
std::string fhir_time(std::int64_t seconds, std::int32_t nanos);

// A version 4 UUID.
std::string new_uuid();

}  // namespace triage::fhir
