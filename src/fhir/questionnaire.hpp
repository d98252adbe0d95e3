#pragma once
// The served questionnaire (triage.v1.Questionnaire) as an R4 Questionnaire for SDC renderers.
#include "fhir/common.hpp"
#include "triage/v1/triage.pb.h"

namespace triage::fhir {

// Patient-facing words for a value or fact id with no label: "lower_back" -> "Lower back".
std::string label_words(const std::string& id);

// One section of the FHIR form: the served sections when the questionnaire has them, otherwise
// two made-up groups ("red-flags": the warning-sign questions, "about-your-pain": the rest).
struct FormSection {
  std::string id;
  std::string title;
  std::string intro;
  std::vector<const v1::Question*> questions;
};
std::vector<FormSection> form_sections(const v1::Questionnaire& questionnaire);

// The R4 Questionnaire: id "back-pain-triage", version = ruleset hash, status active, the SDC
// adaptive marker; one group per section, each question an item with linkId = fact id:
// bool -> boolean; int -> integer with minValue/maxValue; enum -> choice with answerOption codings;
// set -> repeating choice plus an exclusive "none" option (left out when the set needs at least one
// value); help texts as "help" display items, section intros as display items.
Json to_fhir_questionnaire(const v1::Questionnaire& questionnaire, const FhirNames& names);

// One question as a Questionnaire.item (used by $next-question for the items it adds).
Json question_item(const v1::Question& question, const FhirNames& names);

}  // namespace triage::fhir
