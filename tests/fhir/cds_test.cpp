// CDS Hooks: discovery, a card for every kind of decision, 412 without a prefetch, feedback, and the
// JWT checks (signed here with OpenSSL keys made for the test).
#include <catch2/catch.hpp>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <sqlite3.h>

#include <filesystem>
#include <future>

#include "api/decision_proto.hpp"
#include "audit/audit_log.hpp"
#include "audit/reader.hpp"
#include "fhir/cds_jwt.hpp"
#include "fhir/audit_feedback.hpp"
#include "fhir/fhir_support.hpp"
#include "support.hpp"

namespace triage::test {
namespace {

using cds::base64url_encode;

// A test key pair and what a JWKS file says about its public half.
struct TestKey {
  std::shared_ptr<EVP_PKEY> key;
  std::string alg;
  std::string kid;
  Json jwk;
};

std::string bn_bytes(const BIGNUM* bn, int width = 0) {
  std::string out(static_cast<std::size_t>(std::max(width, BN_num_bytes(bn))), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size()));
  return out;
}

TestKey make_key(const std::string& alg, const std::string& kid) {
  TestKey out;
  out.alg = alg;
  out.kid = kid;
  if (alg == "ES384") {
    out.key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"), EVP_PKEY_free);
    REQUIRE(out.key);
    unsigned char point[97];
    std::size_t length = 0;
    REQUIRE(EVP_PKEY_get_octet_string_param(out.key.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &length) == 1);
    REQUIRE(length == 97);
    std::string bytes(reinterpret_cast<char*>(point) + 1, 96);
    out.jwk = {{"kty", "EC"}, {"crv", "P-384"}, {"kid", kid}, {"x", base64url_encode(bytes.substr(0, 48))},
               {"y", base64url_encode(bytes.substr(48))}};
  } else {
    out.key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)), EVP_PKEY_free);
    REQUIRE(out.key);
    BIGNUM* n = nullptr;
    BIGNUM* e = nullptr;
    REQUIRE(EVP_PKEY_get_bn_param(out.key.get(), OSSL_PKEY_PARAM_RSA_N, &n) == 1);
    REQUIRE(EVP_PKEY_get_bn_param(out.key.get(), OSSL_PKEY_PARAM_RSA_E, &e) == 1);
    out.jwk = {{"kty", "RSA"}, {"kid", kid}, {"n", base64url_encode(bn_bytes(n))}, {"e", base64url_encode(bn_bytes(e))}};
    BN_free(n);
    BN_free(e);
  }
  return out;
}

std::string sign(const TestKey& key, const Json& header, const Json& claims) {
  std::string input = base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  REQUIRE(EVP_DigestSignInit(ctx, nullptr, EVP_sha384(), nullptr, key.key.get()) == 1);
  std::size_t length = 0;
  REQUIRE(EVP_DigestSign(ctx, nullptr, &length, reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1);
  std::string signature(length, '\0');
  REQUIRE(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &length,
                         reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1);
  signature.resize(length);
  EVP_MD_CTX_free(ctx);
  if (key.alg == "ES384") {  // DER -> JOSE r||s
    const unsigned char* p = reinterpret_cast<const unsigned char*>(signature.data());
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(signature.size()));
    REQUIRE(sig != nullptr);
    signature = bn_bytes(ECDSA_SIG_get0_r(sig), 48) + bn_bytes(ECDSA_SIG_get0_s(sig), 48);
    ECDSA_SIG_free(sig);
  }
  return input + "." + base64url_encode(signature);
}

constexpr std::int64_t now = 1'800'000'000;
const std::string ehr = "https://ehr.test";
const std::string endpoint = "https://triage.test/cds-services/back-pain-triage";

struct CdsFixture : FhirFixture {
  TestKey ec = make_key("ES384", "ec-1");
  TestKey rsa = make_key("RS384", "rsa-1");
  int next_jti = 0;

  explicit CdsFixture(std::int64_t leeway_seconds = 60) {
    make_verifier(leeway_seconds);
    service.now_seconds = [] { return now; };
  }

  // A new verifier for the same keys, with an empty memory (as after a restart).
  void make_verifier(std::int64_t leeway_seconds = 60) {
    Json jwks = {{"issuers", {{ehr, {{"keys", Json::array({ec.jwk})}}}, {"https://other-ehr.test", {{"keys", Json::array({rsa.jwk})}}}}}};
    cds::TrustedIssuers issuers;
    std::string error;
    INFO(error);
    REQUIRE(cds::read_trusted_issuers(jwks.dump(), issuers, error));
    service.verifier = std::make_shared<cds::JwtVerifier>(std::move(issuers), 300, leeway_seconds);
  }

  Json claims(const std::string& issuer = ehr, const std::string& audience = endpoint) {
    return {{"iss", issuer}, {"sub", "client-7"}, {"aud", audience}, {"exp", now + 240}, {"iat", now - 10},
            {"jti", "jti-" + std::to_string(++next_jti)}};
  }
  std::string token(const TestKey& key, const Json& body) {
    return sign(key, {{"alg", key.alg}, {"typ", "JWT"}, {"kid", key.kid}}, body);
  }
  fhir::Headers auth(const std::string& jwt) { return {{"Authorization", "Bearer " + jwt}}; }
  fhir::Headers good() { return auth(token(ec, claims())); }
};

Json hook_call(const Json& prefetch, const std::string& hook = "patient-view") {
  Json call = {{"hook", hook}, {"hookInstance", "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea"},
               {"context", {{"userId", "Practitioner/1"}, {"patientId", "p1"}}}};
  if (!prefetch.is_null()) call["prefetch"] = prefetch;
  return call;
}

Json questionnaire_json(FhirFixture& fixture) {
  return Json::parse(fixture.call("GET", "/fhir/Questionnaire/back-pain-triage").body);
}

