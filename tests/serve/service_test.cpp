// The gRPC service in process, through the generated C++ client: every RPC, each kind of bad input,
// health status, and an audit log that cannot be written.
#include <catch2/catch.hpp>

#include <grpcpp/grpcpp.h>
#include <spdlog/sinks/null_sink.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "api/answers_proto.hpp"
#include "grpc/health/v1/health.grpc.pb.h"
#include "serve/decide.hpp"
#include "serve/server.hpp"
#include "support.hpp"
#include "triage/v1/triage.grpc.pb.h"

namespace triage {
namespace {

namespace fs = std::filesystem;

// A server on a free port with its own audit log, and a client for it.
struct Fixture {
  fs::path folder;
  std::unique_ptr<TriageServer> server;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::TriageService::Stub> stub;

  explicit Fixture(int busy_timeout_ms = 5000, bool health_listener = false) {
    folder = fs::temp_directory_path() / ("triage-serve-test-" + new_decision_id());
    fs::create_directories(folder);
    ServeConfig config;
    config.rules = test::source_path("rules");
    config.listen = "127.0.0.1:0";
    config.audit_db = (folder / "audit.db").string();
    config.audit_busy_timeout_ms = busy_timeout_ms;
    config.drain_seconds = 2;
    if (health_listener) config.health_listen = "127.0.0.1:0";
    auto quiet = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
    std::string error;
    server = TriageServer::start(config, std::make_shared<EventLog>(quiet, false), error);
    INFO(error);
    REQUIRE(server != nullptr);
    channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server->port()), grpc::InsecureChannelCredentials());
    stub = v1::TriageService::NewStub(channel);
  }

  ~Fixture() {
    server.reset();
    std::error_code ignored;
    fs::remove_all(folder, ignored);
  }

  std::string audit_db() const { return (folder / "audit.db").string(); }

  grpc::Status evaluate(const v1::EvaluateRequest& request, v1::Decision& decision, int timeout_ms = 5000) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
    return stub->Evaluate(&context, request, &decision);
  }

  grpc::health::v1::HealthCheckResponse::ServingStatus health(std::shared_ptr<grpc::Channel> on = nullptr) {
    auto health = grpc::health::v1::Health::NewStub(on ? on : channel);
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    REQUIRE(health->Check(&context, request, &response).ok());
    return response.status();
  }
};

v1::EvaluateRequest request_for(const std::string& example) {
  std::vector<RawAnswer> raw;
  std::string error;
  REQUIRE(parse_intake_json(test::read_file(test::source_path("rules/examples/" + example)), raw, error));
  v1::EvaluateRequest request;
  REQUIRE(to_request(raw, request, error));
  return request;
}

// The decision without what differs per call.
std::string comparable(v1::Decision decision) {
  decision.clear_decision_id();
  decision.clear_decided_at();
  decision.clear_request_id();
  return to_json(decision);
}

int count_rows(const std::string& db_path, const std::string& decision_id) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db, "SELECT count(*) FROM decisions WHERE decision_id = ?1", -1, &statement, nullptr);
  sqlite3_bind_text(statement, 1, decision_id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_step(statement);
  int count = sqlite3_column_int(statement, 0);
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return count;
}

}  // namespace

TEST_CASE("Evaluate returns what triage eval decides, logged before the reply", "[serve]") {
  Fixture fixture;
  auto example = GENERATE(as<std::string>{}, "self_care_lower_back.json", "emergency_cauda_equina.json",
                          "incomplete_provisional_routine.json");
  v1::EvaluateRequest request = request_for(example);
  request.set_request_id("kiosk-session-1");
  v1::Decision decision;
  grpc::Status status = fixture.evaluate(request, decision);
  INFO(status.error_message());
  REQUIRE(status.ok());
  CHECK(decision.request_id() == "kiosk-session-1");
  CHECK(decision.decision_id().size() == 36);
  v1::Decision local = test::decide(test::shipped(), test::read_file(test::source_path("rules/examples/" + example)));
  CHECK(comparable(decision) == comparable(local));
  CHECK(count_rows(fixture.audit_db(), decision.decision_id()) == 1);
}

