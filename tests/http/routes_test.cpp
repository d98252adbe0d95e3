// The HTTP routes without sockets: a real Decider over a temporary audit log, requests handed to
// the Router, replies compared with what `triage eval` and the gRPC mapping give.
#include <google/protobuf/util/json_util.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <future>
#include <set>

#include "api/decision_json.hpp"
#include "api/decision_proto.hpp"
#include "audit/reader.hpp"
#include "fhir/fhir_support.hpp"
#include "http/fhir_service.hpp"
#include "http/routes.hpp"
#include "ruleset/loader.hpp"
#include "support.hpp"
#include "util/json_text.hpp"

namespace triage {
namespace {

namespace fs = std::filesystem;

// One Router on the shipped rules, its audit log in a fresh temporary folder.
struct Fixture {
  fs::path folder = fs::temp_directory_path() / ("triage-routes-test-" + new_decision_id());
  std::unique_ptr<AuditLog> audit;
  std::unique_ptr<Decider> decider;
  std::unique_ptr<http_api::Router> router;
  bool ready = true;

  Fixture() {
    fs::create_directories(folder);
    std::string error;
    audit = AuditLog::open((folder / "audit.db").string(), error);
    REQUIRE(audit);
    auto served = std::make_shared<ServedRuleset>();
    LoadResult loaded = load_ruleset(test::source_path("rules"));
    REQUIRE(loaded.ruleset);
    served->ruleset = loaded.ruleset;
    served->info.set_ruleset_hash(loaded.ruleset->model->hash);
    served->questionnaire = to_questionnaire(*loaded.ruleset);
    auto log = std::make_shared<EventLog>(make_stderr_logger(false), false);
    decider = std::make_unique<Decider>(served, *audit, log, [](bool) {});
    std::map<std::string, http_api::StaticFile> kiosk{{"index.html", {"text/html; charset=utf-8", "<!doctype html>"}}};
    http_api::FhirOptions fhir_options;
    fhir_options.base_url = "https://triage.test";
    auto fhir = http_api::make_fhir_service(*decider, *audit, fhir_options, error);
    REQUIRE(fhir);
    router = std::make_unique<http_api::Router>(*decider, [this] { return ready; }, kiosk, fhir);
  }
  ~Fixture() {
    audit->close();
    std::error_code ignored;
    fs::remove_all(folder, ignored);
  }