Json search_bundle(const Json& response) {
  return {{"resourceType", "Bundle"}, {"type", "searchset"}, {"entry", Json::array({{{"resource", response}}})}};
}

}  // namespace

TEST_CASE("CDS Hooks discovery lists both services with the QuestionnaireResponse prefetch", "[cds]") {
  CdsFixture fixture;
  auto result = fixture.call("GET", "/cds-services");
  REQUIRE(result.status == 200);
  CHECK(result.content_type == "application/json");
  Json discovery = Json::parse(result.body);
  REQUIRE(discovery["services"].size() == 2);
  CHECK(discovery["services"][0]["hook"] == "patient-view");
  CHECK(discovery["services"][0]["id"] == "back-pain-triage");
  CHECK(discovery["services"][1]["hook"] == "encounter-start");
  std::string prefetch = discovery["services"][0]["prefetch"]["questionnaireResponse"];
  CHECK(prefetch == "QuestionnaireResponse?subject=Patient/{{context.patientId}}&questionnaire=" +
                        fixture.service.names.questionnaire_url() + "&status=completed&_sort=-authored&_count=1");
  // The search the service makes itself on a fhirServer is the same, for the hook's patient.
  CHECK(cds::response_search(fixture.service.names, "{{context.patientId}}") == prefetch);
  CHECK_THAT(cds::response_search(fixture.service.names, "p 1/&x"), Catch::StartsWith("QuestionnaireResponse?subject=Patient/p%201%2F%26x&"));
}

TEST_CASE("CDS Hooks: which fhirServer URLs the allow-list lets the service call", "[cds][fhir-server]") {
  const std::vector<std::string> allowed{"https://fhir.example.org/r4", "http://127.0.0.1:8090/"};
  struct Case {
    const char* server;
    bool ok;
    const char* why;
  };
  const Case cases[] = {
      {"https://fhir.example.org/r4", true, ""},
      {"https://fhir.example.org/r4/", true, ""},
      {"https://fhir.example.org/r4/tenant-1", true, ""},
      {"http://127.0.0.1:8090", true, ""},
      {"http://127.0.0.1:8090/fhir", true, ""},
      {"https://fhir.example.org/r4evil", false, "allow-list"},
      {"https://fhir.example.org.evil.test/r4", false, "allow-list"},
      {"https://fhir.example.org", false, "allow-list"},
      {"http://fhir.example.org/r4", false, "allow-list"},
      {"http://127.0.0.1:80901", false, "port"},
      {"https://user:pw@fhir.example.org/r4", false, "user info"},
      {"https://fhir.example.org/r4?x=1", false, "no query"},
      {"https://fhir.example.org/r4#x", false, "no query"},
      {"https://fhir.example.org/r4 x", false, "no query"},
      {"file:///etc/passwd", false, "http:// or https://"},
      {"gopher://fhir.example.org/r4", false, "http:// or https://"},
      // Version 3: tenant escapes (dot segments, encoded, and the like) are refused outright.
      {"https://fhir.example.org/r4/tenant1/../tenant2", false, "dot segments"},
      {"https://fhir.example.org/r4/../../../admin", false, "dot segments"},
      {"https://fhir.example.org/r4/%2e%2e/admin", false, "dot segments"},
      {"https://fhir.example.org/r4/%2E%2E/admin", false, "dot segments"},
      {"https://fhir.example.org/r4/.%2e/admin", false, "dot segments"},
      {"https://fhir.example.org/r4/./t1", false, "dot segments"},
      {"https://fhir.example.org/r4/t1%2F..%2Ft2", false, "encode a slash"},
      {"https://fhir.example.org/r4/t1%5C..", false, "encode a slash"},
      {"https://fhir.example.org/r4\\..\\admin", false, "backslashes"},
      {"https://fhir.example.org/r4/t%zz", false, "percent escape"},
      {"https://fhir.example.org:0/r4", false, "port"},
      {"https://fhir.example.org:99999/r4", false, "port"},
      // Normalised before comparing: case of scheme and host, default port, empty segments.
      {"HTTPS://FHIR.Example.ORG/r4/t1", true, ""},
      {"https://fhir.example.org:443/r4", true, ""},
      {"https://fhir.example.org.//r4//t1", true, ""},
      {"https://fhir.example.org/R4", false, "allow-list"},  // paths stay case-sensitive
      {"https://fhir.example.org:8443/r4", false, "allow-list"},
      {"http://127.0.0.1:8090/%66hir", true, ""},  // %66 is f: the same segment
  };
  for (const auto& c : cases) {
    INFO(c.server);
    std::string why;
    CHECK(cds::fhir_server_allowed(c.server, allowed, why) == c.ok);
    CHECK_THAT(why, Catch::Contains(c.why));
  }
  std::string why;
  CHECK_FALSE(cds::fhir_server_allowed("https://fhir.example.org/r4", {}, why));
  CHECK_THAT(why, Catch::Contains("--cds-fhir-servers"));
}

