// Safe hot reload: a candidate is swapped in only when it passes every check; a broken one leaves
// the old rules serving and says why; calls under load never fail across reloads.
#include <catch2/catch.hpp>

#include <grpcpp/grpcpp.h>
#include <spdlog/sinks/null_sink.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "api/answers_proto.hpp"
#include "audit/reader.hpp"
#include "serve/server.hpp"
#include "support.hpp"
#include "triage/v1/triage.grpc.pb.h"

namespace triage {
namespace {

namespace fs = std::filesystem;

struct ReloadFixture {
  test::ShippedRulesCopy copy{"reload-test"};
  const fs::path& folder = copy.folder;
  const fs::path& rules = copy.rules;
  std::unique_ptr<TriageServer> server;
  std::unique_ptr<v1::TriageService::Stub> stub;

  explicit ReloadFixture(int watch_interval_ms = 0) {
    ServeConfig config;
    config.rules = rules.string();
    config.listen = "127.0.0.1:0";
    config.audit_db = (folder / "audit.db").string();
    config.drain_seconds = 2;
    config.watch_interval_ms = watch_interval_ms;
    auto quiet = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
    std::string error;
    server = TriageServer::start(config, std::make_shared<EventLog>(quiet, false), error);
    INFO(error);
    REQUIRE(server);
    stub = v1::TriageService::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(server->port()), grpc::InsecureChannelCredentials()));
  }
  ~ReloadFixture() { server.reset(); }  // before the folder goes

  void edit(const std::string& file, const std::string& from, const std::string& to) { copy.edit(file, from, to); }

  v1::ReloadResult reload_rpc() {
    grpc::ClientContext context;
    v1::ReloadResult result;
    grpc::Status status = stub->ReloadRules(&context, {}, &result);
    INFO("ReloadRules answered " << status.error_code() << ": " << status.error_message());
    REQUIRE(status.ok());
    return result;
  }

  v1::RulesetInfo info() {
    grpc::ClientContext context;
    v1::RulesetInfo result;
    REQUIRE(stub->GetRuleset(&context, {}, &result).ok());
    return result;
  }
};

v1::EvaluateRequest example_request(const std::string& name) {
  std::vector<RawAnswer> raw;
  std::string error;
  REQUIRE(parse_intake_json(test::read_file(test::source_path("rules/examples/" + name)), raw, error));
  v1::EvaluateRequest request;
  REQUIRE(to_request(raw, request, error));
  return request;
}

}  // namespace

TEST_CASE("ReloadRules swaps in a changed ruleset and stores it in the audit log", "[serve][reload]") {
  ReloadFixture fixture;
  std::string before = fixture.info().ruleset_hash();
  fixture.edit("red_flags.rules", "pain_below_knee -> refer routine", "pain_below_knee -> refer urgent");
  v1::ReloadResult result = fixture.reload_rpc();
  CHECK(result.reloaded());
  CHECK(result.previous_hash() == before);
  CHECK(result.ruleset_hash() != before);
  CHECK(result.trigger() == "rpc");
  CHECK(fixture.info().ruleset_hash() == result.ruleset_hash());

  grpc::ClientContext context;
  v1::Decision decision;
  REQUIRE(fixture.stub->Evaluate(&context, example_request("routine_pain_below_knee.json"), &decision).ok());
  CHECK(decision.urgency() == v1::urgent);
  CHECK(decision.ruleset_hash() == result.ruleset_hash());

  std::string error;
  auto reader = AuditReader::open((fixture.folder / "audit.db").string(), error);
  REQUIRE(reader);
  auto hashes = reader->ruleset_hashes();
  CHECK(std::count(hashes.begin(), hashes.end(), result.ruleset_hash()) == 1);
  CHECK(std::count(hashes.begin(), hashes.end(), before) == 1);
}

