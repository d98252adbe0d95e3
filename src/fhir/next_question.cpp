#include "fhir/next_question.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "fhir/questionnaire.hpp"

namespace triage::fhir {
namespace {

constexpr const char* contained_id = "adaptive";

// linkIds of question items in `items`, depth first, in order.
void collect_links(const Json& items, std::vector<std::string>& out) {
  if (!items.is_array()) return;
  for (const auto& item : items) {
    if (!item.is_object()) continue;
    if (item.contains("linkId") && item["linkId"].is_string()) out.push_back(item["linkId"].get<std::string>());
    if (item.contains("item")) collect_links(item["item"], out);
  }
}

}  // namespace

Json next_question(const Json& response, const v1::Questionnaire& questionnaire, const v1::Decision& decision,
                   const FhirNames& names) {
  std::map<std::string, const v1::Question*> by_fact;
  for (const auto& q : questionnaire.questions()) by_fact[q.fact()] = &q;

  // What was asked so far: the items of the old contained Questionnaire, then any answered item.
  std::vector<std::string> links;
  if (response.contains("contained") && response["contained"].is_array()) {
    for (const auto& resource : response["contained"]) {
      if (resource.is_object() && string_member(resource, "resourceType") == "Questionnaire" && resource.contains("item")) {
        collect_links(resource["item"], links);
      }
    }
  }
  if (response.contains("item")) collect_links(response["item"], links);
  std::vector<std::string> asked;
  std::set<std::string> seen;
  for (const auto& link : links) {
    if (by_fact.count(link) > 0 && seen.insert(link).second) asked.push_back(link);
  }

  std::vector<std::string> added;
  bool waiting = false;
  if (decision.outcome() == v1::incomplete) {
    for (const auto& fact : decision.missing()) {
      if (seen.count(fact) == 0 && by_fact.count(fact) > 0) added.push_back(fact);
    }
    waiting = true;  // a missing question, new or shown before, still needs an answer
  } else if (decision.outcome() == v1::self_care) {
    for (const auto& fact : decision.refine()) {
      if (seen.count(fact) == 0 && by_fact.count(fact) > 0) added.push_back(fact);
    }
    waiting = !added.empty();
  }

  Json adaptive = {{"resourceType", "Questionnaire"},
                   {"id", contained_id},
                   {"meta", {{"profile", Json::array({ext::sdc_adapt_profile})}}},
                   {"extension", Json::array({{{"url", ext::sdc_adaptive}, {"valueBoolean", true}}})},
                   {"derivedFrom", Json::array({names.questionnaire_url() + "|" + questionnaire.ruleset_hash()})},
                   {"status", "active"},
                   {"subjectType", Json::array({"Patient"})}};
  Json items = Json::array();
  for (const auto& fact : asked) items.push_back(question_item(*by_fact[fact], names));
  for (const auto& fact : added) items.push_back(question_item(*by_fact[fact], names));
  if (!items.empty()) adaptive["item"] = std::move(items);

  Json out = {{"resourceType", "QuestionnaireResponse"}};
  if (response.contains("id")) out["id"] = response["id"];
  Json meta = response.contains("meta") && response["meta"].is_object() ? response["meta"] : Json::object();
  Json profiles = meta.contains("profile") && meta["profile"].is_array() ? meta["profile"] : Json::array();
  if (std::find(profiles.begin(), profiles.end(), Json(ext::sdc_qr_adapt_profile)) == profiles.end()) {
    profiles.push_back(ext::sdc_qr_adapt_profile);
  }
  meta["profile"] = std::move(profiles);
  out["meta"] = std::move(meta);
  Json contained = Json::array({std::move(adaptive)});
  if (response.contains("contained") && response["contained"].is_array()) {
    for (const auto& resource : response["contained"]) {
      bool old_form = resource.is_object() && string_member(resource, "resourceType") == "Questionnaire";
      if (!old_form) contained.push_back(resource);
    }
  }
  out["contained"] = std::move(contained);
  Json extensions = Json::array();
  if (response.contains("extension") && response["extension"].is_array()) {
    for (const auto& e : response["extension"]) {
      if (!(e.is_object() && string_member(e, "url") == names.canonical + "/StructureDefinition/decision-id")) extensions.push_back(e);
    }
  }
  extensions.push_back({{"url", names.canonical + "/StructureDefinition/decision-id"},
                        {"valueIdentifier", {{"system", names.decision_system()}, {"value", decision.decision_id()}}}});
  out["extension"] = std::move(extensions);
  // Everything else the client sent stays as it was.
  for (const auto& [key, value] : response.items()) {
    if (key == "resourceType" || key == "id" || key == "meta" || key == "contained" || key == "extension" ||
        key == "questionnaire" || key == "status" || key == "item") {
      continue;
    }
    out[key] = value;
  }
  out["questionnaire"] = std::string("#") + contained_id;
  out["status"] = waiting ? "in-progress" : "completed";
  if (response.contains("item")) out["item"] = response["item"];
  return out;
}

}  // namespace triage::fhir
