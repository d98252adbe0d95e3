#include "fhir/capability.hpp"

namespace triage::fhir {

Json capability_statement(const FhirNames& names, const std::string& ruleset_hash, const std::string& date,
                          const std::string& base_url) {
  Json implementation = {{"description", "Back-pain triage engine serving ruleset " + ruleset_hash}};
  if (!base_url.empty()) implementation["url"] = base_url;
  Json questionnaire = {
      {"type", "Questionnaire"},
      {"supportedProfile", Json::array({ext::sdc_adapt_profile})},
      {"documentation", "Only the served questionnaire, id `" + std::string(questionnaire_id) + "`."},
      {"interaction", Json::array({{{"code", "read"}}})},
      {"operation", Json::array({{{"name", "next-question"}, {"definition", ext::sdc_next_question},
                                  {"documentation", "SDC adaptive form: POST a QuestionnaireResponse to "
                                                    "Questionnaire/$next-question; it comes back with the next "
                                                    "questions added, or completed."}}})}};
  Json response = {
      {"type", "QuestionnaireResponse"},
      {"operation", Json::array({{{"name", "evaluate"}, {"definition", names.evaluate_operation_url()},
                                  {"documentation", "A QuestionnaireResponse in, a Bundle with a GuidanceResponse "
                                                    "and its ServiceRequest or CarePlan out."}}})}};
  Json operation = {{"type", "OperationDefinition"},
                    {"documentation", "Only `evaluate`."},
                    {"interaction", Json::array({{{"code", "read"}}})}};
  return {{"resourceType", "CapabilityStatement"},
          {"id", "triage"},
          {"url", names.canonical + "/CapabilityStatement/triage"},
          {"version", ruleset_hash},
          {"name", "TriageCapabilityStatement"},
          {"title", "Back-pain triage FHIR interface"},
          {"status", "active"},
          {"date", date},
          {"publisher", "triage"},
          {"kind", "instance"},
          {"software", {{"name", "triage"}, {"version", TRIAGE_VERSION}}},
          {"implementation", std::move(implementation)},
          {"fhirVersion", "4.0.1"},
          {"format", Json::array({"application/fhir+json", "json"})},
          {"rest", Json::array({{{"mode", "server"},
                                 {"documentation", "Decisions made here are written to the audit log before they "
                                                   "are returned."},
                                 {"resource", Json::array({std::move(questionnaire), std::move(response),
                                                           std::move(operation)})}}})}};
}

Json evaluate_operation_definition(const FhirNames& names, const std::string& date) {
  return {{"resourceType", "OperationDefinition"},
          {"id", "evaluate"},
          {"url", names.evaluate_operation_url()},
          {"version", TRIAGE_VERSION},
          {"name", "Evaluate"},
          {"title", "Decide back-pain triage from a QuestionnaireResponse"},
          {"status", "active"},
          {"kind", "operation"},
          {"date", date},
          {"description",
           "Decides one intake: the answers of a QuestionnaireResponse to Questionnaire/back-pain-triage give "
           "a Bundle holding a GuidanceResponse (identifier = the decision id, moduleUri = the ruleset; status "
           "success, data-required with a dataRequirement per missing question, or data-requested with one per "
           "question that could still refine a self-care plan) and its result: a RequestGroup with a draft "
           "ServiceRequest for a referral, or a draft CarePlan for self-care. The decision is in the audit log "
           "before it is returned. Bad input gives an OperationOutcome with the FHIRPath of every offending "
           "item (HTTP 400)."},
          {"affectsState", true},
          {"code", "evaluate"},
          {"resource", Json::array({"QuestionnaireResponse"})},
          {"system", false},
          {"type", true},
          {"instance", false},
          {"parameter",
           Json::array({{{"name", "questionnaireResponse"},
                         {"use", "in"},
                         {"min", 1},
                         {"max", "1"},
                         {"documentation", "The answers (the resource may also be POSTed on its own)."},
                         {"type", "QuestionnaireResponse"}},
                        {{"name", "return"},
                         {"use", "out"},
                         {"min", 1},
                         {"max", "1"},
                         {"documentation", "GuidanceResponse first, then its result."},
                         {"type", "Bundle"}}})}};
}

}  // namespace triage::fhir