  http_api::Reply handle(const std::string& method, const std::string& target, const std::string& body = "",
                         const std::string& content_type = "application/json", const std::string& timeout = "",
                         const std::string& authorization = "") {
    http_api::Request request{method, target, content_type, "id:test", timeout, body, authorization};
    v1::Decision decision;
    std::promise<http_api::Reply> promise;
    router->handle(request, decision, [&](http_api::Reply reply) { promise.set_value(std::move(reply)); });
    return promise.get_future().get();
  }
};

std::string header(const http_api::Reply& reply, const std::string& name) {
  for (const auto& [key, value] : reply.headers) {
    if (key == name) return value;
  }
  return {};
}

}  // namespace

TEST_CASE("POST /v1/evaluate answers what triage eval prints, after the commit", "[http]") {
  Fixture f;
  std::string intake = test::read_file(test::source_path("rules/examples/self_care_lower_back.json"));
  intake.insert(intake.find('{') + 1, "\"request_id\": \"session-42\",");
  auto reply = f.handle("POST", "/v1/evaluate", intake);
  REQUIRE(reply.status == 200);
  CHECK(reply.body.back() == '\n');
  v1::Decision parsed;
  REQUIRE(google::protobuf::util::JsonStringToMessage(reply.body, &parsed).ok());
  CHECK(parsed.request_id() == "session-42");
  // The same printer as the command line: printing the parsed message gives the same bytes.
  CHECK(decision_to_json(parsed) + "\n" == reply.body);
  v1::Decision expected = test::decide(test::shipped(), test::read_file(test::source_path(
                                                            "rules/examples/self_care_lower_back.json")));
  CHECK(parsed.plan_size() == expected.plan_size());
  CHECK(parsed.outcome() == expected.outcome());
}

TEST_CASE("POST /v1/evaluate-batch and Connect EvaluateBatch: one result per intake, after the commit",
          "[http][batch]") {
  Fixture f;
  std::string good = test::read_file(test::source_path("rules/examples/self_care_lower_back.json"));
  std::string body = "{\"request_id\": \"list-1\", \"intakes\": [" + good +
                     ", {\"answers\": {\"pain_intensity\": 11}}, 7, " + good + "]}";
  auto reply = f.handle("POST", "/v1/evaluate-batch", body);
  REQUIRE(reply.status == 200);
  v1::EvaluateBatchResponse parsed;
  REQUIRE(google::protobuf::util::JsonStringToMessage(reply.body, &parsed).ok());
  CHECK(batch_to_json(parsed) + "\n" == reply.body);  // the printer is the protobuf JSON mapping
  REQUIRE(parsed.results_size() == 4);
  v1::Decision expected = test::decide(test::shipped(), good);
  for (int i : {0, 3}) {
    REQUIRE(parsed.results(i).has_decision());
    CHECK(parsed.results(i).decision().request_id() == "list-1#" + std::to_string(i));
    CHECK(parsed.results(i).decision().plan_size() == expected.plan_size());
  }
  CHECK(parsed.results(0).decision().decision_id() != parsed.results(3).decision().decision_id());
  REQUIRE(parsed.results(1).has_error());
  CHECK(parsed.results(1).error().code() == "invalid_argument");
  REQUIRE(parsed.results(1).error().details_size() == 1);
  CHECK(parsed.results(1).error().details(0).fact() == "pain_intensity");
  REQUIRE(parsed.results(2).has_error());  // not an intake object: refused on its own
  CHECK(parsed.results(2).error().message().find("\"answers\" object") != std::string::npos);
  // Answered after the commit: both decisions are in the log already, and nothing else.
  std::string error;
  auto reader = AuditReader::open((f.folder / "audit.db").string(), error);
  REQUIRE(reader);
  std::set<std::string> logged;
  reader->for_each_decision(DecisionFilter{}, [&](const DecisionRow& row) {
    logged.insert(row.decision_id);
    CHECK(row.request_id.rfind("list-1#", 0) == 0);
    return true;
  });
  CHECK(logged == std::set<std::string>{parsed.results(0).decision().decision_id(),
                                        parsed.results(3).decision().decision_id()});
}

TEST_CASE("Connect EvaluateBatch takes the protobuf JSON; a batch's own problems are one error", "[http][batch]") {
  Fixture f;
  auto reply = f.handle("POST", "/triage.v1.TriageService/EvaluateBatch",
                        "{\"requestId\": \"b\", \"intakes\": [{\"answers\": {\"bladder_or_bowel_change\": "
                        "{\"boolValue\": true}}}, {\"answers\": {\"night_pain\": {}}}]}");
  REQUIRE(reply.status == 200);
  v1::EvaluateBatchResponse parsed;
  REQUIRE(google::protobuf::util::JsonStringToMessage(reply.body, &parsed).ok());
  REQUIRE(parsed.results_size() == 2);
  REQUIRE(parsed.results(0).has_decision());
  CHECK(parsed.results(0).decision().outcome() == v1::refer);
  CHECK(parsed.results(0).decision().request_id() == "b#0");
  REQUIRE(parsed.results(1).has_error());
  CHECK(parsed.results(1).error().details(0).fact() == "night_pain");

  struct Case {
    const char* target;
    std::string body;
    unsigned status;
    const char* message;
  };
  std::string many = "{\"intakes\": [";
  for (std::size_t i = 0; i <= max_batch_intakes; ++i) many += i ? ",{}" : "{}";
  many += "]}";
  const std::vector<Case> cases{
      {"/v1/evaluate-batch", "{", 400, "not valid JSON"},
      {"/v1/evaluate-batch", "{\"intakes\": {}}", 400, "intakes\\\" list, like"},  // quotes escaped in JSON
      {"/v1/evaluate-batch", "{\"intakes\": [], \"x\": 1}", 400, "unexpected key \\\"x\\\""},
      {"/v1/evaluate-batch", many, 400, "the batch has 257 intakes; at most 256 are allowed"},
      {"/triage.v1.TriageService/EvaluateBatch", many, 400, "the batch has 257 intakes"},
      {"/v1/evaluate-batch", "{\"request_id\": \"" + std::string(125, 'r') + "\", \"intakes\": []}", 400,
       "at most 124"},
      {"/triage.v1.TriageService/EvaluateBatch", "{\"intakes\": 3}", 400, "EvaluateBatchRequest"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.target, c.body.substr(0, 80));
    auto refused = f.handle("POST", c.target, c.body);
    CHECK(refused.status == c.status);
    CHECK(refused.body.find("\"code\":\"invalid_argument\"") != std::string::npos);
    CHECK(refused.body.find(c.message) != std::string::npos);
  }
  auto empty = f.handle("POST", "/v1/evaluate-batch", "{\"intakes\": []}");
  CHECK(empty.status == 200);
  CHECK(empty.body == "{\"results\":[]}\n");
}

TEST_CASE("the HTTP routes answer each status with a JSON error body", "[http]") {
  struct Case {
    const char* method;
    const char* target;
    const char* body;
    const char* content_type;
    unsigned status;
    const char* code;
  };
  const std::vector<Case> cases{
      {"GET", "/nowhere", "", "", 404, "not_found"},
      {"GET", "/v1/evaluate", "", "", 405, "unimplemented"},
      {"POST", "/healthz", "", "", 405, "unimplemented"},
      {"POST", "/v1/evaluate", "{", "application/json", 400, "invalid_argument"},
      {"POST", "/v1/evaluate", "{\"answers\": {\"pain_intensity\": 11}}", "application/json", 400, "invalid_argument"},
      {"POST", "/v1/evaluate", "{}", "text/plain", 415, "invalid_argument"},
      {"POST", "/triage.v1.TriageService/Evaluate", "{\"answers\": 3}", "application/json", 400, "invalid_argument"},
      {"POST", "/triage.v1.TriageService/ReloadRules", "{}", "application/json", 404, "unimplemented"},
  };
  Fixture f;
  for (const auto& c : cases) {
    CAPTURE(c.method, c.target, c.body);
    auto reply = f.handle(c.method, c.target, c.body, c.content_type);
    CHECK(reply.status == c.status);
    CHECK(reply.body.find(std::string("\"code\":\"") + c.code + "\"") != std::string::npos);
    CHECK(reply.body.find("\"details\":[") != std::string::npos);
    if (c.status == 405) CHECK(!header(reply, "Allow").empty());
  }
}

TEST_CASE("400 names every bad answer, 504 past the deadline and 503 when not ready", "[http]") {
  Fixture f;
  auto bad = f.handle("POST", "/v1/evaluate", "{\"answers\": {\"pain_intensity\": 11, \"onset\": \"x\"}}");
  CHECK(bad.status == 400);
  CHECK(bad.body.find("{\"fact\":\"onset\"") != std::string::npos);
  CHECK(bad.body.find("{\"fact\":\"pain_intensity\",\"message\":\"`pain_intensity` expects a whole number from 0 to "
                      "10, got 11\"}") != std::string::npos);
  auto late = f.handle("POST", "/v1/evaluate", "{\"answers\": {}}", "application/json", "0");
  CHECK(late.status == 504);
  CHECK(f.handle("GET", "/readyz").status == 200);
  f.ready = false;
  auto down = f.handle("GET", "/readyz");
  CHECK(down.status == 503);
  CHECK(header(down, "Retry-After") == "1");
}

TEST_CASE("a request_id or client id that is not printable UTF-8 is refused at the edge, nothing logged",
          "[http][utf8]") {
  // Hardening v3 item 2: one such byte in the audit record made the reply, the JSON logs and
  // `audit export` invalid JSON, and stopped central shipping at that record for good.
  Fixture f;
  const std::string answers = R"("answers": {"bladder_or_bowel_change": true})";
  for (const std::string& id : {std::string("\xff\xfe"), std::string("cut \xe2\x82"), std::string("\\u0007bell"),
                                std::string("tab\\there")}) {
    INFO(id);
    auto reply = f.handle("POST", "/v1/evaluate", "{" + answers + R"(, "request_id": ")" + id + "\"}");
    CHECK(reply.status == 400);
    CHECK(reply.body.find("request_id must be UTF-8 text without control characters") != std::string::npos);
    CHECK(valid_utf8(reply.body) == reply.body);
  }
  http_api::Request request{"POST", "/v1/evaluate", "application/json", "id:\xc3\x28", "", "{" + answers + "}", ""};
  v1::Decision decision;
  std::promise<http_api::Reply> promise;
  f.router->handle(request, decision, [&](http_api::Reply reply) { promise.set_value(std::move(reply)); });
  http_api::Reply reply = promise.get_future().get();
  CHECK(reply.status == 400);
  CHECK(reply.body.find("the client id (X-Client-Id") != std::string::npos);
  // A well-formed non-ASCII id is fine.
  CHECK(f.handle("POST", "/v1/evaluate", "{" + answers + R"(, "request_id": "séance-ü-✓"})").status == 200);
  std::string error;
  auto reader = AuditReader::open((f.folder / "audit.db").string(), error);
  REQUIRE(reader);
  CHECK(reader->last_seq() == 1);
}