TEST_CASE("CDS Hooks: without a prefetch the service searches an allow-listed fhirServer", "[cds][fhir-server]") {
  CdsFixture fixture;
  Json questionnaire = questionnaire_json(fixture);
  Json response = response_from_intake(questionnaire, example_answers("emergency_cauda_equina.json"));
  response.erase("subject");
  struct Call {
    std::string url, token;
  };
  std::vector<Call> calls;
  fhir::Fetched answer;
  fixture.service.fetch = [&](const std::string& url, const std::string& token, std::function<void(fhir::Fetched)> done) {
    calls.push_back({url, token});
    done(answer);
  };
  fixture.service.fhir_servers = {"https://fhir.ehr.test/r4"};
  auto hook = [&](const std::string& server, const Json& authorization = nullptr) {
    Json call = hook_call(nullptr);
    call["fhirServer"] = server;
    if (!authorization.is_null()) call["fhirAuthorization"] = authorization;
    return fixture.call("POST", "/cds-services/back-pain-triage", call, fixture.good());
  };
  struct Case {
    const char* what;
    fhir::Fetched answer;
    int status;
    const char* body;
  };
  const std::string bundle = search_bundle(response).dump();
  const Case cases[] = {
      {"a searchset Bundle with the response: decided", {true, 200, "", bundle}, 200, "\"critical\""},
      {"an empty searchset: no cards", {true, 200, "", R"({"resourceType":"Bundle","type":"searchset","total":0})"}, 200, "\"cards\":[]"},
      {"not JSON", {true, 200, "", "<html>oops</html>"}, 502, "not a searchset Bundle"},
      {"another resource", {true, 200, "", R"({"resourceType":"Patient","id":"p1"})"}, 502, "not a searchset Bundle"},
      {"a Bundle that is not a searchset", {true, 200, "", R"({"resourceType":"Bundle","type":"collection","entry":[]})"}, 502,
       "not a searchset Bundle"},
      {"the server failed", {false, 502, "the FHIR server answered HTTP 500", ""}, 502, "HTTP 500"},
      {"the server stalled", {false, 504, "the FHIR server did not answer within 5000 ms", ""}, 504, "did not answer"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    answer = c.answer;
    calls.clear();
    auto result = hook("https://fhir.ehr.test/r4/", {{"access_token", "secret-token"}, {"token_type", "Bearer"}});
    CHECK(result.status == c.status);
    CHECK_THAT(result.body, Catch::Contains(c.body));
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].url == "https://fhir.ehr.test/r4/" + cds::response_search(fixture.service.names, "p1"));
    CHECK(calls[0].token == "secret-token");
  }
  // The URL called is the normalised one the allow-list accepted.
  answer = {true, 200, "", bundle};
  calls.clear();
  REQUIRE(hook("HTTPS://FHIR.EHR.TEST:443//r4/").status == 200);
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].url == "https://fhir.ehr.test/r4/" + cds::response_search(fixture.service.names, "p1"));
  // The decision made from the fetched response is logged like any other, about the hook's patient.
  answer = {true, 200, "", bundle};
  calls.clear();
  std::size_t decided = fixture.decisions.size();
  auto result = hook("https://fhir.ehr.test/r4");
  REQUIRE(result.status == 200);
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].token.empty());
  REQUIRE(fixture.decisions.size() == decided + 1);
  CHECK(Json::parse(result.body)["cards"][0]["uuid"] == fixture.decisions.back().decision_id());

  // Not allow-listed, or no fetcher: never called, 412 as without a fhirServer.
  calls.clear();
  result = hook("https://attacker.test/r4");
  CHECK(result.status == 412);
  CHECK_THAT(result.body, Catch::Contains("allow-list"));
  result = hook("http://169.254.169.254/latest");
  CHECK(result.status == 412);
  fixture.service.fetch = nullptr;
  result = hook("https://fhir.ehr.test/r4");
  CHECK(result.status == 412);
  CHECK(calls.empty());
  // A hook without context.patientId cannot be searched for.
  fixture.service.fetch = [&](const std::string& url, const std::string& token, std::function<void(fhir::Fetched)> done) {
    calls.push_back({url, token});
    done(answer);
  };
  Json call = hook_call(nullptr);
  call["fhirServer"] = "https://fhir.ehr.test/r4";
  call["context"].erase("patientId");
  result = fixture.call("POST", "/cds-services/back-pain-triage", call, fixture.good());
  CHECK(result.status == 400);
  CHECK(calls.empty());
}

TEST_CASE("CDS Hooks cards for every kind of decision", "[cds]") {
  CdsFixture fixture;
  Json questionnaire = questionnaire_json(fixture);
  struct Case {
    const char* file;
    const char* indicator;
    bool suggestion;
  };
  const Case cases[] = {{"emergency_cauda_equina.json", "critical", true},
                        {"urgent_fever_night_pain.json", "warning", true},
                        {"routine_pain_below_knee.json", "info", true},
                        {"self_care_lower_back.json", "info", false},
                        {"incomplete_few_answers.json", "warning", false}};
  for (const auto& c : cases) {
    INFO(c.file);
    Json response = response_from_intake(questionnaire, example_answers(c.file));
    response.erase("subject");  // the hook's context names the patient
    auto result = fixture.call("POST", "/cds-services/back-pain-triage", hook_call({{"questionnaireResponse", search_bundle(response)}}),
                               fixture.good());
    REQUIRE(result.status == 200);
    Json body = Json::parse(result.body);
    REQUIRE(body["cards"].size() == 1);
    const Json& card = body["cards"][0];
    INFO(card.dump(2));
    const v1::Decision& decision = fixture.decisions.back();
    CHECK(card["indicator"] == c.indicator);
    CHECK(card["uuid"] == decision.decision_id());
    CHECK(card["summary"].get<std::string>().size() < 140);
    // Written to fit, never cut mid-word (issue 25): no ellipsis, and a referral says what to do.
    CHECK(card["summary"].get<std::string>().find("\xE2\x80\xA6") == std::string::npos);
    if (decision.outcome() == v1::refer) CHECK(card["summary"].get<std::string>().back() == '.');
    CHECK_THAT(card["source"]["label"].get<std::string>(), Catch::Contains(fixture.ruleset->model->hash.substr(0, 19)));
    CHECK_THAT(card["detail"].get<std::string>(), Catch::Contains(decision.ruleset_hash()));
    CHECK(card.contains("suggestions") == c.suggestion);
    // Every decision card offers the reasons a clinician may give for overriding it.
    REQUIRE(card["overrideReasons"].size() == cds::override_reasons().size());
    CHECK(card["overrideReasons"][0]["system"] == fixture.service.names.override_reason_system());
    CHECK(card["overrideReasons"][0]["code"] == "already-referred");
    if (decision.outcome() == v1::refer) {
      CHECK_THAT(card["detail"].get<std::string>(), Catch::Contains(decision.red_flags(0).rule()));
      const Json& action = card["suggestions"][0]["actions"][0];
      CHECK(action["type"] == "create");
      CHECK(action["resource"]["resourceType"] == "ServiceRequest");
      CHECK(action["resource"]["status"] == "draft");
      CHECK(action["resource"]["subject"]["reference"] == "Patient/p1");
      emit(std::string("ServiceRequest-cds-") + c.indicator, action["resource"]);
    }
    if (decision.outcome() == v1::incomplete) {
      for (const auto& fact : decision.missing()) CHECK_THAT(card["detail"].get<std::string>(), Catch::Contains("`" + fact + "`"));
    }
  }
  // encounter-start answers the same way.
  Json response = response_from_intake(questionnaire, example_answers("emergency_cauda_equina.json"));
  auto result = fixture.call("POST", "/cds-services/back-pain-triage-encounter",
                             hook_call({{"questionnaireResponse", response}}, "encounter-start"),
                             fixture.auth(fixture.token(fixture.ec, fixture.claims(ehr, "https://triage.test/cds-services/back-pain-triage-encounter"))));
  REQUIRE(result.status == 200);
  CHECK(Json::parse(result.body)["cards"][0]["indicator"] == "critical");
}