TEST_CASE("EvaluateBatch: each intake its own logged decision or its own error, in order", "[serve][batch]") {
  Fixture fixture;
  const std::vector<std::string> examples{"self_care_lower_back.json", "emergency_cauda_equina.json",
                                          "incomplete_provisional_routine.json"};
  v1::EvaluateBatchRequest batch;
  batch.set_request_id("ward-round-9");
  for (const auto& example : examples) *batch.add_intakes() = request_for(example);
  batch.mutable_intakes(1)->set_request_id("own-id");
  v1::EvaluateRequest bad;  // between good ones: refused alone
  (*bad.mutable_answers())["pain_intensity"].set_int_value(11);
  (*bad.mutable_answers())["nigth_pain"].set_bool_value(true);
  *batch.mutable_intakes()->Add() = bad;
  *batch.add_intakes() = request_for("self_care_lower_back.json");
  v1::EvaluateBatchResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::Status status = fixture.stub->EvaluateBatch(&context, batch, &response);
  INFO(status.error_message());
  REQUIRE(status.ok());
  REQUIRE(response.results_size() == 5);
  const std::vector<std::string> ids{"ward-round-9#0", "own-id", "ward-round-9#2", "", "ward-round-9#4"};
  std::set<std::string> decision_ids;
  for (int i : {0, 1, 2, 4}) {
    CAPTURE(i);
    REQUIRE(response.results(i).has_decision());
    const v1::Decision& decision = response.results(i).decision();
    CHECK(decision.request_id() == ids[static_cast<std::size_t>(i)]);
    std::string example = i < 3 ? examples[static_cast<std::size_t>(i)] : examples[0];
    v1::Decision local = test::decide(test::shipped(), test::read_file(test::source_path("rules/examples/" + example)));
    CHECK(comparable(decision) == comparable(local));
    CHECK(count_rows(fixture.audit_db(), decision.decision_id()) == 1);
    decision_ids.insert(decision.decision_id());
  }
  CHECK(decision_ids.size() == 4);  // each its own record
  REQUIRE(response.results(3).has_error());
  const v1::BatchItemError& error = response.results(3).error();
  CHECK(error.code() == "invalid_argument");
  CHECK(error.message() ==
        "invalid answer: unknown fact `nigth_pain`; did you mean `night_pain`?; `pain_intensity` expects a whole "
        "number from 0 to 10, got 11");
  REQUIRE(error.details_size() == 2);
  CHECK(error.details(0).fact() == "nigth_pain");
  CHECK(error.details(1).fact() == "pain_intensity");

  // What concerns the whole batch fails the call; nothing is decided.
  v1::EvaluateBatchRequest too_many;
  for (std::size_t i = 0; i <= max_batch_intakes; ++i) too_many.add_intakes();
  v1::EvaluateBatchResponse refused;
  grpc::ClientContext context2;
  status = fixture.stub->EvaluateBatch(&context2, too_many, &refused);
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(status.error_message() == "the batch has 257 intakes; at most 256 are allowed");
  CHECK(refused.results_size() == 0);
  v1::EvaluateBatchRequest long_id;
  long_id.set_request_id(std::string(125, 'r'));
  *long_id.add_intakes() = request_for("self_care_lower_back.json");
  grpc::ClientContext context3;
  status = fixture.stub->EvaluateBatch(&context3, long_id, &refused);
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(status.error_message() == "the batch's request_id is 125 characters; at most 124 are allowed");
  // An empty batch is an empty answer.
  v1::EvaluateBatchRequest empty;
  grpc::ClientContext context4;
  CHECK(fixture.stub->EvaluateBatch(&context4, empty, &refused).ok());
  CHECK(refused.results_size() == 0);
}

