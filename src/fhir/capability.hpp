#pragma once
// The conformance resources the service serves: its CapabilityStatement and the OperationDefinition
// of our own $evaluate operation.
#include "fhir/common.hpp"

namespace triage::fhir {

// GET /fhir/metadata: exactly what is served (Questionnaire read + $next-question,
// QuestionnaireResponse $evaluate, OperationDefinition read). `date` is a FHIR dateTime (when the
// served ruleset was loaded); `base_url` is the server's public FHIR base ("" to leave it out).
Json capability_statement(const FhirNames& names, const std::string& ruleset_hash, const std::string& date,
                          const std::string& base_url);

// GET /fhir/OperationDefinition/evaluate.
Json evaluate_operation_definition(const FhirNames& names, const std::string& date);

}  // namespace triage::fhir