TEST_CASE("CDS Hooks: no prefetch and no FHIR server is 412; an empty search gives no cards", "[cds]") {
  CdsFixture fixture;
  auto result = fixture.call("POST", "/cds-services/back-pain-triage", hook_call(nullptr), fixture.good());
  CHECK(result.status == 412);
  result = fixture.call("POST", "/cds-services/back-pain-triage", hook_call({{"questionnaireResponse", nullptr}}), fixture.good());
  CHECK(result.status == 412);
  result = fixture.call("POST", "/cds-services/back-pain-triage",
                        hook_call({{"questionnaireResponse", {{"resourceType", "Bundle"}, {"type", "searchset"}, {"entry", Json::array()}}}}),
                        fixture.good());
  CHECK(result.status == 200);
  CHECK(Json::parse(result.body)["cards"].empty());
  result = fixture.call("POST", "/cds-services/back-pain-triage", hook_call(nullptr, "order-select"), fixture.good());
  CHECK(result.status == 400);
  result = fixture.call("POST", "/cds-services/no-such-service", hook_call(nullptr), fixture.good());
  CHECK(result.status == 404);
  CHECK(fixture.decisions.empty());
}

TEST_CASE("CDS Hooks feedback is recorded against the decision", "[cds]") {
  CdsFixture fixture;
  Json feedback = {{"feedback",
                    Json::array({{{"card", "3f1e6a5c-0000-4000-8000-000000000001"}, {"outcome", "accepted"},
                                  {"acceptedSuggestions", Json::array({{{"id", "s-1"}}})},
                                  {"outcomeTimestamp", "2026-11-30T10:00:00Z"}},
                                 {{"card", "3f1e6a5c-0000-4000-8000-000000000002"}, {"outcome", "overridden"},
                                  {"overrideReason",
                                   {{"reason", {{"code", "patient-declined"}, {"display", "Patient declined"}}},
                                    {"userComment", "Seen by physio already"}}},
                                  {"outcomeTimestamp", "2026-11-30T10:01:00Z"}}})}};
  auto result = fixture.call("POST", "/cds-services/back-pain-triage/feedback", feedback,
                             fixture.auth(fixture.token(fixture.ec, fixture.claims(ehr, endpoint + "/feedback"))));
  REQUIRE(result.status == 200);
  REQUIRE(fixture.feedback.size() == 2);
  CHECK(fixture.feedback[0].feedback.card == "3f1e6a5c-0000-4000-8000-000000000001");
  CHECK(fixture.feedback[0].feedback.accepted_suggestions == std::vector<std::string>{"s-1"});
  CHECK(fixture.feedback[0].issuer == ehr);
  CHECK(fixture.feedback[0].subject == "client-7");
  CHECK(fixture.feedback[1].feedback.outcome == "overridden");
  CHECK(fixture.feedback[1].feedback.override_code == "patient-declined");
  CHECK(fixture.feedback[1].feedback.override_comment == "Seen by physio already");

  // An override reason the card did not offer is refused, naming the ones it did.
  Json unoffered = {{"feedback", Json::array({{{"card", "x"}, {"outcome", "overridden"},
                                                {"overrideReason", {{"reason", {{"code", "because"}}}}},
                                                {"outcomeTimestamp", "2026-11-30T10:00:00Z"}}})}};
  result = fixture.call("POST", "/cds-services/back-pain-triage/feedback", unoffered, fixture.good());
  CHECK(result.status == 400);
  CHECK_THAT(result.body, Catch::Contains("feedback[0].overrideReason.reason must be one of the card's overrideReasons "
                                          "(already-referred, clinical-judgement"));
  Json bad = {{"feedback", Json::array({{{"card", "x"}, {"outcome", "ignored"}, {"outcomeTimestamp", "2026-11-30T10:00:00Z"}}})}};
  result = fixture.call("POST", "/cds-services/back-pain-triage/feedback", bad, fixture.good());
  CHECK(result.status == 400);
  CHECK_THAT(result.body, Catch::Contains("feedback[0].outcome"));
  CHECK(fixture.feedback.size() == 2);
  result = fixture.call("POST", "/cds-services/back-pain-triage/feedback", feedback);
  CHECK(result.status == 401);
}

