// FHIR R4 layer: the Questionnaire, reading QuestionnaireResponses (with FHIRPaths for bad input),
// $evaluate Bundles (round trip against `triage eval`), $next-question, metadata and routing.
#include <catch2/catch.hpp>

#include <google/protobuf/util/message_differencer.h>

#include <array>
#include <cstdio>
#include <map>
#include <set>

#include "api/decision_json.hpp"
#include "api/decision_proto.hpp"
#include "fhir/fhir_support.hpp"
#include "fhir/questionnaire.hpp"
#include "fhir/response.hpp"
#include "support.hpp"

namespace triage::test {
namespace {

Json body_of(const fhir::HttpResult& result) {
  INFO(result.body);
  Json body = Json::parse(result.body, nullptr, false);
  REQUIRE(!body.is_discarded());
  return body;
}

// Question items of a Questionnaire by linkId (any depth).
void index_items(const Json& items, std::map<std::string, Json>& out) {
  for (const auto& item : items) {
    out[item["linkId"].get<std::string>()] = item;
    if (item.contains("item")) index_items(item["item"], out);
  }
}

Json served_questionnaire(FhirFixture& fixture) {
  auto result = fixture.call("GET", "/fhir/Questionnaire/back-pain-triage");
  REQUIRE(result.status == 200);
  REQUIRE(result.content_type == "application/fhir+json");
  return body_of(result);
}

std::vector<std::string> expressions(const Json& outcome) {
  std::vector<std::string> out;
  for (const auto& issue : outcome["issue"]) {
    if (issue.contains("expression")) out.push_back(issue["expression"][0].get<std::string>());
  }
  return out;
}

v1::Decision without_ids(v1::Decision decision) {
  decision.clear_decision_id();
  decision.clear_decided_at();
  decision.clear_request_id();
  return decision;
}

std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buffer;
  std::size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.append(buffer.data(), n);
  pclose(pipe);
  return out;
}

}  // namespace

TEST_CASE("the served Questionnaire maps every question type", "[fhir]") {
  FhirFixture fixture;
  Json questionnaire = served_questionnaire(fixture);
  emit("Questionnaire-back-pain-triage", questionnaire);
  CHECK(questionnaire["resourceType"] == "Questionnaire");
  CHECK(questionnaire["id"] == "back-pain-triage");
  CHECK(questionnaire["version"] == fixture.ruleset->model->hash);
  CHECK(questionnaire["status"] == "active");
  CHECK(questionnaire["extension"][0]["url"] == fhir::ext::sdc_adaptive);
  CHECK(questionnaire["meta"]["profile"][0] == fhir::ext::sdc_adapt_profile);

  std::map<std::string, Json> items;
  index_items(questionnaire["item"], items);
  v1::Questionnaire served = to_questionnaire(*fixture.ruleset);
  std::set<std::string> types_seen;
  for (const auto& question : served.questions()) {
    INFO(question.fact());
    REQUIRE(items.count(question.fact()) == 1);
    const Json& item = items[question.fact()];
    types_seen.insert(question.type());
    if (question.type() == "bool") CHECK(item["type"] == "boolean");
    if (question.type() == "int") {
      CHECK(item["type"] == "integer");
      CHECK(item["extension"][0]["url"] == fhir::ext::min_value);
      CHECK(item["extension"][0]["valueInteger"] == question.min());
      CHECK(item["extension"][1]["url"] == fhir::ext::max_value);
      CHECK(item["extension"][1]["valueInteger"] == question.max());
    }
    if (question.type() == "enum" || question.type() == "set") {
      CHECK(item["type"] == "choice");
      std::vector<std::string> codes;
      for (const auto& option : item["answerOption"]) {
        CHECK(option["valueCoding"]["system"] == fixture.service.names.fact_system(question.fact()));
        codes.push_back(option["valueCoding"]["code"].get<std::string>());
      }
      std::vector<std::string> expected(question.values().begin(), question.values().end());
      for (const auto& label : question.labels()) {
        for (const auto& option : item["answerOption"]) {
          if (option["valueCoding"]["code"] == label.value()) CHECK(option["valueCoding"]["display"] == label.label());
        }
      }
      if (question.type() == "set") {
        CHECK(item["repeats"] == true);
        if (!(question.has_min() && question.min() >= 1)) {
          expected.push_back("none");
          const Json& none = item["answerOption"].back();
          CHECK(none["extension"][0]["url"] == fhir::ext::option_exclusive);
          CHECK(none["extension"][0]["valueBoolean"] == true);
        }
      } else {
        CHECK_FALSE(item.contains("repeats"));
      }
      CHECK(codes == expected);
    }
  }
  CHECK(types_seen == std::set<std::string>{"bool", "int", "enum", "set"});
  // One group per served section, in order (without sections: "red-flags" first).
  if (served.sections_size() > 0) {
    REQUIRE(questionnaire["item"].size() == static_cast<std::size_t>(served.sections_size()));
    for (int i = 0; i < served.sections_size(); ++i) {
      CHECK(questionnaire["item"][i]["linkId"] == served.sections(i).id());
      CHECK(questionnaire["item"][i]["type"] == "group");
    }
  } else {
    CHECK(questionnaire["item"][0]["linkId"] == "red-flags");
  }
  for (const auto& question : served.questions()) {
    if (!question.help().empty()) CHECK(items.count(question.fact() + ".help") == 1);
  }
}

