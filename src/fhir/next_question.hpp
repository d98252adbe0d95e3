#pragma once
// SDC adaptive forms ($next-question): the response back with the next questions added to its
// contained Questionnaire, or completed once the decision is made.
#include "fhir/common.hpp"
#include "triage/v1/triage.pb.h"

namespace triage::fhir {

// `response` (already read and checked) and the decision its answers give. Items are added to the
// contained Questionnaire (id "adaptive", derivedFrom the served one): while the decision is
// `incomplete`, every `missing` question not yet in it; for `self_care`, every `refine` question
// not yet in it (a refine question that was shown and left blank is not asked again). The result is
// `in-progress` while questions were added or a missing one is still unanswered, `completed`
// otherwise (refer, or self_care with nothing left to refine). The decision id is recorded in an
// extension ("<canonical>/StructureDefinition/decision-id").
Json next_question(const Json& response, const v1::Questionnaire& questionnaire, const v1::Decision& decision,
                   const FhirNames& names);

}  // namespace triage::fhir