TEST_CASE("CDS Hooks: members of an unexpected JSON type are refused by name or ignored", "[cds]") {
  // Found by fuzz_fhir: these were "malformed input: [json.exception.type_error.302] …".
  CdsFixture fixture;
  auto result = fixture.call("POST", "/cds-services/back-pain-triage", hook_call({{"questionnaireResponse", {{"resourceType", 3}}}}),
                             fixture.good());
  CHECK(result.status == 400);
  CHECK_THAT(result.body, Catch::Contains("prefetch `questionnaireResponse` must be"));
  result = fixture.call("POST", "/cds-services/back-pain-triage",
                        hook_call({{"questionnaireResponse", {{"resourceType", "Bundle"},
                                                              {"entry", Json::array({{{"resource", {{"resourceType", false}}}}})}}}}),
                        fixture.good());
  CHECK(result.status == 200);  // a search that found no QuestionnaireResponse: no cards
  CHECK(Json::parse(result.body)["cards"].empty());
  Json feedback = {{"feedback", Json::array({{{"card", "3f1e6a5c-0000-4000-8000-000000000003"}, {"outcome", "overridden"},
                                              {"overrideReason", {{"reason", {{"code", 5}, {"display", nullptr}}}, {"userComment", Json::array()}}},
                                              {"outcomeTimestamp", "2026-11-30T10:02:00Z"}}})}};
  result = fixture.call("POST", "/cds-services/back-pain-triage/feedback", feedback, fixture.good());
  CHECK(result.status == 200);
  REQUIRE(fixture.feedback.size() == 1);
  CHECK(fixture.feedback[0].feedback.override_code.empty());
  CHECK(fixture.feedback[0].feedback.override_comment.empty());
  CHECK(fixture.decisions.empty());
}

TEST_CASE("CDS Hooks refuses bad JWTs with 401", "[cds][jwt]") {
  CdsFixture fixture;
  TestKey stranger = make_key("ES384", "ec-1");  // same kid, different key
  auto expired = fixture.claims();
  expired["exp"] = now - 120;
  expired["iat"] = now - 400;
  auto future = fixture.claims();
  future["iat"] = now + 600;
  auto no_jti = fixture.claims();
  no_jti.erase("jti");
  auto huge_exp = fixture.claims();
  huge_exp["exp"] = 1e300;
  auto far_exp = fixture.claims();
  far_exp["exp"] = now + 3600;
  auto not_before = fixture.claims();
  not_before["nbf"] = now + 120;
  std::string good = fixture.token(fixture.ec, fixture.claims());
  std::string tampered = good;
  tampered[tampered.find('.') + 5] ^= 1;  // a changed claim byte under the same signature
  struct Case {
    const char* name;
    fhir::Headers headers;
    const char* status;
  };
  const std::vector<Case> cases = {
      {"no token", {}, "missing_token"},
      {"bad signature (another key)", fixture.auth(fixture.token(stranger, fixture.claims())), "bad_signature"},
      {"bad signature (tampered claims)", fixture.auth(tampered), ""},
      {"wrong audience", fixture.auth(fixture.token(fixture.ec, fixture.claims(ehr, "https://elsewhere.test/cds-services/back-pain-triage"))),
       "wrong_audience"},
      {"expired", fixture.auth(fixture.token(fixture.ec, expired)), "expired"},
      {"issued in the future", fixture.auth(fixture.token(fixture.ec, future)), "not_yet_valid"},
      {"exp too far ahead", fixture.auth(fixture.token(fixture.ec, far_exp)), "lifetime_too_long"},
      {"nbf in the future", fixture.auth(fixture.token(fixture.ec, not_before)), "not_yet_valid"},
      {"no jti", fixture.auth(fixture.token(fixture.ec, no_jti)), "missing_claim"},
      {"exp out of range", fixture.auth(fixture.token(fixture.ec, huge_exp)), "missing_claim"},
      {"unknown issuer", fixture.auth(fixture.token(fixture.ec, fixture.claims("https://rogue.test"))), "unknown_issuer"},
      {"the issuer's key is RSA, the token EC", fixture.auth(fixture.token(fixture.ec, fixture.claims("https://other-ehr.test"))),
       "unknown_key"},
      {"alg none", fixture.auth(base64url_encode(R"({"alg":"none"})") + "." + base64url_encode(fixture.claims().dump()) + "."),
       "unsupported_alg"},
      {"not a JWT", fixture.auth("abc"), "malformed"},
  };
  Json call = hook_call({{"questionnaireResponse", nullptr}});
  for (const auto& c : cases) {
    INFO(c.name);
    auto result = fixture.call("POST", "/cds-services/back-pain-triage", call, c.headers);
    CHECK(result.status == 401);
    REQUIRE(result.headers.size() == 1);
    CHECK(result.headers[0].first == "WWW-Authenticate");
    CHECK_THAT(result.headers[0].second, Catch::Contains(c.status));
  }
  // A good token passes once (412: no prefetch), and is refused when replayed.
  auto first = fixture.call("POST", "/cds-services/back-pain-triage", call, fixture.auth(good));
  CHECK(first.status == 412);
  auto replay = fixture.call("POST", "/cds-services/back-pain-triage", call, fixture.auth(good));
  CHECK(replay.status == 401);
  CHECK_THAT(replay.headers[0].second, Catch::Contains("replayed"));
  // RS384 from the other issuer.
  auto rsa = fixture.call("POST", "/cds-services/back-pain-triage", call,
                          fixture.auth(fixture.token(fixture.rsa, fixture.claims("https://other-ehr.test"))));
  CHECK(rsa.status == 412);
  // Without a verifier nothing but discovery is open.
  fixture.service.verifier.reset();
  CHECK(fixture.call("POST", "/cds-services/back-pain-triage", call, fixture.good()).status == 401);
  CHECK(fixture.call("GET", "/cds-services").status == 200);
}

