#include "fhir/fhir_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "ruleset/loader.hpp"
#include "support.hpp"

namespace triage::test {

std::shared_ptr<const CompiledRuleset> shipped_shared() {
  static std::shared_ptr<const CompiledRuleset> ruleset = load_ruleset(source_path("rules")).ruleset;
  REQUIRE(ruleset != nullptr);
  return ruleset;
}

FhirFixture::FhirFixture() : ruleset(shipped_shared()) {
  service.base_url = "https://triage.test";
  service.ruleset = [this] { return ruleset; };
  service.decide = [this](const CompiledRuleset& rules, const v1::EvaluateRequest& request, const std::string&,
                          std::function<void(fhir::Decided)> done) {
    fhir::Decided decided = fhir::decide_locally(rules, request);
    {
      std::lock_guard lock(mutex);
      if (decided.ok) decisions.push_back(decided.decision);
    }
    done(std::move(decided));
  };
  service.record_feedback = [this](std::vector<fhir::FeedbackRecord> records, FeedbackDone done) {
    {
      std::lock_guard lock(mutex);
      for (auto& record : records) feedback.push_back(std::move(record));
    }
    done({});
  };
  service.loaded_at = "2026-11-30T12:00:00Z";
}

fhir::HttpResult FhirFixture::call(const std::string& method, const std::string& target, const Json& body,
                                   const fhir::Headers& headers) {
  std::string text = body.is_null() ? "" : body.dump();
  return fhir::handle_fhir(method, target, headers, text, service);
}

namespace {

Json answers_for(const Json& item, const RawAnswer& raw) {
  Json answers = Json::array();
  auto coding = [&](const std::string& code) {
    for (const auto& option : item["answerOption"]) {
      if (option["valueCoding"]["code"] == code) return Json{{"valueCoding", option["valueCoding"]}};
    }
    FAIL("no option " << code << " for " << raw.fact);
    return Json();
  };
  switch (raw.kind) {
    case RawAnswer::Kind::boolean: answers.push_back({{"valueBoolean", raw.boolean}}); break;
    case RawAnswer::Kind::number: answers.push_back({{"valueInteger", static_cast<std::int64_t>(raw.number)}}); break;
    case RawAnswer::Kind::text: answers.push_back(coding(raw.text)); break;
    case RawAnswer::Kind::list:
      if (raw.list.empty()) answers.push_back(coding(fhir::none_code));
      for (const auto& value : raw.list) answers.push_back(coding(value));
      break;
  }
  return answers;
}

Json fill_items(const Json& items, const std::map<std::string, RawAnswer>& by_fact) {
  Json out = Json::array();
  for (const auto& item : items) {
    if (item["type"] == "display") continue;
    if (item["type"] == "group") {
      Json children = fill_items(item["item"], by_fact);
      if (!children.empty()) out.push_back({{"linkId", item["linkId"]}, {"text", item["text"]}, {"item", children}});
      continue;
    }
    auto found = by_fact.find(item["linkId"].get<std::string>());
    if (found == by_fact.end()) continue;
    out.push_back({{"linkId", item["linkId"]}, {"text", item["text"]}, {"answer", answers_for(item, found->second)}});
  }
  return out;
}

}  // namespace

Json response_from_intake(const Json& questionnaire, const std::vector<RawAnswer>& raw) {
  std::map<std::string, RawAnswer> by_fact;
  for (const auto& answer : raw) by_fact[answer.fact] = answer;
  Json response = {{"resourceType", "QuestionnaireResponse"},
                   {"id", "qr-1"},
                   {"questionnaire", questionnaire["url"].get<std::string>() + "|" + questionnaire["version"].get<std::string>()},
                   {"status", "completed"},
                   {"subject", {{"reference", "Patient/p1"}}},
                   {"authored", "2026-11-30T10:00:00Z"}};
  Json items = fill_items(questionnaire["item"], by_fact);
  if (!items.empty()) response["item"] = items;
  return response;
}

std::vector<RawAnswer> example_answers(const std::string& file) {
  std::vector<RawAnswer> raw;
  std::string error;
  INFO(file);
  REQUIRE(parse_intake_json(read_file(source_path("rules/examples/" + file)), raw, error));
  return raw;
}

std::vector<std::string> example_files() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(source_path("rules/examples"))) {
    if (entry.path().extension() == ".json") files.push_back(entry.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

void emit(const std::string& name, const Json& resource) {
  const char* folder = std::getenv("TRIAGE_FHIR_OUT");
  if (folder == nullptr || *folder == '\0') return;
  std::filesystem::create_directories(folder);
  std::ofstream out(std::string(folder) + "/" + name + ".json");
  out << resource.dump(2) << "\n";
  REQUIRE(out.good());
}

}  // namespace triage::test
