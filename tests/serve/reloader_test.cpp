// The reloader owns reloading: one worker runs requests one at a time, a trigger is never queued
// twice, and stop() answers what it drops.
#include <catch2/catch.hpp>

#include <spdlog/sinks/null_sink.h>

#include <filesystem>
#include <fstream>
#include <future>

#include "serve/reloader.hpp"
#include "support.hpp"

namespace triage {
namespace {

namespace fs = std::filesystem;

struct ReloaderFixture {
  test::ShippedRulesCopy copy{"reloader-test"};
  const fs::path& rules = copy.rules;
  std::unique_ptr<AuditLog> audit;
  std::unique_ptr<Decider> decider;
  std::shared_ptr<EventLog> log = std::make_shared<EventLog>(
      std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>()), false);

  ReloaderFixture() {
    std::string error;
    audit = AuditLog::open((copy.folder / "audit.db").string(), error);
    REQUIRE(audit);
    OpenedRuleset opened;
    REQUIRE(open_ruleset(rules.string(), opened, error));
    REQUIRE(opened.servable());
    decider = std::make_unique<Decider>(make_served(opened, rules.string()), *audit, log, [](bool) {});
  }
  ~ReloaderFixture() { audit->close(); }
};

}  // namespace

TEST_CASE("a trigger is queued once; stop() answers the dropped requests with null", "[serve][reload]") {
  ReloaderFixture fixture;
  Reloader reloader(fixture.rules.string(), 0, *fixture.decider, *fixture.audit, fixture.log);
  int dropped = 0, ran = 0;
  auto done = [&](const v1::ReloadResult* result) { ++(result ? ran : dropped); };
  CHECK(reloader.post("rpc", done));
  CHECK_FALSE(reloader.post("rpc", done));  // already waiting
  CHECK(reloader.post("signal", done));      // another trigger may wait beside it
  reloader.stop();                           // never started: nothing ran
  CHECK(ran == 0);
  CHECK(dropped == 2);
  CHECK_FALSE(reloader.post("rpc", done));  // stopped
  reloader.stop();                           // twice is fine
}

TEST_CASE("the worker runs a posted reload and swaps in the new ruleset", "[serve][reload]") {
  ReloaderFixture fixture;
  std::string before = fixture.decider->served()->info.ruleset_hash();
  fixture.copy.edit("plan.rules", "max_total 10", "max_total 9");

  std::promise<v1::ReloadResult> answered;  // outlives the reloader, whose stop() may still answer
  Reloader reloader(fixture.rules.string(), 0, *fixture.decider, *fixture.audit, fixture.log);
  reloader.start();
  REQUIRE(reloader.post("rpc", [&](const v1::ReloadResult* result) { answered.set_value(*result); }));
  auto result = answered.get_future();
  // A reload re-runs the whole safety analysis: seconds in Release, much longer under sanitizers.
  REQUIRE(result.wait_for(std::chrono::duration<double>(test::time_budget(30))) == std::future_status::ready);
  v1::ReloadResult reload = result.get();
  CHECK(reload.reloaded());
  CHECK(reload.trigger() == "rpc");
  CHECK(reload.previous_hash() == before);
  CHECK(fixture.decider->served()->info.ruleset_hash() == reload.ruleset_hash());
  CHECK(reload.ruleset_hash() != before);
  reloader.stop();
}

}  // namespace triage