TEST_CASE("a CDS token replayed after a restart is refused: seen tokens are kept in the audit log", "[cds][jwt][audit]") {
  namespace fs = std::filesystem;
  fs::path folder = fs::temp_directory_path() / ("triage-jti-test-" + new_decision_id());
  fs::create_directories(folder);
  std::string db = (folder / "audit.db").string();
  std::string error;
  Json call = hook_call({{"questionnaireResponse", nullptr}});
  CdsFixture fixture;
  std::string token = fixture.token(fixture.ec, fixture.claims());
  {
    auto log = AuditLog::open(db, error);
    REQUIRE(log != nullptr);
    fixture.service.verifier->set_replay_store(
        [&](const std::string& key, std::int64_t expires, std::int64_t at) { return log->remember_token(key, expires, at); });
    CHECK(fixture.call("POST", "/cds-services/back-pain-triage", call, fixture.auth(token)).status == 412);  // accepted
    log->close();
  }
  auto log = AuditLog::open(db, error);  // the server restarted: a new verifier, an empty memory
  REQUIRE(log != nullptr);
  fixture.make_verifier();
  fixture.service.verifier->set_replay_store(
      [&](const std::string& key, std::int64_t expires, std::int64_t at) { return log->remember_token(key, expires, at); });
  auto replayed = fixture.call("POST", "/cds-services/back-pain-triage", call, fixture.auth(token));
  CHECK(replayed.status == 401);
  CHECK_THAT(replayed.body, Catch::Contains("was used before (before this server restarted)"));
  // Past its expiry (exp + leeway) the key is forgotten, so the table does not grow without end.
  CHECK(log->remember_token("other\njti", now + 10, now).value());
  CHECK_FALSE(log->remember_token("other\njti", now + 10, now).value());
  CHECK(log->remember_token("other\njti", now + 100, now + 11).value());
  log->close();
  fs::remove_all(folder);
}

TEST_CASE("a skewed EHR clock: the refusal names the claim and the skew; a wider leeway accepts it", "[cds][jwt]") {
  Json call = hook_call({{"questionnaireResponse", nullptr}});
  for (const char* claim : {"iat", "nbf"}) {
    INFO(claim);
    CdsFixture strict;  // the default 60 s
    auto skewed = strict.claims();
    skewed[claim] = now + 90;  // the EHR's clock runs 90 s fast
    auto refused = strict.call("POST", "/cds-services/back-pain-triage", call, strict.auth(strict.token(strict.ec, skewed)));
    CHECK(refused.status == 401);
    CHECK_THAT(refused.body, Catch::Contains(std::string("`") + claim +
                                             "` is 90 s ahead of this server's clock (leeway 60 s): check both clocks"));
    CdsFixture lenient(120);  // --cds-jwt-leeway-seconds 120
    auto again = lenient.claims();
    again[claim] = now + 90;
    CHECK(lenient.call("POST", "/cds-services/back-pain-triage", call, lenient.auth(lenient.token(lenient.ec, again)))
              .status == 412);  // accepted: no prefetch
  }
}

TEST_CASE("trusted issuer files are checked", "[cds][jwt]") {
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {R"({})", "expected"},
      {R"({"issuers": {"a": {"keys": []}}})", "at least one key"},
      {R"({"issuers": {"a": {"keys": [{"kty": "oct", "k": "AAAA"}]}}})", "kty `oct`"},
      {R"({"issuers": {"a": {"keys": [{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}]}}})", "P-384"},
      {R"({"issuers": {"a": {"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}}})", "2048"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    cds::TrustedIssuers issuers;
    std::string error;
    CHECK_FALSE(cds::read_trusted_issuers(c.text, issuers, error));
    CHECK_THAT(error, Catch::Contains(c.error));
  }
}

}  // namespace triage::test

