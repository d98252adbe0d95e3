#include "fhir/questionnaire.hpp"

#include <algorithm>
#include <map>

namespace triage::fhir {

std::string label_words(const std::string& id) {
  std::string out = id;
  std::replace(out.begin(), out.end(), '_', ' ');
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

std::vector<FormSection> form_sections(const v1::Questionnaire& questionnaire) {
  std::map<std::string, const v1::Question*> by_fact;
  for (const auto& question : questionnaire.questions()) by_fact[question.fact()] = &question;
  std::vector<FormSection> sections;
  if (questionnaire.sections_size() > 0) {
    for (const auto& section : questionnaire.sections()) {
      FormSection out{section.id(), section.title().empty() ? label_words(section.id()) : section.title(),
                      section.intro(), {}};
      for (const auto& fact : section.facts()) {
        auto found = by_fact.find(fact);
        if (found != by_fact.end()) out.questions.push_back(found->second);
      }
      sections.push_back(std::move(out));
    }
    return sections;
  }
  FormSection flags{"red-flags", "Warning signs", "", {}};
  FormSection rest{"about-your-pain", "About your back pain", "", {}};
  for (const auto& question : questionnaire.questions()) {
    (question.red_flag() ? flags : rest).questions.push_back(&question);
  }
  if (!flags.questions.empty()) sections.push_back(std::move(flags));
  if (!rest.questions.empty()) sections.push_back(std::move(rest));
  return sections;
}

namespace {

std::string value_label(const v1::Question& question, const std::string& value) {
  for (const auto& label : question.labels()) {
    if (label.value() == value && !label.label().empty()) return label.label();
  }
  return label_words(value);
}

Json answer_option(const std::string& system, const std::string& code, const std::string& display) {
  return {{"valueCoding", {{"system", system}, {"code", code}, {"display", display}}}};
}

}  // namespace

Json question_item(const v1::Question& question, const FhirNames& names) {
  Json item = {{"linkId", question.fact()}};
  Json extensions = Json::array();
  item["text"] = question.text().empty() ? label_words(question.fact()) : question.text();
  const std::string& type = question.type();
  if (type == "bool") {
    item["type"] = "boolean";
  } else if (type == "int") {
    item["type"] = "integer";
    if (question.has_min()) extensions.push_back({{"url", ext::min_value}, {"valueInteger", question.min()}});
    if (question.has_max()) extensions.push_back({{"url", ext::max_value}, {"valueInteger", question.max()}});
  } else {
    item["type"] = "choice";
    const std::string system = names.fact_system(question.fact());
    Json options = Json::array();
    for (const auto& value : question.values()) options.push_back(answer_option(system, value, value_label(question, value)));
    if (type == "set") {
      item["repeats"] = true;
      bool needs_one = question.has_min() && question.min() >= 1;
      bool has_none_value = std::find(question.values().begin(), question.values().end(), none_code) != question.values().end();
      if (needs_one) extensions.push_back({{"url", ext::min_occurs}, {"valueInteger", question.min()}});
      if (question.has_max()) extensions.push_back({{"url", ext::max_occurs}, {"valueInteger", question.max()}});
      if (!needs_one && !has_none_value) {
        Json none = answer_option(system, none_code, "None of these");
        none["extension"] = Json::array({{{"url", ext::option_exclusive}, {"valueBoolean", true}}});
        options.push_back(std::move(none));
      }
    }
    item["answerOption"] = std::move(options);
  }
  if (!extensions.empty()) {
    // Extensions first, as FHIR lists elements.
    Json ordered = {{"extension", std::move(extensions)}};
    for (auto& [key, value] : item.items()) ordered[key] = value;
    item = std::move(ordered);
  }
  if (!question.help().empty()) {
    Json help = {{"extension",
                  Json::array({{{"url", ext::item_control},
                                {"valueCodeableConcept",
                                 {{"coding", Json::array({{{"system", ext::item_control_system}, {"code", "help"}}})}}}}})},
                 {"linkId", question.fact() + ".help"},
                 {"text", question.help()},
                 {"type", "display"}};
    item["item"] = Json::array({std::move(help)});
  }
  return item;
}

Json to_fhir_questionnaire(const v1::Questionnaire& questionnaire, const FhirNames& names) {
  Json out = {{"resourceType", "Questionnaire"},
              {"id", questionnaire_id},
              {"meta", {{"profile", Json::array({ext::sdc_adapt_profile})}}},
              {"extension", Json::array({{{"url", ext::sdc_adaptive}, {"valueBoolean", true}}})},
              {"url", names.questionnaire_url()},
              {"version", questionnaire.ruleset_hash()},
              {"name", "BackPainTriage"},
              {"title", "Back pain triage"},
              {"status", "active"},
              {"subjectType", Json::array({"Patient"})},
              {"description",
               "Questions for back-pain triage. Warning-sign questions come first, most urgent first. Use "
               "$next-question to be asked only what the decision still needs."}};
  Json items = Json::array();
  for (const auto& section : form_sections(questionnaire)) {
    Json group = {{"linkId", section.id}, {"text", section.title}, {"type", "group"}};
    Json children = Json::array();
    if (!section.intro.empty()) {
      children.push_back({{"linkId", section.id + ".intro"}, {"text", section.intro}, {"type", "display"}});
    }
    for (const v1::Question* question : section.questions) children.push_back(question_item(*question, names));
    group["item"] = std::move(children);
    items.push_back(std::move(group));
  }
  out["item"] = std::move(items);
  return out;
}

}  // namespace triage::fhir
