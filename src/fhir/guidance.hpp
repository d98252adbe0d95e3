#pragma once
// A decision (triage.v1.Decision) as FHIR: a Bundle with a GuidanceResponse and its result, a
// ServiceRequest (through a RequestGroup, as R4's GuidanceResponse.result requires) for a referral
// or a CarePlan for self-care.
#include "fhir/common.hpp"
#include "triage/v1/triage.pb.h"

namespace triage::fhir {

// Who and what the decision is about, copied from the QuestionnaireResponse (null when absent).
struct DecisionSubject {
  Json subject;        // Reference(Patient)
  Json encounter;      // Reference(Encounter)
  std::string response_reference;  // "QuestionnaireResponse/<id>", empty when it has no id
  std::string request_id;          // GuidanceResponse.requestIdentifier.value, empty to leave out
  // The QuestionnaireResponse the caller sent ($evaluate), or null. When set, decision_bundle puts
  // it in the Bundle and the results' supportingInfo points at that entry (a reference the reader
  // can resolve), not at an id on a server that never held it.
  Json response;
};

// ServiceRequest priority for an urgency: emergency -> stat, urgent -> urgent, routine -> routine.
const char* priority_code(v1::Urgency urgency);

// The draft referral (status draft, intent proposal) for a `refer` decision.
Json referral_request(const v1::Decision& decision, const DecisionSubject& about, const FhirNames& names);

// The draft self-care CarePlan for a `self_care` decision.
Json care_plan(const v1::Decision& decision, const DecisionSubject& about, const FhirNames& names);

// The Bundle (type collection): first the GuidanceResponse (id = identifier = decision_id,
// moduleUri = the ruleset, status success / data-required with a dataRequirement per missing question
// / data-requested with one per `refine` question), then its result. `questionnaire` gives the
// question texts for dataRequirement.
Json decision_bundle(const v1::Decision& decision, const v1::Questionnaire& questionnaire,
                     const DecisionSubject& about, const FhirNames& names);

}  // namespace triage::fhir