TEST_CASE("sections, value labels and help texts are used when the questionnaire has them", "[fhir]") {
  v1::Questionnaire served;
  served.set_ruleset_hash("sha256:abc");
  auto* pain = served.add_questions();
  pain->set_fact("pain_areas");
  pain->set_text("Where is the pain?");
  pain->set_type("set");
  pain->add_values("lower_back");
  pain->add_values("buttock");
  auto* label = pain->add_labels();
  label->set_value("lower_back");
  label->set_label("Low in the back");
  pain->set_help("Choose every place that hurts.");
  pain->set_min(1);
  auto* fever = served.add_questions();
  fever->set_fact("fever");
  fever->set_type("bool");
  auto* section = served.add_sections();
  section->set_id("about_your_pain");
  section->set_title("About your pain");
  section->set_intro("A few questions about where it hurts.");
  section->add_facts("pain_areas");
  section->add_facts("fever");

  Json out = fhir::to_fhir_questionnaire(served, fhir::FhirNames{});
  emit("Questionnaire-sections", out);
  REQUIRE(out["item"].size() == 1);
  const Json& group = out["item"][0];
  CHECK(group["linkId"] == "about_your_pain");
  CHECK(group["text"] == "About your pain");
  CHECK(group["item"][0]["type"] == "display");
  CHECK(group["item"][0]["text"] == "A few questions about where it hurts.");
  const Json& item = group["item"][1];
  CHECK(item["answerOption"][0]["valueCoding"]["display"] == "Low in the back");
  CHECK(item["answerOption"][1]["valueCoding"]["display"] == "Buttock");  // fallback: the value in words
  CHECK(item["answerOption"].size() == 2);  // min 1: no "none of these"
  CHECK(item["extension"][0]["url"] == fhir::ext::min_occurs);
  CHECK(item["item"][0]["linkId"] == "pain_areas.help");
  CHECK(item["item"][0]["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "help");
  CHECK(group["item"][2]["text"] == "Fever");  // no text: the fact id in words
}

TEST_CASE("an unanswered repeating item is never read as none", "[fhir]") {
  FhirFixture fixture;
  v1::Questionnaire served = to_questionnaire(*fixture.ruleset);
  fhir::FhirNames names;
  Json response = {{"resourceType", "QuestionnaireResponse"},
                   {"status", "in-progress"},
                   {"item", Json::array({{{"linkId", "pain_areas"}},
                                         {{"linkId", "equipment"}, {"answer", Json::array()}}})}};
  auto read = fhir::read_response(response, served, names);
  CHECK(read.issues.empty());
  CHECK(read.raw.empty());
  CHECK(read.present == std::vector<std::string>{"pain_areas", "equipment"});

  response["item"][1]["answer"] = Json::array({{{"valueCoding", {{"system", names.fact_system("equipment")}, {"code", "none"}}}}});
  read = fhir::read_response(response, served, names);
  REQUIRE(read.issues.empty());
  REQUIRE(read.raw.size() == 1);
  CHECK(read.raw[0].fact == "equipment");
  CHECK(read.raw[0].kind == RawAnswer::Kind::list);
  CHECK(read.raw[0].list.empty());
}

TEST_CASE("bad QuestionnaireResponses get an OperationOutcome naming each offending item", "[fhir]") {
  FhirFixture fixture;
  struct Case {
    const char* name;
    Json body;
    std::vector<std::string> paths;
  };
  auto qr = [](Json items) {
    return Json{{"resourceType", "QuestionnaireResponse"}, {"status", "completed"}, {"item", std::move(items)}};
  };
  std::vector<Case> cases = {
      {"wrong types, unknown question, none with others, unknown code",
       qr(Json::array({{{"linkId", "saddle_numbness"}, {"answer", Json::array({{{"valueString", "yes"}}})}},
                       {{"linkId", "no_such_question"}, {"answer", Json::array({{{"valueBoolean", true}}})}},
                       {{"linkId", "pain_areas"},
                        {"answer", Json::array({{{"valueCoding", {{"code", "none"}}}}, {{"valueCoding", {{"code", "lower_back"}}}}})}},
                       {{"linkId", "onset"}, {"answer", Json::array({{{"valueCoding", {{"code", "yesterday"}}}}})}},
                       {{"linkId", "pain_intensity"}, {"answer", Json::array({{{"valueDecimal", 4.5}}})}}})),
       {"QuestionnaireResponse.item[0].answer[0]", "QuestionnaireResponse.item[1].linkId",
        "QuestionnaireResponse.item[2].answer", "QuestionnaireResponse.item[3].answer[0].valueCoding.code",
        "QuestionnaireResponse.item[4].answer[0]"}},
      {"out of range: the engine's own words",
       qr(Json::array({{{"linkId", "red-flags"},
                        {"item", Json::array({{{"linkId", "pain_intensity"}, {"answer", Json::array({{{"valueInteger", 11}}})}}})}}})),
       {"QuestionnaireResponse.item[0].item[0].answer"}},
      {"two answers to a single question, a question twice, a foreign code system",
       qr(Json::array({{{"linkId", "fever_or_chills"}, {"answer", Json::array({{{"valueBoolean", true}}, {{"valueBoolean", false}}})}},
                       {{"linkId", "night_pain"}, {"answer", Json::array({{{"valueBoolean", true}}})}},
                       {{"linkId", "night_pain"}, {"answer", Json::array({{{"valueBoolean", true}}})}},
                       {{"linkId", "onset"},
                        {"answer", Json::array({{{"valueCoding", {{"system", "http://snomed.info/sct"}, {"code", "gradual"}}}}})}}})),
       {"QuestionnaireResponse.item[0].answer", "QuestionnaireResponse.item[2]",
        "QuestionnaireResponse.item[3].answer[0].valueCoding.system"}},
      {"no status, another questionnaire",
       Json{{"resourceType", "QuestionnaireResponse"}, {"questionnaire", "http://example.org/Questionnaire/phq-9"}},
       {"QuestionnaireResponse.status", "QuestionnaireResponse.questionnaire"}},
      {"a member of the wrong JSON type", qr(Json::array({{{"linkId", 7}}})), {"QuestionnaireResponse.item[0].linkId"}},
      {"an integer past int64",
       qr(Json::array({{{"linkId", "pain_intensity"}, {"answer", Json::array({{{"valueInteger", 18446744073709551615ULL}}})}}})),
       {"QuestionnaireResponse.item[0].answer[0]"}},
      {"not a QuestionnaireResponse", Json{{"resourceType", "Patient"}}, {"Patient.resourceType"}},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto result = fixture.call("POST", "/fhir/QuestionnaireResponse/$evaluate", c.body);
    CHECK(result.status == 400);
    Json outcome = body_of(result);
    INFO(outcome.dump(2));
    CHECK(outcome["resourceType"] == "OperationOutcome");
    CHECK(expressions(outcome) == c.paths);
    emit(std::string("OperationOutcome-") + std::to_string(&c - cases.data()), outcome);
  }
  // The same words as `triage eval` for an answer out of range.
  auto result = fixture.call("POST", "/fhir/QuestionnaireResponse/$evaluate", cases[1].body);
  CHECK_THAT(result.body, Catch::Contains("expects a whole number from 0 to 10, got 11"));
  CHECK(fixture.decisions.empty());  // nothing bad reaches the engine

  auto not_json = fixture.service;
  auto raw = fhir::handle_fhir("POST", "/fhir/QuestionnaireResponse/$evaluate", {}, "{\"resourceType\":", not_json);
  CHECK(raw.status == 400);
  CHECK_THAT(raw.body, Catch::Contains("not JSON"));
  std::string deep(200, '[');
  raw = fhir::handle_fhir("POST", "/fhir/QuestionnaireResponse/$evaluate", {}, deep, not_json);
  CHECK(raw.status == 400);
  raw = fhir::handle_fhir("POST", "/fhir/QuestionnaireResponse/$evaluate", {{"Content-Type", "text/plain"}}, "{}", not_json);
  CHECK(raw.status == 415);
}

TEST_CASE("members of an unexpected JSON type are issues with a FHIRPath or ignored, never malformed input", "[fhir]") {
  // Found by fuzz_fhir: Json::value(key, "") throws on a member of another type, so these became
  // "malformed input" with no FHIRPath, and for $next-question only after the decision was made.
  FhirFixture fixture;
  Json response = {{"resourceType", "QuestionnaireResponse"},
                   {"status", "in-progress"},
                   {"contained", Json::array({{{"resourceType", 1}}, {{"resourceType", "Questionnaire"}, {"item", 2}}})},
                   {"extension", Json::array({{{"url", 5}}})},
                   {"item", Json::array({{{"linkId", "pain_intensity"}, {"answer", Json::array({{{"valueInteger", 4}}})}}})}};
  auto next = fixture.call("POST", "/fhir/Questionnaire/$next-question", response);
  REQUIRE(next.status == 200);
  Json body = body_of(next);
  CHECK(body["resourceType"] == "QuestionnaireResponse");
  CHECK(body["contained"].size() == 2);  // the new form and the foreign entry, kept as sent
  CHECK(body["contained"][1]["resourceType"] == 1);
  CHECK(body["extension"].size() == 2);  // the client's extension and the decision id
  CHECK(fixture.decisions.size() == 1);

  struct Case {
    const char* name;
    Json body;
    std::vector<std::string> paths;
  };
  const std::vector<Case> cases = {
      {"a Parameters resource whose resourceType is a number",
       {{"resourceType", "Parameters"}, {"parameter", Json::array({{{"name", "in"}, {"resource", {{"resourceType", 7}}}}})}},
       {"Parameters.parameter"}},
      {"a Parameters resource whose resource is a string",
       {{"resourceType", "Parameters"}, {"parameter", Json::array({{{"name", "in"}, {"resource", "x"}}})}},
       {"Parameters.parameter"}},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    for (const char* target : {"/fhir/QuestionnaireResponse/$evaluate", "/fhir/Questionnaire/$next-question"}) {
      auto result = fixture.call("POST", target, c.body);
      CHECK(result.status == 400);
      CHECK(expressions(body_of(result)) == c.paths);
      CHECK_THAT(result.body, !Catch::Contains("malformed input"));
    }
  }
  CHECK(fixture.decisions.size() == 1);
}

TEST_CASE("round trip: Questionnaire -> response from each example intake -> $evaluate decides as triage eval", "[fhir]") {
  FhirFixture fixture;
  Json questionnaire = served_questionnaire(fixture);
  for (const auto& file : example_files()) {
    INFO(file);
    std::vector<RawAnswer> raw = example_answers(file);
    Json response = response_from_intake(questionnaire, raw);
    emit("QuestionnaireResponse-" + file.substr(0, file.size() - 5), response);
    auto result = fixture.call("POST", "/fhir/QuestionnaireResponse/$evaluate", response,
                               {{"Content-Type", "application/fhir+json"}});
    REQUIRE(result.status == 200);
    Json bundle = body_of(result);
    emit("Bundle-" + file.substr(0, file.size() - 5), bundle);
    REQUIRE(!fixture.decisions.empty());
    const v1::Decision decision = fixture.decisions.back();

    // The library decides the intake file the same way...
    v1::Decision direct = decide(*fixture.ruleset, read_file(source_path("rules/examples/" + file)));
    std::string difference;
    google::protobuf::util::MessageDifferencer differencer;
    differencer.ReportDifferencesToString(&difference);
    bool same = differencer.Compare(without_ids(direct), without_ids(decision));
    INFO(difference);
    CHECK(same);
    // ...and so does the built binary.
    Json eval = Json::parse(run(std::string(TRIAGE_BINARY) + " eval --rules " + source_path("rules") + " --intake " +
                                source_path("rules/examples/" + file)));
    Json ours = Json::parse(decision_to_json(decision));
    for (auto* json : {&eval, &ours}) {
      json->erase("decision_id");
      json->erase("decided_at");
      json->erase("request_id");
    }
    CHECK(eval == ours);

    // The Bundle carries it.
    CHECK(bundle["type"] == "collection");
    const Json& guidance = bundle["entry"][0]["resource"];
    CHECK(guidance["resourceType"] == "GuidanceResponse");
    CHECK(guidance["identifier"][0]["value"] == decision.decision_id());
    CHECK(guidance["requestIdentifier"]["value"] == "qr-1");
    CHECK(guidance["moduleUri"] == fixture.service.names.module_uri(fixture.ruleset->model->hash));
    CHECK(guidance["subject"]["reference"] == "Patient/p1");
    switch (decision.outcome()) {
      case v1::refer: {
        CHECK(guidance["status"] == "success");
        REQUIRE(bundle["entry"].size() == 4);
        const Json& group = bundle["entry"][1]["resource"];
        const Json& request = bundle["entry"][2]["resource"];
        CHECK(guidance["result"]["reference"] == bundle["entry"][1]["fullUrl"]);
        CHECK(group["action"][0]["resource"]["reference"] == bundle["entry"][2]["fullUrl"]);
        CHECK(request["resourceType"] == "ServiceRequest");
        CHECK(request["intent"] == "proposal");
        const char* priority = decision.urgency() == v1::emergency ? "stat" : decision.urgency() == v1::urgent ? "urgent" : "routine";
        CHECK(request["priority"] == priority);
        REQUIRE(request["reasonCode"].size() == static_cast<std::size_t>(decision.red_flags_size()));
        for (int i = 0; i < decision.red_flags_size(); ++i) {
          CHECK(request["reasonCode"][i]["coding"][0]["code"] == decision.red_flags(i).rule());
        }
        // The response it was made from is in the Bundle, where supportingInfo points.
        CHECK(request["supportingInfo"][0]["reference"] == bundle["entry"][3]["fullUrl"]);
        CHECK(bundle["entry"][3]["resource"]["resourceType"] == "QuestionnaireResponse");
        CHECK(bundle["entry"][3]["resource"]["id"] == "qr-1");
        break;
      }
      case v1::self_care: {
        CHECK(guidance["status"] == (decision.refine_size() > 0 ? "data-requested" : "success"));
        REQUIRE(bundle["entry"].size() == 3);
        const Json& plan = bundle["entry"][1]["resource"];
        CHECK(plan["supportingInfo"][0]["reference"] == bundle["entry"][2]["fullUrl"]);
        CHECK(bundle["entry"][2]["resource"]["id"] == "qr-1");
        CHECK(plan["resourceType"] == "CarePlan");
        REQUIRE(plan["activity"].size() == static_cast<std::size_t>(decision.plan_size() + decision.excluded_size()));
        for (int i = 0; i < decision.plan_size(); ++i) {
          const Json& detail = plan["activity"][i]["detail"];
          CHECK(detail["code"]["coding"][0]["code"] == decision.plan(i).technique());
          CHECK(detail["doNotPerform"] == false);
          CHECK(detail["scheduledString"] == decision.plan(i).dose());
          CHECK(detail["reasonCode"].size() == static_cast<std::size_t>(decision.plan(i).why_size()));
        }
        for (int i = 0; i < decision.excluded_size(); ++i) {
          const Json& detail = plan["activity"][decision.plan_size() + i]["detail"];
          CHECK(detail["code"]["coding"][0]["code"] == decision.excluded(i).technique());
          CHECK(detail["doNotPerform"] == true);
          CHECK(detail["reasonCode"].size() == static_cast<std::size_t>(decision.excluded(i).reasons_size()));
        }
        CHECK(plan["note"].size() >= static_cast<std::size_t>(decision.cautions_size()));
        break;
      }
      default: {
        CHECK(guidance["status"] == "data-required");
        CHECK(bundle["entry"].size() == 1);
        REQUIRE(guidance["dataRequirement"].size() == static_cast<std::size_t>(decision.missing_size()));
        for (int i = 0; i < decision.missing_size(); ++i) {
          CHECK(guidance["dataRequirement"][i]["codeFilter"][0]["code"][0]["code"] == decision.missing(i));
        }
      }
    }
  }
}

TEST_CASE("$next-question asks the missing, then the refine questions until the decision is made", "[fhir]") {
  FhirFixture fixture;
  for (const auto& file : example_files()) {
    INFO(file);
    std::map<std::string, RawAnswer> intake;
    for (const auto& answer : example_answers(file)) intake[answer.fact] = answer;
    v1::Decision full = decide(*fixture.ruleset, read_file(source_path("rules/examples/" + file)));
    Json response = {{"resourceType", "QuestionnaireResponse"},
                     {"questionnaire", fixture.service.names.questionnaire_url()},
                     {"status", "in-progress"}};
    Json questionnaire = {{"url", fixture.service.names.questionnaire_url()}, {"version", "x"}, {"item", Json::array()}};
    std::size_t asked = 0;
    int rounds = 0;
    for (; rounds < 10; ++rounds) {
      auto result = fixture.call("POST", "/fhir/Questionnaire/$next-question",
                                 Json{{"resourceType", "Parameters"},
                                      {"parameter", Json::array({{{"name", "in"}, {"resource", response}}})}});
      REQUIRE(result.status == 200);
      Json next = body_of(result);
      if (rounds == 0) emit("QuestionnaireResponse-next-" + file.substr(0, file.size() - 5), next);
      CHECK(next["questionnaire"] == "#adaptive");
      CHECK(next["contained"][0]["resourceType"] == "Questionnaire");
      CHECK(next["extension"].back()["valueIdentifier"]["value"] == fixture.decisions.back().decision_id());
      if (next["status"] == "completed") {
        response = next;
        break;
      }
      const Json& form = next["contained"][0];
      std::size_t now_asked = form.contains("item") ? form["item"].size() : 0;
      if (now_asked == asked) {
        response = next;
        break;  // nothing new: a missing question the intake cannot answer
      }
      // Answer the new questions from the intake (the ones it has).
      std::vector<RawAnswer> raw;
      for (const auto& item : form["item"]) {
        auto found = intake.find(item["linkId"].get<std::string>());
        if (found != intake.end()) raw.push_back(found->second);
      }
      questionnaire["item"] = form["item"];
      Json filled = response_from_intake(questionnaire, raw);
      next["item"] = filled.contains("item") ? filled["item"] : Json::array();
      if (next["item"].empty()) next.erase("item");
      response = next;
      asked = now_asked;
    }
    REQUIRE(rounds < 10);
    // Asking missing, then refine, reaches the decision the full intake gives.
    const v1::Decision& last = fixture.decisions.back();
    std::string difference;
    google::protobuf::util::MessageDifferencer differencer;
    differencer.ReportDifferencesToString(&difference);
    bool same = differencer.Compare(without_ids(full), without_ids(last));
    INFO(difference);
    CHECK(same);
    CHECK(response["status"] == (full.outcome() == v1::incomplete ? "in-progress" : "completed"));
    if (full.refine_size() > 0 || full.outcome() == v1::self_care) CHECK(rounds >= 2);
  }
}

TEST_CASE("handle_fhir_async replies once, when the decision comes back", "[fhir]") {
  FhirFixture fixture;
  // A decider that finishes later (as the audit log's completion thread does).
  std::vector<std::function<void()>> pending;
  fixture.service.decide = [&](const CompiledRuleset& rules, const v1::EvaluateRequest& request, const std::string& client,
                               std::function<void(fhir::Decided)> done) {
    CHECK(client == "fhir");
    pending.push_back([decided = fhir::decide_locally(rules, request), done]() { done(decided); });
  };
  Json questionnaire = served_questionnaire(fixture);
  std::string body = response_from_intake(questionnaire, example_answers("urgent_fever_night_pain.json")).dump();
  std::vector<fhir::HttpResult> replies;
  fhir::handle_fhir_async("POST", "/fhir/QuestionnaireResponse/$evaluate", {}, body, fixture.service,
                          [&](fhir::HttpResult result) { replies.push_back(std::move(result)); });
  CHECK(replies.empty());
  REQUIRE(pending.size() == 1);
  body.clear();  // the request's buffer may be gone by then
  pending[0]();
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].status == 200);
  CHECK(body_of(replies[0])["entry"][2]["resource"]["priority"] == "urgent");
  // Audit failure: 503 with an OperationOutcome.
  fixture.service.decide = [](const CompiledRuleset&, const v1::EvaluateRequest&, const std::string&,
                              std::function<void(fhir::Decided)> done) {
    done({false, 503, "the audit log is not writable", {}});
  };
  auto failed = fixture.call("POST", "/fhir/QuestionnaireResponse/$evaluate", response_from_intake(questionnaire, {}));
  CHECK(failed.status == 503);
  CHECK(body_of(failed)["issue"][0]["code"] == "transient");
  // Refused before deciding: one reply, at once.
  replies.clear();
  fhir::handle_fhir_async("POST", "/fhir/QuestionnaireResponse/$evaluate", {}, "{\"resourceType\": 1}", fixture.service,
                          [&](fhir::HttpResult result) { replies.push_back(std::move(result)); });
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].status == 400);
}