namespace triage::test {

TEST_CASE("CDS Hooks feedback lands in the audit log and `triage audit feedback` shows it", "[cds][audit]") {
  namespace fs = std::filesystem;
  fs::path folder = fs::temp_directory_path() / ("triage-feedback-test-" + new_decision_id());
  fs::create_directories(folder);
  std::string db = (folder / "audit.db").string();
  CdsFixture fixture;
  std::string error;
  // Two cards issued to the EHR https://ehr.test (decision ids are card uuids), one to another EHR.
  auto issue = [&](AuditLog& log, const std::string& decision_id, const std::string& client) {
    AuditRecord record;
    record.decision_id = decision_id;
    record.decided_at_micros = now_micros();
    record.client = client;
    record.ruleset_hash = "h";
    record.answers = "{}";
    record.decision = "{}";
    std::promise<bool> stored;
    log.append(std::move(record), [&stored](bool ok, const std::string&) { stored.set_value(ok); });
    REQUIRE(stored.get_future().get());
  };
  {
    auto log = AuditLog::open(db, error);
    REQUIRE(log != nullptr);
    issue(*log, "decision-1", "https://ehr.test#client-7");
    issue(*log, "decision-2", "https://ehr.test");
    issue(*log, "decision-9", "https://other-ehr.test#someone");
    fixture.service.record_feedback = fhir::feedback_to_audit_log(*log);
    Json feedback = {{"feedback",
                      Json::array({{{"card", "decision-1"}, {"outcome", "overridden"},
                                    {"overrideReason", {{"reason", {{"code", "already-referred"}}}, {"userComment", "Seen in A&E"}}},
                                    {"outcomeTimestamp", "2026-11-30T10:01:00Z"}},
                                   {{"card", "decision-2"}, {"outcome", "accepted"},
                                    {"acceptedSuggestions", Json::array({{{"id", "s-1"}}})},
                                    {"outcomeTimestamp", "2026-11-30T10:02:00Z"}}})}};
    auto post = [&](const Json& body) {
      return fixture.call("POST", "/cds-services/back-pain-triage/feedback", body, fixture.good());
    };
    auto result = post(feedback);
    REQUIRE(result.status == 200);
    // Hardening v3: a retried post is stored once; a card never issued, or issued to another EHR,
    // is refused and stores nothing.
    CHECK(post(feedback).status == 200);
    auto one = [](const std::string& card) {
      return Json{{"feedback", Json::array({{{"card", card}, {"outcome", "accepted"},
                                             {"outcomeTimestamp", "2026-11-30T10:05:00Z"}}})}};
    };
    auto unknown = post(one("never-issued"));
    CHECK(unknown.status == 404);
    CHECK_THAT(unknown.body, Catch::Contains("no decision card with uuid `never-issued`"));
    auto foreign = post(one("decision-9"));
    CHECK(foreign.status == 403);
    CHECK_THAT(foreign.body, Catch::Contains("issued to another client"));
    log->close();
  }
  auto reader = AuditReader::open(db, error);
  REQUIRE(reader != nullptr);
  CHECK(reader->feedback("").size() == 2);
  CHECK(reader->feedback("decision-9").empty());
  auto rows = reader->feedback("decision-1");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].outcome == "overridden");
  CHECK(rows[0].override_reason == "already-referred");
  CHECK(rows[0].override_comment == "Seen in A&E");
  CHECK(rows[0].client == "https://ehr.test#client-7");
  CHECK(reader->feedback("").size() == 2);
  reader.reset();

  std::string out;
  FILE* pipe = popen((std::string(TRIAGE_BINARY) + " audit feedback --db " + db + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  std::size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  CHECK(pclose(pipe) == 0);
  CHECK_THAT(out, Catch::Contains("decision=decision-1 outcome=overridden reason=\"already-referred\" comment=\"Seen in A&E\""));
  CHECK_THAT(out, Catch::Contains("decision=decision-2 outcome=accepted suggestions=s-1"));

  // A version-4 log (before the feedback table) reads as having none, and migrates when opened.
  {
    sqlite3* handle = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &handle) == SQLITE_OK);
    REQUIRE(sqlite3_exec(handle, "DROP TABLE feedback; ALTER TABLE decisions DROP COLUMN trace_id; ALTER TABLE checkpoints DROP "
                                 "COLUMN feedback_seq; ALTER TABLE checkpoints DROP COLUMN feedback_head; DROP TABLE cds_tokens; "
                                 "PRAGMA user_version = 4", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(handle);
  }
  reader = AuditReader::open(db, error);
  REQUIRE(reader != nullptr);
  CHECK(reader->feedback("").empty());
  reader.reset();
  auto log = AuditLog::open(db, error);
  INFO(error);
  REQUIRE(log != nullptr);
  FeedbackEntry entry;
  entry.decision_id = "decision-2";
  entry.issuer = "https://ehr.test";
  entry.outcome = "accepted";
  CHECK(log->store_feedback(entry, error) == FeedbackStored::stored);
  log->close();
  fs::remove_all(folder);
}

}  // namespace triage::test

