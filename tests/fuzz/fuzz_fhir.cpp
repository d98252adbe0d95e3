// Fuzz target: the FHIR R4 and CDS Hooks request decoders, through the transport-free routes
// (fhir::handle_fhir) on the shipped rules, deciding with fhir::decide_locally. Each input is the
// body of every POST route: QuestionnaireResponse/$evaluate, Questionnaire/$next-question, a CDS
// Hooks call and CDS Hooks feedback (both with a valid bearer token, so the body is read); then the
// same bytes as a bearer JWT and as a --cds-jwks file. Aborts (a finding) when an answer is not JSON,
// a status is outside what the route documents, a JSON exception escaped a decoder ("malformed
// input"), or a FHIR resource (a JSON object with a resourceType) gets neither a decision nor an
// OperationOutcome whose every issue names a FHIRPath.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "fhir/cds_jwt.hpp"
#include "fhir/routes.hpp"
#include "fuzz_cds_key.hpp"
#include "ruleset/loader.hpp"

namespace {

using triage::fhir::Json;

struct State {
  triage::fuzz::CdsKey key;
  std::shared_ptr<const triage::CompiledRuleset> ruleset;
  triage::fhir::FhirService service;
  std::string hook_token;
  std::string encounter_token;

  State() {
    triage::LoadResult loaded = triage::load_ruleset(std::string(TRIAGE_SOURCE_DIR) + "/rules");
    if (!loaded.ruleset) std::abort();
    ruleset = loaded.ruleset;
    service.base_url = "https://triage.fuzz";
    service.ruleset = [this] { return ruleset; };
    service.decide = [](const triage::CompiledRuleset& rules, const triage::v1::EvaluateRequest& request,
                        const std::string&, std::function<void(triage::fhir::Decided)> done) {
      done(triage::fhir::decide_locally(rules, request));
    };
    service.record_feedback = [](std::vector<triage::fhir::FeedbackRecord>, triage::FeedbackDone done) { done({}); };
    service.now_seconds = [] { return triage::fuzz::CdsKey::now; };
    hook_token = key.token(service.base_url + "/cds-services/back-pain-triage");
    encounter_token = key.token(service.base_url + "/cds-services/back-pain-triage-encounter");
  }
};

State& state() {
  static State s;
  return s;
}

void require(bool condition) {
  if (!condition) std::abort();
}

Json parsed(const std::string& text) { return Json::parse(text, nullptr, false); }

// The FHIR operations: 200 with `expected_type`, or 400 with an OperationOutcome; for a resource,
// every issue names where (a FHIRPath), unless the whole body was refused as too deep.
void check_operation(const std::string& target, const std::string& body, const Json& input, const char* expected_type) {
  State& s = state();
  triage::fhir::HttpResult result =
      triage::fhir::handle_fhir("POST", target, {{"Content-Type", "application/fhir+json"}}, body, s.service);
  Json answer = parsed(result.body);
  require(answer.is_object() && answer.contains("resourceType"));
  require(result.body.find("malformed input") == std::string::npos);  // no JSON exception escaped a decoder
  if (result.status == 200) {
    require(answer["resourceType"] == expected_type);
    return;
  }
  require(result.status == 400);
  require(answer["resourceType"] == "OperationOutcome");
  require(answer.contains("issue") && answer["issue"].is_array() && !answer["issue"].empty());
  const bool resource = input.is_object() && input.contains("resourceType") && input["resourceType"].is_string();
  if (!resource) return;
  for (const auto& issue : answer["issue"]) {
    if (issue.value("code", "") == "too-costly") continue;
    require(issue.contains("expression") && issue["expression"].is_array() && !issue["expression"].empty() &&
            issue["expression"][0].is_string() && !issue["expression"][0].get<std::string>().empty());
  }
}

// A CDS Hooks call: cards (200), a refused request (400), or no prefetch (412); always JSON.
void check_hook(const std::string& service_id, const std::string& token, const std::string& body, bool feedback) {
  State& s = state();
  s.service.verifier = s.key.fresh_verifier();
  std::string target = "/cds-services/" + service_id + (feedback ? "/feedback" : "");
  triage::fhir::HttpResult result = triage::fhir::handle_fhir(
      "POST", target, {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + token}}, body, s.service);
  Json answer = parsed(result.body);
  require(answer.is_object());
  require(result.body.find("malformed input") == std::string::npos);
  if (result.status == 200) {
    if (!feedback) require(answer.contains("cards") && answer["cards"].is_array());
    return;
  }
  require(result.status == 400 || (!feedback && result.status == 412));
  require(answer.contains("error") && answer["error"].is_string());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  State& s = state();
  std::string body(reinterpret_cast<const char*>(data), size);
  Json input = parsed(body);
  check_operation("/fhir/QuestionnaireResponse/$evaluate", body, input, "Bundle");
  check_operation("/fhir/Questionnaire/$next-question", body, input, "QuestionnaireResponse");
  check_hook("back-pain-triage", s.hook_token, body, false);
  check_hook("back-pain-triage-encounter", s.encounter_token, body, false);
  check_hook("back-pain-triage", s.hook_token, body, true);
  // The same bytes as a bearer token and as a trusted-issuers file.
  triage::cds::JwtResult jwt = s.key.fresh_verifier()->verify(body, s.service.base_url + "/cds-services/back-pain-triage",
                                                             triage::fuzz::CdsKey::now);
  require(jwt.status != triage::cds::JwtStatus::ok || body == s.hook_token);
  triage::cds::TrustedIssuers issuers;
  std::string error;
  (void)triage::cds::read_trusted_issuers(body, issuers, error);
  return 0;
}