TEST_CASE("metadata, the OperationDefinition and routing", "[fhir]") {
  FhirFixture fixture;
  auto metadata = fixture.call("GET", "/fhir/metadata");
  REQUIRE(metadata.status == 200);
  Json capability = body_of(metadata);
  emit("CapabilityStatement", capability);
  CHECK(capability["fhirVersion"] == "4.0.1");
  CHECK(capability["version"] == fixture.ruleset->model->hash);
  CHECK(capability["implementation"]["url"] == "https://triage.test/fhir");
  std::vector<std::string> types;
  for (const auto& r : capability["rest"][0]["resource"]) types.push_back(r["type"].get<std::string>());
  CHECK(types == std::vector<std::string>{"Questionnaire", "QuestionnaireResponse", "OperationDefinition"});
  CHECK(capability["rest"][0]["resource"][1]["operation"][0]["definition"] ==
        fixture.service.names.evaluate_operation_url());

  auto definition = fixture.call("GET", "/fhir/OperationDefinition/evaluate");
  REQUIRE(definition.status == 200);
  Json operation = body_of(definition);
  emit("OperationDefinition-evaluate", operation);
  CHECK(operation["url"] == fixture.service.names.evaluate_operation_url());
  CHECK(operation["code"] == "evaluate");

  auto missing = fixture.call("GET", "/fhir/Patient/1");
  CHECK(missing.status == 404);
  CHECK(body_of(missing)["resourceType"] == "OperationOutcome");
  emit("OperationOutcome-not-found", body_of(missing));
  auto wrong = fixture.call("DELETE", "/fhir/Questionnaire/back-pain-triage");
  CHECK(wrong.status == 405);
  CHECK(wrong.headers == fhir::Headers{{"Allow", "GET"}});
  CHECK(fixture.call("GET", "/fhir/metadata?_format=json").status == 200);
  CHECK(fhir::is_fhir_target("/fhir/metadata"));
  CHECK(fhir::is_fhir_target("/cds-services"));
  CHECK_FALSE(fhir::is_fhir_target("/healthz"));
}

}  // namespace triage::test