TEST_CASE("a compressed body is refused, never misread: Connect unimplemented (501), REST 415", "[http]") {
  Fixture f;
  auto send = [&](const std::string& target, const std::string& body, const std::string& content_type,
                  const std::string& encoding) {
    http_api::Request request{"POST", target, content_type, "id:test", "", body, ""};
    request.content_encoding = encoding;
    v1::Decision decision;
    std::promise<http_api::Reply> promise;
    f.router->handle(request, decision, [&](http_api::Reply reply) { promise.set_value(std::move(reply)); });
    return promise.get_future().get();
  };
  const std::string gzipped("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);  // a gzip header
  for (const char* type : {"application/proto", "application/json"}) {
    CAPTURE(type);
    auto connect = send("/triage.v1.TriageService/Evaluate", gzipped, type, "gzip");
    CHECK(connect.status == 501);
    CHECK(connect.content_type == "application/json");
    CHECK(connect.body.find("\"code\":\"unimplemented\"") != std::string::npos);
    CHECK(connect.body.find("Content-Encoding gzip is not supported; the supported encodings are: identity") !=
          std::string::npos);
    CHECK(header(connect, "Accept-Encoding") == "identity");
    CHECK(send("/triage.v1.TriageService/GetRuleset", gzipped, type, " BR ").status == 501);
  }
  for (const char* path : {"/v1/evaluate", "/v1/evaluate-batch"}) {
    CAPTURE(path);
    auto rest = send(path, gzipped, "application/json", "gzip");
    CHECK(rest.status == 415);
    CHECK(rest.body.find("\"code\":\"invalid_argument\"") != std::string::npos);
    CHECK(header(rest, "Accept-Encoding") == "identity");
  }
  // identity (any case) is the body as it is; an empty body has nothing to decode.
  CHECK(send("/triage.v1.TriageService/GetRuleset", "{}", "application/json", "Identity").status == 200);
  CHECK(send("/triage.v1.TriageService/GetRuleset", "", "application/proto", "gzip").status == 200);
  CHECK(send("/v1/evaluate", "{\"answers\": {}}", "application/json", "identity").status == 200);
}

TEST_CASE("the shipping lag is in /readyz, GET /v1/ruleset and GetRuleset only when the server ships", "[http]") {
  Fixture f;
  const std::vector<std::string> ruleset_paths{"/v1/ruleset", "/triage.v1.TriageService/GetRuleset"};
  auto get = [&](const std::string& path) {
    return path == "/v1/ruleset" ? f.handle("GET", path) : f.handle("POST", path, "{}");
  };
  for (const auto& path : ruleset_paths) CHECK(get(path).body.find("\"shipping\"") == std::string::npos);
  CHECK(f.handle("GET", "/readyz").body == "{\"status\":\"SERVING\"}");

  std::int64_t lag = 7;
  f.decider->set_status([&lag](v1::RulesetInfo& info) {
    info.mutable_shipping()->set_replica_id("triage-0");
    info.mutable_shipping()->set_lag_records(static_cast<std::uint64_t>(lag));
    info.mutable_shipping()->set_central_seq(40);
    info.mutable_shipping()->set_seconds_since_success(-1);
  });
  for (const auto& path : ruleset_paths) {
    v1::RulesetInfo parsed;
    auto reply = get(path);
    REQUIRE(reply.status == 200);
    REQUIRE(google::protobuf::util::JsonStringToMessage(reply.body, &parsed).ok());
    CHECK(parsed.ruleset_hash() == f.decider->served()->info.ruleset_hash());
    CHECK(parsed.shipping().replica_id() == "triage-0");
    CHECK(parsed.shipping().lag_records() == 7);
    CHECK(parsed.shipping().central_seq() == 40);
  }
  lag = 0;  // read at each request, not at start
  auto ready = f.handle("GET", "/readyz");
  CHECK(ready.status == 200);
  CHECK(ready.body.find("{\"status\":\"SERVING\",\"shipping\":{\"replica_id\":\"triage-0\",\"lag_records\":\"0\"") == 0);
  f.ready = false;  // a lag never makes the server unready, but an unready server still reports it
  auto down = f.handle("GET", "/readyz");
  CHECK(down.status == 503);
  CHECK(down.body.find("\"details\":[],\"shipping\":{\"replica_id\":\"triage-0\"") != std::string::npos);
}

TEST_CASE("error bodies are UTF-8 JSON whatever bytes the request path holds", "[http]") {
  // Found by fuzz_http: a path with a byte that is not UTF-8 was quoted raw into the error body
  // (invalid JSON for strict parsers), and under /fhir/ the 404 became a 400 "malformed input".
  struct Case {
    const char* target;
    unsigned status;
  };
  const std::vector<Case> cases{{"/triage.v1.TriageS\xc3" "ervice/GetQuestionnaire", 404},
                                {"/v1/\xff\xfe", 404},
                                {"/healthz\xc3", 404},
                                {"/fhir/Questionnaire/\xe0\x80\x80", 404},
                                {"/cds-services/\xed\xa0\x80", 404}};
  Fixture f;
  for (const auto& c : cases) {
    CAPTURE(c.target);
    auto reply = f.handle("GET", c.target);
    CHECK(reply.status == c.status);
    CHECK_FALSE(fhir::Json::parse(reply.body, nullptr, false).is_discarded());
    CHECK_THAT(reply.body, Catch::Contains("\xEF\xBF\xBD"));
  }
  auto not_allowed = f.handle("P\xc3ST", "/v1/evaluate");
  CHECK(not_allowed.status == 405);
  CHECK_FALSE(fhir::Json::parse(not_allowed.body, nullptr, false).is_discarded());

  const std::vector<std::pair<std::string, std::string>> utf8{
      {"plain", "plain"},
      {"caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x98\x80"},
      {"\xc3", "\xEF\xBF\xBD"},                                      // cut short
      {"\x80x", "\xEF\xBF\xBDx"},                                    // stray continuation byte
      {"\xc0\xaf", "\xEF\xBF\xBD\xEF\xBF\xBD"},                      // overlong
      {"\xe0\x80\xaf", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},      // overlong
      {"\xed\xa0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},      // a surrogate
      {"\xf4\x90\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},  // past U+10FFFF
  };
  for (const auto& [in, out] : utf8) {
    CAPTURE(in);
    CHECK(valid_utf8(in) == out);
  }
}

TEST_CASE("every reply carries a strict CSP and CORS only for the configured origin", "[http]") {
  http_api::Reply reply;
  http_api::add_common_headers(reply, "https://other.example", "");
  CHECK(header(reply, "Content-Security-Policy").rfind("default-src 'none'", 0) == 0);
  CHECK(header(reply, "Access-Control-Allow-Origin").empty());
  http_api::Reply allowed;
  http_api::add_common_headers(allowed, "https://clinic.example", "https://clinic.example");
  CHECK(header(allowed, "Access-Control-Allow-Origin") == "https://clinic.example");
  http_api::Reply other;
  http_api::add_common_headers(other, "https://other.example", "https://clinic.example");
  CHECK(header(other, "Access-Control-Allow-Origin").empty());
  // Several origins (--http-cors-origin a,b): each is allowed as itself, nothing else is.
  const std::string two = "https://clinic.example, https://kiosk.example:8443";
  for (const char* origin : {"https://clinic.example", "https://kiosk.example:8443"}) {
    http_api::Reply listed;
    http_api::add_common_headers(listed, origin, two);
    CHECK(header(listed, "Access-Control-Allow-Origin") == origin);
  }
  for (const char* origin : {"https://kiosk.example", "https://clinic.example.evil", "", "https://clinic"}) {
    CAPTURE(origin);
    CHECK_FALSE(http_api::cors_allowed(origin, two));
  }
  CHECK(http_api::cors_allowed("https://anyone.example", "*"));
}

TEST_CASE("the kiosk's files are read once and served by name only", "[http]") {
  auto files = http_api::load_static_files(test::source_path("web/kiosk"));
  REQUIRE(files.count("index.html") == 1);
  CHECK(files.at("kiosk.js").content_type == "text/javascript; charset=utf-8");
  CHECK(files.at("kiosk.css").content_type == "text/css; charset=utf-8");
  CHECK(http_api::load_static_files(test::source_path("no-such-folder")).empty());
  Fixture f;
  CHECK(f.handle("GET", "/kiosk/").status == 200);
  CHECK(f.handle("GET", "/kiosk/../README.md").status == 404);
  CHECK(f.handle("GET", "/").status == 308);
}

TEST_CASE("FHIR and CDS Hooks paths go to the FHIR layer; its decisions are in the audit log", "[http][fhir]") {
  Fixture f;
  auto metadata = f.handle("GET", "/fhir/metadata");
  CHECK(metadata.status == 200);
  CHECK(metadata.content_type == "application/fhir+json");
  CHECK(fhir::Json::parse(metadata.body)["resourceType"] == "CapabilityStatement");
  // Unknown FHIR paths are FHIR errors, not the JSON API's.
  auto missing = f.handle("GET", "/fhir/Patient/1");
  CHECK(missing.status == 404);
  CHECK(fhir::Json::parse(missing.body)["resourceType"] == "OperationOutcome");

  auto questionnaire = fhir::Json::parse(f.handle("GET", "/fhir/Questionnaire/back-pain-triage").body);
  auto response = test::response_from_intake(questionnaire, test::example_answers("self_care_lower_back.json"));
  auto reply = f.handle("POST", "/fhir/QuestionnaireResponse/$evaluate", response.dump(), "application/fhir+json");
  REQUIRE(reply.status == 200);
  auto bundle = fhir::Json::parse(reply.body);
  REQUIRE(bundle["resourceType"] == "Bundle");
  std::string decision_id = bundle["entry"][0]["resource"]["identifier"][0]["value"].get<std::string>();
  // Replied after the commit: the decision is in the log, under the transport's client identity.
  std::string error;
  auto reader = AuditReader::open((f.folder / "audit.db").string(), error);
  REQUIRE(reader);
  std::vector<DecisionRow> rows;
  reader->for_each_decision({}, [&](const DecisionRow& row) {
    rows.push_back(row);
    return true;
  });
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].decision_id == decision_id);
  CHECK(rows[0].client == "fhir:id:test");

  // Without --cds-jwks no CDS client is trusted: discovery only.
  CHECK(f.handle("GET", "/cds-services").status == 200);
  auto hook = f.handle("POST", "/cds-services/back-pain-triage", "{}", "application/json", "",
                       "Bearer a.b.c");
  CHECK(hook.status == 401);
  CHECK(header(hook, "WWW-Authenticate").find("not_configured") != std::string::npos);
}

}  // namespace triage