TEST_CASE("a broken candidate is refused: the old rules keep serving and GetRuleset says why",
          "[serve][reload]") {
  ReloadFixture fixture;
  std::string before = fixture.info().ruleset_hash();
  fixture.edit("red_flags.rules", "red_flag flag_night_pain: night_pain", "red_flag flag_night_pain: nigth_pain");
  v1::ReloadResult result = fixture.reload_rpc();
  CHECK_FALSE(result.reloaded());
  CHECK(result.ruleset_hash() == before);
  REQUIRE(result.diagnostics_size() >= 1);
  CHECK(result.diagnostics(0).file() == "red_flags.rules");
  CHECK(result.diagnostics(0).line() > 0);
  CHECK(result.diagnostics(0).column() > 0);
  CHECK(result.diagnostics(0).code() == "unknown-fact");
  CHECK(result.diagnostics(0).message() == "unknown fact `nigth_pain`");
  CHECK(result.diagnostics(0).hint() == "did you mean `night_pain`?");

  v1::RulesetInfo info = fixture.info();
  CHECK(info.ruleset_hash() == before);
  CHECK_FALSE(info.last_reload().reloaded());
  CHECK(info.last_reload().diagnostics_size() == result.diagnostics_size());
  grpc::ClientContext context;
  v1::Decision decision;
  CHECK(fixture.stub->Evaluate(&context, example_request("urgent_fever_night_pain.json"), &decision).ok());
  CHECK(decision.ruleset_hash() == before);
}

TEST_CASE("reloads under load: no call fails, each decision names the ruleset it used", "[serve][reload]") {
  ReloadFixture fixture;
  std::string first = fixture.info().ruleset_hash();
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::mutex seen_mutex;
  std::set<std::string> seen;
  std::vector<std::thread> clients;
  // A failed REQUIRE below unwinds through here: the clients are stopped and joined first, never
  // left joinable (std::terminate) or running against a fixture being destroyed.
  struct StopAndJoin {
    std::atomic<bool>& stop;
    std::vector<std::thread>& threads;
    ~StopAndJoin() {
      stop = true;
      for (auto& thread : threads) {
        if (thread.joinable()) thread.join();
      }
    }
  } stop_and_join{stop, clients};
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      auto request = example_request(c % 2 == 0 ? "routine_pain_below_knee.json" : "self_care_lower_back.json");
      while (!stop) {
        grpc::ClientContext context;
        // Generous: a slow machine running other tests must not look like a failed call.
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
        v1::Decision decision;
        if (fixture.stub->Evaluate(&context, request, &decision).ok()) {
          ++ok;
          std::lock_guard<std::mutex> lock(seen_mutex);
          seen.insert(decision.ruleset_hash());
        } else {
          ++failed;
        }
      }
    });
  }
  std::set<std::string> served{first};
  for (int round = 0; round < 6; ++round) {
    if (round % 2 == 0) {
      fixture.edit("red_flags.rules", "pain_below_knee -> refer routine", "pain_below_knee -> refer urgent");
    } else {
      fixture.edit("red_flags.rules", "pain_below_knee -> refer urgent", "pain_below_knee -> refer routine");
    }
    v1::ReloadResult result = fixture.reload_rpc();
    CHECK(result.reloaded());
    served.insert(result.ruleset_hash());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  stop = true;
  for (auto& client : clients) client.join();
  CHECK(failed == 0);
  CHECK(ok > 50);
  CHECK(served.size() == 2);
  for (const auto& hash : seen) CHECK(served.count(hash) == 1);
  CHECK(seen.size() == 2);  // both rulesets decided calls
}

TEST_CASE("a change in the rules folder is picked up by the watcher", "[serve][reload]") {
  ReloadFixture fixture(/*watch_interval_ms=*/50);
  std::string before = fixture.info().ruleset_hash();
  fixture.edit("plan.rules", "max_total 10", "max_total 9");
  std::string after = before;
  // Until the reload shows (a Debug sanitizer build checks the candidate several times slower).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(test::time_budget(5.0));
  while (after == before && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    after = fixture.info().ruleset_hash();
  }
  CHECK(after != before);
  CHECK(fixture.info().last_reload().trigger() == "watch");
}

}  // namespace triage

namespace triage {

TEST_CASE("a candidate the safety analysis refutes is refused with the witness", "[serve][reload]") {
  ReloadFixture fixture;
  std::string before = fixture.info().ruleset_hash();
  // A red-flag question given a default: unasked patients would be taken as "no".
  fixture.edit("facts.rules", "fact saddle_numbness: bool", "fact saddle_numbness: bool\n  default false");
  v1::ReloadResult result = fixture.reload_rpc();
  CHECK_FALSE(result.reloaded());
  CHECK(result.ruleset_hash() == before);
  REQUIRE(result.diagnostics_size() >= 1);
  CHECK(result.diagnostics(0).code() == "red-flag-safety");
  CHECK(result.diagnostics(0).hint().find("witness: {\"answers\"") != std::string::npos);
}

}  // namespace triage