namespace triage::test {
namespace {

// A response for `patient` authored at `authored`, answering as the example intake `file`.
Json response_for(const Json& questionnaire, const std::string& file, const std::string& patient,
                  const std::string& authored, const std::string& status = "completed") {
  Json response = response_from_intake(questionnaire, example_answers(file));
  response["subject"] = {{"reference", "Patient/" + patient}};
  response["authored"] = authored;
  response["status"] = status;
  return response;
}

}  // namespace

TEST_CASE("CDS Hooks never decides another patient's response (hardening v3, the wrong patient)", "[cds][patient]") {
  CdsFixture fixture;
  Json questionnaire = questionnaire_json(fixture);
  // The hook is for p1. p2's response is an emergency; p1's a routine referral.
  Json theirs = response_for(questionnaire, "emergency_cauda_equina.json", "p2", "2026-12-01T10:00:00Z");
  Json mine = response_for(questionnaire, "routine_pain_below_knee.json", "p1", "2026-11-20T10:00:00Z");
  auto hook = [&](const Json& prefetch) {
    return fixture.call("POST", "/cds-services/back-pain-triage", hook_call({{"questionnaireResponse", prefetch}}),
                        fixture.good());
  };
  SECTION("a prefetched response about another patient: a card saying so, no decision, no referral") {
    auto result = hook(theirs);
    REQUIRE(result.status == 200);
    CHECK(fixture.decisions.empty());
    Json card = Json::parse(result.body)["cards"][0];
    CHECK(card["summary"] == "Back-pain questionnaire on file is for another patient; not used");
    CHECK(card["summary"].get<std::string>().size() < 140);
    CHECK(card["indicator"] == "warning");
    CHECK_FALSE(card.contains("suggestions"));
    CHECK(result.body.find("p2") == std::string::npos);  // nothing of the other patient is echoed
    CHECK_THAT(result.log_note, Catch::Contains("1 about another patient"));
  }
  SECTION("absolute and versioned references to the other patient are refused too") {
    theirs["subject"]["reference"] = "https://ehr.test/fhir/Patient/p2/_history/3";
    CHECK(Json::parse(hook(theirs).body)["cards"][0]["indicator"] == "warning");
    theirs["subject"] = {{"identifier", {{"value", "nhs-123"}}}};  // no reference to match: not used
    CHECK(Json::parse(hook(theirs).body)["cards"][0]["indicator"] == "warning");
    CHECK(fixture.decisions.empty());
  }
  SECTION("a Bundle mixing patients: the hook patient's newest response is decided, not the newest overall") {
    Json bundle = search_bundle(theirs);
    bundle["entry"].push_back({{"resource", mine}});
    auto result = hook(bundle);
    REQUIRE(result.status == 200);
    REQUIRE(fixture.decisions.size() == 1);
    CHECK(fixture.decisions[0].urgency() == v1::routine);
    Json card = Json::parse(result.body)["cards"][0];
    CHECK(card["indicator"] == "info");
    CHECK(card["suggestions"][0]["actions"][0]["resource"]["subject"]["reference"] == "Patient/p1");
  }
  SECTION("the hook patient's own reference, absolute or versioned, is decided") {
    mine["subject"]["reference"] = "https://ehr.test/fhir/Patient/p1/_history/2";
    REQUIRE(hook(mine).status == 200);
    CHECK(fixture.decisions.size() == 1);
  }
  SECTION("responses entered-in-error or stopped are not decided") {
    for (const char* status : {"entered-in-error", "stopped"}) {
      Json withdrawn = response_for(questionnaire, "emergency_cauda_equina.json", "p1", "2026-12-02T10:00:00Z", status);
      auto result = hook(withdrawn);
      REQUIRE(result.status == 200);
      CHECK(Json::parse(result.body)["cards"][0]["summary"] == "Back-pain questionnaire on file was withdrawn; not triaged");
      // Beside an older completed one, the completed one is decided.
      Json bundle = search_bundle(withdrawn);
      bundle["entry"].push_back({{"resource", mine}});
      REQUIRE(hook(bundle).status == 200);
    }
    REQUIRE(fixture.decisions.size() == 2);
    CHECK(fixture.decisions[0].urgency() == v1::routine);
    CHECK(fixture.decisions[1].urgency() == v1::routine);
  }
  SECTION("the same from the fhirServer's search answer") {
    fixture.service.fhir_servers = {"https://fhir.ehr.test/r4"};
    fixture.service.fetch = [&](const std::string&, const std::string&, std::function<void(fhir::Fetched)> done) {
      done({true, 200, "", search_bundle(theirs).dump()});
    };
    Json call = hook_call(nullptr);
    call["fhirServer"] = "https://fhir.ehr.test/r4";
    auto result = fixture.call("POST", "/cds-services/back-pain-triage", call, fixture.good());
    REQUIRE(result.status == 200);
    CHECK(fixture.decisions.empty());
    CHECK(Json::parse(result.body)["cards"][0]["summary"] == "Back-pain questionnaire on file is for another patient; not used");
  }
}

TEST_CASE("FHIR $evaluate refuses a Parameters with two responses and a withdrawn response", "[fhir][patient]") {
  CdsFixture fixture;
  Json questionnaire = questionnaire_json(fixture);
  Json one = response_for(questionnaire, "emergency_cauda_equina.json", "p1", "2026-12-01T10:00:00Z");
  Json two = response_for(questionnaire, "self_care_lower_back.json", "p2", "2026-12-01T10:00:00Z");
  Json parameters = {{"resourceType", "Parameters"},
                     {"parameter", Json::array({{{"name", "in"}, {"resource", one}}, {{"name", "in"}, {"resource", two}}})}};
  auto result = fixture.call("POST", "/fhir/QuestionnaireResponse/$evaluate", parameters,
                             {{"Content-Type", "application/fhir+json"}});
  CHECK(result.status == 400);
  CHECK_THAT(result.body, Catch::Contains("Parameters holds 2 QuestionnaireResponses; send exactly one"));
  Json stopped = response_for(questionnaire, "emergency_cauda_equina.json", "p1", "2026-12-01T10:00:00Z", "stopped");
  result = fixture.call("POST", "/fhir/QuestionnaireResponse/$evaluate", stopped,
                        {{"Content-Type", "application/fhir+json"}});
  CHECK(result.status == 400);
  CHECK_THAT(result.body, Catch::Contains("is not triaged"));
  CHECK(fixture.decisions.empty());
}

TEST_CASE("integrators v3: an empty searchset prefetch means no data; XML is 406; Questionnaire?url= is a search",
          "[fhir][integrators]") {
  CdsFixture fixture;
  Json empty = {{"resourceType", "Bundle"}, {"type", "searchset"}, {"total", 0}};
  auto hook = fixture.call("POST", "/cds-services/back-pain-triage", hook_call({{"questionnaireResponse", empty}}),
                           fixture.good());
  CHECK(hook.status == 200);
  CHECK(Json::parse(hook.body)["cards"].empty());
  CHECK(fixture.decisions.empty());

  struct Case {
    const char* target;
    fhir::Headers headers;
    int status;
  };
  const Case cases[] = {
      {"/fhir/metadata", {{"Accept", "application/fhir+xml"}}, 406},
      {"/fhir/metadata?_format=xml", {}, 406},
      {"/fhir/Questionnaire/back-pain-triage?_format=application/fhir%2Bxml", {}, 406},
      {"/fhir/metadata", {{"Accept", "text/xml"}}, 406},
      {"/fhir/metadata", {{"Accept", "application/fhir+json"}}, 200},
      {"/fhir/metadata", {{"Accept", "application/fhir+xml;q=0.9, application/json"}}, 200},
      {"/fhir/metadata", {{"Accept", "*/*"}}, 200},
      {"/fhir/metadata?_format=json", {}, 200},
  };
  for (const auto& c : cases) {
    INFO(c.target);
    auto result = fixture.call("GET", c.target, nullptr, c.headers);
    CHECK(result.status == c.status);
    if (c.status == 406) CHECK(Json::parse(result.body)["resourceType"] == "OperationOutcome");
  }

  std::string canonical = fixture.service.names.questionnaire_url();
  auto found = Json::parse(fixture.call("GET", "/fhir/Questionnaire?url=" + canonical + "%7C3.0.0").body);
  CHECK(found["resourceType"] == "Bundle");
  CHECK(found["type"] == "searchset");
  CHECK(found["total"] == 1);
  CHECK(found["entry"][0]["resource"]["url"] == canonical);
  auto none = Json::parse(fixture.call("GET", "/fhir/Questionnaire?url=https://elsewhere.test/Questionnaire/x").body);
  CHECK(none["total"] == 0);
  CHECK_FALSE(none.contains("entry"));
}

}  // namespace triage::test