TEST_CASE("GetQuestionnaire and GetRuleset describe the served rules", "[serve]") {
  Fixture fixture;
  grpc::ClientContext questionnaire_context;
  v1::Questionnaire questionnaire;
  REQUIRE(fixture.stub->GetQuestionnaire(&questionnaire_context, {}, &questionnaire).ok());
  CHECK(to_json(questionnaire) == to_json(to_questionnaire(test::shipped())));

  grpc::ClientContext ruleset_context;
  v1::RulesetInfo info;
  REQUIRE(fixture.stub->GetRuleset(&ruleset_context, {}, &info).ok());
  CHECK(info.ruleset_hash() == test::shipped().model->hash);
  CHECK(info.files_size() == 9);  // six clinical files, the header, the source registry and the hazard log
  CHECK(info.fact_count() == test::shipped().model->facts.size());
  CHECK(info.technique_count() == 30);
  CHECK(info.red_flag_count() == test::shipped().model->red_flags.size());
  CHECK(info.rule_count() == test::shipped().model->rules.size());
  CHECK(info.loaded_at().seconds() > 0);
  CHECK(info.title() == test::shipped().model->header.title);
  CHECK(info.status() == test::shipped().model->header.status);
  CHECK(info.hazard_count() == test::shipped().model->hazards.size());
  CHECK(info.signed_by().empty());  // no --trusted-keys here
}

TEST_CASE("bad requests get INVALID_ARGUMENT naming the fact, with the CLI's words", "[serve][invariant]") {
  Fixture fixture;
  struct Case {
    std::string fact;
    v1::AnswerValue value;
    std::string message;
  };
  auto with = [](auto set) {
    v1::AnswerValue value;
    set(value);
    return value;
  };
  auto c = GENERATE_COPY(values<Case>({
      {"pain_intensity", with([](auto& v) { v.set_int_value(11); }),
       "invalid answer: `pain_intensity` expects a whole number from 0 to 10, got 11"},
      {"nigth_pain", with([](auto& v) { v.set_bool_value(true); }),
       "invalid answer: unknown fact `nigth_pain`; did you mean `night_pain`?"},
      {"night_pain", with([](auto& v) { v.set_enum_value("yes"); }),
       "invalid answer: `night_pain` expects true or false, got \"yes\""},
      {"onset", with([](auto& v) { v.set_enum_value("quick"); }),
       "invalid answer: `onset` expects one of sudden, gradual, got \"quick\""},
      {"pain_areas", with([](auto& v) { v.mutable_set_value()->add_values("knee"); }),
       "invalid answer: `pain_areas` expects a list of values from neck, upper_back, mid_back, lower_back, buttock, "
       "leg_above_knee, leg_below_knee; \"knee\" is not one of them"},
      {"leg_pain", with([](auto& v) { v.set_bool_value(true); }),
       "invalid answer: `leg_pain` is worked out from other answers and cannot be answered directly"},
      {"night_pain", v1::AnswerValue{},
       "invalid answer: `night_pain` has no value; set bool_value, int_value, enum_value or set_value"},
  }));
  v1::EvaluateRequest request;
  (*request.mutable_answers())[c.fact] = c.value;
  v1::Decision decision;
  grpc::Status status = fixture.evaluate(request, decision);
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(status.error_message() == c.message);
}

TEST_CASE("many bad answers: a short message with the first 20 problems and a count", "[serve][limits]") {
  Fixture fixture;
  v1::Decision decision;
  v1::EvaluateRequest request;
  for (int i = 0; i < 1000; ++i) (*request.mutable_answers())["unknown_fact_" + std::to_string(i)].set_bool_value(true);
  grpc::Status status = fixture.evaluate(request, decision);
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(status.error_message().size() < 4096);
  CHECK(status.error_message().find("(and 980 more problems)") != std::string::npos);
  std::size_t named = 0;
  for (std::size_t at = status.error_message().find("unknown fact"); at != std::string::npos;
       at = status.error_message().find("unknown fact", at + 1)) {
    ++named;
  }
  CHECK(named == 20);

  v1::EvaluateRequest too_many;
  for (int i = 0; i < 1025; ++i) (*too_many.mutable_answers())["f" + std::to_string(i)].set_bool_value(true);
  status = fixture.evaluate(too_many, decision);
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(status.error_message() == "the request has 1025 answers; at most 1024 are allowed");
}

