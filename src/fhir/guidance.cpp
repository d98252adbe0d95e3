#include "fhir/guidance.hpp"

#include "fhir/questionnaire.hpp"

namespace triage::fhir {
namespace {

constexpr const char* snomed = "http://snomed.info/sct";

Json decision_identifier(const v1::Decision& decision, const FhirNames& names) {
  return {{"system", names.decision_system()}, {"value", decision.decision_id()}};
}

std::string decided_at(const v1::Decision& decision) {
  return fhir_time(decision.decided_at().seconds(), decision.decided_at().nanos());
}

Json subject_of(const DecisionSubject& about) {
  if (!about.subject.is_null()) return about.subject;
  // ServiceRequest and CarePlan need a subject; a response without one gets a display-only reference.
  return {{"display", "The patient who answered the questionnaire"}};
}

Json explanation_concept(const v1::Explanation& explanation, const FhirNames& names) {
  Json codeable = {{"coding", Json::array({{{"system", names.rule_system()}, {"code", explanation.rule()}}})}};
  codeable["text"] = explanation.text();
  return codeable;
}

std::string join_texts(const google::protobuf::RepeatedPtrField<v1::Explanation>& list) {
  std::string out;
  for (const auto& e : list) out += (out.empty() ? "" : " ") + e.text();
  return out;
}

Json data_requirement(const v1::Questionnaire& questionnaire, const std::string& fact, const FhirNames& names) {
  std::string text = label_words(fact);
  for (const auto& q : questionnaire.questions()) {
    if (q.fact() == fact && !q.text().empty()) text = q.text();
  }
  return {{"type", "QuestionnaireResponse"},
          {"mustSupport", Json::array({"item.where(linkId='" + fact + "').answer"})},
          {"codeFilter",
           Json::array({{{"path", "item.linkId"},
                         {"code", Json::array({{{"system", names.question_system()}, {"code", fact}, {"display", text}}})}}})}};
}

void add_common(Json& resource, const DecisionSubject& about) {
  resource["subject"] = subject_of(about);
  if (!about.encounter.is_null()) resource["encounter"] = about.encounter;
}

}  // namespace

const char* priority_code(v1::Urgency urgency) {
  switch (urgency) {
    case v1::emergency: return "stat";
    case v1::urgent: return "urgent";
    default: return "routine";
  }
}

Json referral_request(const v1::Decision& decision, const DecisionSubject& about, const FhirNames& names) {
  Json request = {{"resourceType", "ServiceRequest"},
                  {"identifier", Json::array({decision_identifier(decision, names)})},
                  {"status", "draft"},
                  {"intent", "proposal"},
                  {"priority", priority_code(decision.urgency())},
                  {"code",
                   {{"coding", Json::array({{{"system", snomed}, {"code", "3457005"}, {"display", "Patient referral"}}})},
                    {"text", "Referral for assessment of back pain"}}}};
  add_common(request, about);
  request["authoredOn"] = decided_at(decision);
  Json reasons = Json::array();
  for (const auto& flag : decision.red_flags()) {
    reasons.push_back({{"coding", Json::array({{{"system", names.red_flag_system()}, {"code", flag.rule()}}})},
                       {"text", flag.reason()}});
  }
  if (!reasons.empty()) request["reasonCode"] = std::move(reasons);
  if (!about.response_reference.empty()) {
    request["supportingInfo"] = Json::array({{{"reference", about.response_reference}}});
  }
  Json notes = Json::array();
  const auto& step = decision.next_step();
  if (!step.meanwhile().empty()) notes.push_back({{"text", "Meanwhile: " + step.meanwhile()}});
  if (!step.escalate().empty()) notes.push_back({{"text", "Escalate: " + step.escalate()}});
  for (const auto& flag : decision.red_flags()) {
    for (const auto& source : flag.sources()) notes.push_back({{"text", "Source (" + flag.rule() + "): " + source}});
  }
  if (!notes.empty()) request["note"] = std::move(notes);
  if (!step.action().empty()) request["patientInstruction"] = step.action();
  return request;
}

Json care_plan(const v1::Decision& decision, const DecisionSubject& about, const FhirNames& names) {
  Json plan = {{"resourceType", "CarePlan"},
               {"identifier", Json::array({decision_identifier(decision, names)})},
               {"status", "draft"},
               {"intent", "proposal"},
               {"title", "Back pain self-care plan"}};
  if (!decision.schedule().frequency().empty()) plan["description"] = decision.schedule().frequency();
  add_common(plan, about);
  plan["created"] = decided_at(decision);
  if (!about.response_reference.empty()) {
    plan["supportingInfo"] = Json::array({{{"reference", about.response_reference}}});
  }
  Json activities = Json::array();
  for (const auto& item : decision.plan()) {
    std::string description = item.instructions();
    if (item.cautions_size() > 0) description += (description.empty() ? "" : "\n\n") + std::string("Take care: ") + join_texts(item.cautions());
    Json reasons = Json::array();
    for (const auto& why : item.why()) reasons.push_back(explanation_concept(why, names));
    Json detail = {{"code",
                    {{"coding", Json::array({{{"system", names.technique_system()}, {"code", item.technique()},
                                              {"display", item.title()}}})},
                     {"text", item.title()}}}};
    if (!reasons.empty()) detail["reasonCode"] = std::move(reasons);
    detail["status"] = "not-started";
    detail["doNotPerform"] = false;
    if (!item.dose().empty()) detail["scheduledString"] = item.dose();
    if (!description.empty()) detail["description"] = description;
    activities.push_back({{"detail", std::move(detail)}});
  }
  for (const auto& exclusion : decision.excluded()) {
    Json reasons = Json::array();
    for (const auto& reason : exclusion.reasons()) reasons.push_back(explanation_concept(reason, names));
    Json detail = {{"code",
                    {{"coding", Json::array({{{"system", names.technique_system()}, {"code", exclusion.technique()}}})},
                     {"text", label_words(exclusion.technique())}}}};
    if (!reasons.empty()) detail["reasonCode"] = std::move(reasons);
    detail["status"] = "not-started";
    detail["doNotPerform"] = true;
    detail["description"] = "Left out: " + join_texts(exclusion.reasons());
    activities.push_back({{"detail", std::move(detail)}});
  }
  if (!activities.empty()) plan["activity"] = std::move(activities);
  Json notes = Json::array();
  for (const auto& caution : decision.cautions()) notes.push_back({{"text", "Caution: " + caution.text()}});
  const auto& schedule = decision.schedule();
  if (!schedule.frequency().empty()) notes.push_back({{"text", "Schedule: " + schedule.frequency()}});
  if (!schedule.review().empty()) notes.push_back({{"text", "Review: " + schedule.review()}});
  if (!decision.safety_net().text().empty()) notes.push_back({{"text", "Safety net: " + decision.safety_net().text()}});
  if (!notes.empty()) plan["note"] = std::move(notes);
  return plan;
}

Json decision_bundle(const v1::Decision& decision, const v1::Questionnaire& questionnaire,
                     const DecisionSubject& caller, const FhirNames& names) {
  DecisionSubject about = caller;
  Json response_entry;
  bool results = decision.outcome() == v1::refer || decision.outcome() == v1::self_care;
  if (results && about.response.is_object()) {
    std::string response_url = "urn:uuid:" + new_uuid();
    response_entry = {{"fullUrl", response_url}, {"resource", about.response}};
    about.response_reference = response_url;
  }
  Json guidance = {{"resourceType", "GuidanceResponse"}, {"id", decision.decision_id()}};
  if (!about.request_id.empty()) guidance["requestIdentifier"] = {{"value", about.request_id}};
  guidance["identifier"] = Json::array({decision_identifier(decision, names)});
  guidance["moduleUri"] = names.module_uri(decision.ruleset_hash());
  Json requirements = Json::array();
  std::string status = "success";
  if (decision.outcome() == v1::incomplete) {
    status = "data-required";
    for (const auto& fact : decision.missing()) requirements.push_back(data_requirement(questionnaire, fact, names));
  } else if (decision.outcome() == v1::self_care && decision.refine_size() > 0) {
    status = "data-requested";
    for (const auto& fact : decision.refine()) requirements.push_back(data_requirement(questionnaire, fact, names));
  }
  guidance["status"] = status;
  if (!about.subject.is_null()) guidance["subject"] = about.subject;
  if (!about.encounter.is_null()) guidance["encounter"] = about.encounter;
  guidance["occurrenceDateTime"] = decided_at(decision);
  Json reasons = Json::array();
  for (const auto& flag : decision.red_flags()) {
    reasons.push_back({{"coding", Json::array({{{"system", names.red_flag_system()}, {"code", flag.rule()}}})},
                       {"text", flag.reason()}});
  }
  if (!reasons.empty()) guidance["reasonCode"] = std::move(reasons);
  Json entries = Json::array();
  Json result_entries = Json::array();
  if (decision.outcome() == v1::refer) {
    std::string request_url = "urn:uuid:" + new_uuid();
    std::string group_url = "urn:uuid:" + new_uuid();
    Json request = referral_request(decision, about, names);
    Json group = {{"resourceType", "RequestGroup"},
                  {"identifier", Json::array({decision_identifier(decision, names)})},
                  {"status", "draft"},
                  {"intent", "proposal"},
                  {"priority", priority_code(decision.urgency())}};
    if (!about.subject.is_null()) group["subject"] = about.subject;
    if (!about.encounter.is_null()) group["encounter"] = about.encounter;
    group["authoredOn"] = decided_at(decision);
    Json action = {{"title", "Refer"}};
    if (!decision.next_step().action().empty()) action["description"] = decision.next_step().action();
    action["resource"] = {{"reference", request_url}};
    group["action"] = Json::array({std::move(action)});
    guidance["result"] = {{"reference", group_url}};
    result_entries.push_back({{"fullUrl", group_url}, {"resource", std::move(group)}});
    result_entries.push_back({{"fullUrl", request_url}, {"resource", std::move(request)}});
  } else if (decision.outcome() == v1::self_care) {
    std::string plan_url = "urn:uuid:" + new_uuid();
    guidance["result"] = {{"reference", plan_url}};
    result_entries.push_back({{"fullUrl", plan_url}, {"resource", care_plan(decision, about, names)}});
  }
  if (!requirements.empty()) guidance["dataRequirement"] = std::move(requirements);
  entries.push_back({{"fullUrl", "urn:uuid:" + decision.decision_id()}, {"resource", std::move(guidance)}});
  for (auto& entry : result_entries) entries.push_back(std::move(entry));
  if (!response_entry.is_null()) entries.push_back(std::move(response_entry));
  return {{"resourceType", "Bundle"},
          {"identifier", decision_identifier(decision, names)},
          {"type", "collection"},
          {"timestamp", decided_at(decision)},
          {"entry", std::move(entries)}};
}

}  // namespace triage::fhir