TEST_CASE("oversized requests, long request ids and passed deadlines are refused", "[serve]") {
  Fixture fixture;
  v1::Decision decision;
  v1::EvaluateRequest huge;
  (*huge.mutable_answers())["onset"].set_enum_value(std::string(100 * 1024, 'x'));
  CHECK(fixture.evaluate(huge, decision).error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);

  v1::EvaluateRequest long_id;
  long_id.set_request_id(std::string(129, 'r'));
  grpc::Status status = fixture.evaluate(long_id, decision);
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(status.error_message().find("request_id") != std::string::npos);

}

TEST_CASE("a deadline that passes while the decision waits for the log is honoured", "[serve]") {
  Fixture fixture(/*busy_timeout_ms=*/3000);
  sqlite3* blocker = nullptr;
  REQUIRE(sqlite3_open(fixture.audit_db().c_str(), &blocker) == SQLITE_OK);
  REQUIRE(sqlite3_exec(blocker, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  v1::Decision decision;
  CHECK(fixture.evaluate(request_for("self_care_lower_back.json"), decision, 300).error_code() ==
        grpc::StatusCode::DEADLINE_EXCEEDED);
  CHECK(decision.decision_id().empty());
  sqlite3_exec(blocker, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(blocker);
}

TEST_CASE("health is SERVING once the rules are loaded and the log is writable", "[serve][health]") {
  Fixture fixture;
  CHECK(fixture.health() == grpc::health::v1::HealthCheckResponse::SERVING);
  fixture.server->shutdown();
}

TEST_CASE("an audit log that cannot be written: UNAVAILABLE, no decision, NOT_SERVING, then recovery",
          "[serve][health][invariant]") {
  Fixture fixture(/*busy_timeout_ms=*/100);
  // Another connection holds the write lock, as a stuck backup job or a full disk would stop writes.
  sqlite3* blocker = nullptr;
  REQUIRE(sqlite3_open(fixture.audit_db().c_str(), &blocker) == SQLITE_OK);
  REQUIRE(sqlite3_exec(blocker, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);

  v1::Decision decision;
  grpc::Status status = fixture.evaluate(request_for("self_care_lower_back.json"), decision);
  CHECK(status.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(decision.decision_id().empty());  // nothing leaves the server unlogged
  CHECK(fixture.health() == grpc::health::v1::HealthCheckResponse::NOT_SERVING);

  REQUIRE(sqlite3_exec(blocker, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(blocker);
  // With no calls arriving (a load balancer stops sending them), the log probes and health recovers.
  auto status_now = fixture.health();
  for (int i = 0; i < 50 && status_now != grpc::health::v1::HealthCheckResponse::SERVING; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    status_now = fixture.health();
  }
  CHECK(status_now == grpc::health::v1::HealthCheckResponse::SERVING);
  status = fixture.evaluate(request_for("self_care_lower_back.json"), decision);
  REQUIRE(status.ok());
  CHECK(count_rows(fixture.audit_db(), decision.decision_id()) == 1);
  CHECK(fixture.health() == grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST_CASE("stopping waits for calls in flight, not for idle client connections", "[serve][shutdown]") {
  Fixture fixture;  // drain_seconds = 2
  v1::Decision decision;
  REQUIRE(fixture.evaluate(request_for("self_care_lower_back.json"), decision).ok());
  // The channel stays open and idle; before, every stop then took the whole drain time.
  auto start = std::chrono::steady_clock::now();
  fixture.server->shutdown();
  CHECK(test::seconds_since(start) < 1.0);
  CHECK(count_rows(fixture.audit_db(), decision.decision_id()) == 1);
}

TEST_CASE("a TLS key that does not fit the certificate is named at start", "[serve][tls]") {
  auto quiet = std::make_shared<spdlog::logger>("quiet", std::make_shared<spdlog::sinks::null_sink_mt>());
  ServeConfig config;
  config.listen = "127.0.0.1:0";
  config.rules = test::source_path("rules");
  fs::path folder = fs::temp_directory_path() / ("triage-tls-" + new_decision_id());
  fs::create_directories(folder);
  config.audit_db = (folder / "audit.db").string();
  config.tls_cert = (folder / "cert.pem").string();
  config.tls_key = (folder / "key.pem").string();
  { std::ofstream(config.tls_cert) << "-----BEGIN CERTIFICATE-----\nnot one\n-----END CERTIFICATE-----\n"; }
  { std::ofstream(config.tls_key) << "a key file with a typo\n"; }
  std::string error;
  CHECK(TriageServer::start(config, std::make_shared<EventLog>(quiet, false), error) == nullptr);
  CHECK(error.find("TLS: the certificate file holds no PEM certificate") != std::string::npos);
  CHECK(error.find("address in use") == std::string::npos);
  fs::remove_all(folder);
}

TEST_CASE("the health listener (health-listen) is plaintext, serves health only and follows the audit log",
          "[serve][health]") {
  Fixture fixture(/*busy_timeout_ms=*/100, /*health_listener=*/true);
  REQUIRE(fixture.server->health_port() > 0);
  REQUIRE(fixture.server->health_port() != fixture.server->port());
  auto probe = grpc::CreateChannel("127.0.0.1:" + std::to_string(fixture.server->health_port()),
                                   grpc::InsecureChannelCredentials());
  CHECK(fixture.health(probe) == grpc::health::v1::HealthCheckResponse::SERVING);
  // Nothing but health there: the triage service is not served on the probe port.
  auto stub = v1::TriageService::NewStub(probe);
  grpc::ClientContext context;
  v1::Decision decision;
  CHECK(stub->Evaluate(&context, request_for("self_care_lower_back.json"), &decision).error_code() ==
        grpc::StatusCode::UNIMPLEMENTED);
  // The probe port follows the audit log as the main port does.
  sqlite3* blocker = nullptr;
  REQUIRE(sqlite3_open(fixture.audit_db().c_str(), &blocker) == SQLITE_OK);
  REQUIRE(sqlite3_exec(blocker, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  CHECK(fixture.evaluate(request_for("self_care_lower_back.json"), decision).error_code() ==
        grpc::StatusCode::UNAVAILABLE);
  CHECK(fixture.health(probe) == grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  REQUIRE(sqlite3_exec(blocker, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(blocker);
  auto status_now = fixture.health(probe);
  for (int i = 0; i < 50 && status_now != grpc::health::v1::HealthCheckResponse::SERVING; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    status_now = fixture.health(probe);
  }
  CHECK(status_now == grpc::health::v1::HealthCheckResponse::SERVING);
  fixture.server->shutdown();
}

TEST_CASE("a broken rules folder or an unusable audit path stops the server from starting", "[serve]") {
  auto quiet = std::make_shared<spdlog::logger>("quiet", std::make_shared<spdlog::sinks::null_sink_mt>());
  auto log = std::make_shared<EventLog>(quiet, false);
  ServeConfig config;
  config.listen = "127.0.0.1:0";
  std::string error;
  config.rules = test::source_path("tests/check/golden/unknown_fact_did_you_mean");
  config.audit_db = (fs::temp_directory_path() / ("triage-broken-" + new_decision_id() + ".db")).string();
  CHECK(TriageServer::start(config, log, error) == nullptr);
  CHECK(error.find("did you mean `night_pain`?") != std::string::npos);
  fs::remove(config.audit_db);

  config.rules = test::source_path("rules");
  config.audit_db = "/proc/no-such-place/audit.db";
  error.clear();
  CHECK(TriageServer::start(config, log, error) == nullptr);
  CHECK(error.find("audit log") != std::string::npos);
}

}  // namespace triage
