#include "report/report_fixture.hpp"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <regex>
#include <vector>

#include "api/answers_proto.hpp"
#include "api/decision_record.hpp"
#include "audit/audit_log.hpp"
#include "ruleset/loader.hpp"
#include "support.hpp"

namespace triage::test {
namespace {

namespace fs = std::filesystem;

// Synthetic canonical decision records (report figures read records, not intakes; verify checks
// the chain and the stored rulesets, not that a record re-decides).
std::string record(const std::string& category, int i) {
  if (category == "emergency") {
    return std::string(R"({"outcome":"refer","urgency":"emergency","red_flags":)") +
           (i % 2 ? R"(["flag_cauda_equina","flag_saddle_numbness"])" : R"(["flag_cauda_equina"])") +
           R"(,"missing":[],"plan":[],"excluded":[],"cautions":[]})";
  }
  if (category == "urgent") {
    return R"({"outcome":"refer","urgency":"urgent","red_flags":["flag_fever_night_pain"],"missing":[],"plan":[],"excluded":[],"cautions":[]})";
  }
  if (category == "routine") {
    return std::string(R"({"outcome":"refer","urgency":"routine","red_flags":)") +
           (i % 4 == 0 ? R"(["flag_pain_below_knee"])" : "[]") + R"(,"missing":[],"plan":[],"excluded":[],"cautions":[]})";
  }
  if (category == "self_care") {
    return std::string(R"({"outcome":"self_care","red_flags":[],"missing":[],)") +
           R"("plan":[{"technique":"cat_cow","why":["ease_stiffness","plan:targets"],"cautions":[]},)"
           R"({"technique":"gentle_walk","why":["plan:targets"],"cautions":[]}],"excluded":[)"
           R"({"technique":"plank","reasons":["floor_work_only_if_safe"]})" +
           (i % 3 == 0 ? std::string(R"(,{"technique":"foam_roll","reasons":["plan:equipment"]})") : "") +
           R"(],"cautions":["never_push_into_pain"]})";
  }
  return R"({"outcome":"incomplete","red_flags":[],"missing":["age"],"plan":[],"excluded":[],"cautions":[]})";
}

// The shipped rule files with their version set to `version`.
std::vector<std::pair<std::string, std::string>> versioned_rules(const std::string& version) {
  auto files = shipped_rule_files();
  for (auto& [name, text] : files) {
    if (name == "ruleset.rules") text = std::regex_replace(text, std::regex("version \"[^\"]*\""), "version \"" + version + "\"");
  }
  return files;
}

// The day's categories for one replica: counts per category, in a fixed interleaved order.
std::vector<std::string> day_plan(char replica, int day) {
  const bool after = day > 5;
  int e = 2, u = 4, r = after ? 16 : 8, s = after ? 12 : 20, i = 6;
  if (replica == 'c') {  // the drifting replica: more incomplete, fewer self-care
    s -= 10;
    i += 10;
  }
  if (day == 3 && replica != 'c') {  // the emergency spike
    e += 12;
    s -= 12;
  }
  std::vector<std::pair<std::string, int>> left{{"emergency", e}, {"urgent", u}, {"routine", r}, {"self_care", s}, {"incomplete", i}};
  std::vector<std::string> out;
  for (bool any = true; any;) {
    any = false;
    for (auto& [name, n] : left) {
      if (n > 0) {
        out.push_back(name);
        --n;
        any = true;
      }
    }
  }
  return out;
}

std::string write_log(const fs::path& path, char replica, const std::vector<std::pair<std::string, std::string>>& before,
                      const std::vector<std::pair<std::string, std::string>>& after, std::string& hash_before,
                      std::string& hash_after) {
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix);
  std::string error;
  auto log = AuditLog::open(path.string(), error, 5000, true);
  REQUIRE(log != nullptr);
  hash_before = ruleset_hash(before);
  hash_after = ruleset_hash(after);
  REQUIRE(log->store_ruleset(hash_before, before, error));
  REQUIRE(log->store_ruleset(hash_after, after, error));
  log->set_replica_id(std::string("replica-") + replica);
  // 2026-11-01T08:00:00Z
  const std::int64_t first_day = 1793520000LL * 1000000;
  std::vector<std::future<bool>> done;
  struct Card {
    std::string decision_id;
    std::int64_t at;
    bool emergency;
    int index;  // among the cards of its kind
  };
  std::vector<Card> feedback_on;
  int n = 0, emergencies = 0, self_care = 0;
  for (int day = 1; day <= 10; ++day) {
    int k = 0;
    for (const std::string& category : day_plan(replica, day)) {
      ++n;
      char id[32];
      std::snprintf(id, sizeof id, "%c-%04d", replica, n);
      AuditRecord r;
      r.decision_id = id;
      r.decided_at_micros = first_day + (day - 1) * 86400LL * 1000000 + (k++) * 300LL * 1000000;
      r.client = "id:kiosk";
      r.request_id = std::string("kiosk-") + id;
      r.ruleset_hash = day > 5 ? hash_after : hash_before;
      r.answers = "{}";
      r.decision = record(category, n);
      if (replica == 'b' && category == "emergency" && emergencies < 6) feedback_on.push_back({id, r.decided_at_micros, true, emergencies++});
      if (replica == 'b' && category == "self_care" && self_care < 10) feedback_on.push_back({id, r.decided_at_micros, false, self_care++});
      auto promise = std::make_shared<std::promise<bool>>();
      done.push_back(promise->get_future());
      log->append(std::move(r), [promise](bool ok, const std::string&) { promise->set_value(ok); });
    }
  }
  for (auto& future : done) REQUIRE(future.get());
  // Replica b's clinicians: of 6 emergency cards 5 accepted, 1 overridden; of 10 self-care cards
  // 6 accepted, 4 overridden (3 for the patient's preference, 1 without a reason).
  for (const Card& card : feedback_on) {
    FeedbackEntry entry;
    entry.decision_id = card.decision_id;
    entry.received_at_micros = card.at + 60LL * 1000000;
    entry.service = "triage-back-pain";
    entry.issuer = "id:kiosk";  // feedback is accepted only from the client the card was issued to
    entry.client = "ehr-test";
    const bool emergency = card.emergency;
    const int i = card.index;
    const bool overridden = emergency ? i == 5 : i >= 6;
    entry.outcome = overridden ? "overridden" : "accepted";
    if (overridden) entry.override_reason = emergency ? "clinical-judgement Clinical judgement" : (i < 9 ? "patient-preference Patient preference" : "");
    REQUIRE(log->store_feedback(entry, error) == FeedbackStored::stored);
  }
  log->close();
  return path.string();
}

}  // namespace

ReportFixture write_report_fixture(const std::filesystem::path& folder, bool tamper) {
  fs::create_directories(folder);
  ReportFixture fixture;
  fixture.folder = folder;
  auto before = versioned_rules("9.0.0"), after = versioned_rules("9.1.0");
  fixture.log_a = write_log(folder / "replica-a.db", 'a', before, after, fixture.hash_before, fixture.hash_after);
  fixture.log_b = write_log(folder / "replica-b.db", 'b', before, after, fixture.hash_before, fixture.hash_after);
  fixture.log_c = write_log(folder / "replica-c.db", 'c', before, after, fixture.hash_before, fixture.hash_after);
  if (tamper) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(fixture.log_a.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "UPDATE decisions SET client = 'id:someone-else' WHERE seq = 57", nullptr, nullptr, nullptr) ==
            SQLITE_OK);
    sqlite3_close(db);
    fixture.tampered = true;
  }
  return fixture;
}

void write_report_bench_log(const std::string& path, std::int64_t count) {
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);
  const CompiledRuleset& ruleset = shipped();
  struct Example {
    std::string answers, decision;
  };
  std::vector<Example> examples;
  for (const auto& entry : fs::directory_iterator(source_path("rules/examples"))) {
    if (entry.path().extension() != ".json") continue;
    std::vector<RawAnswer> raw;
    std::string error;
    REQUIRE(parse_intake_json(read_file(entry.path().string()), raw, error));
    examples.push_back({canonical_answers_json(raw),
                        decision_record_json(ruleset, evaluate(ruleset, validate_answers(ruleset, raw).answers))});
  }
  std::sort(examples.begin(), examples.end(), [](const auto& a, const auto& b) { return a.answers < b.answers; });
  std::string error;
  auto log = AuditLog::open(path, error, 5000, true);
  REQUIRE(log != nullptr);
  REQUIRE(log->store_ruleset(ruleset.model->hash, shipped_rule_files(), error));
  log->set_replica_id("bench");
  const std::int64_t first = 1793520000LL * 1000000, span = 30LL * 86400 * 1000000;
  std::atomic<std::int64_t> failed{0};
  std::vector<FeedbackEntry> feedback;
  for (std::int64_t i = 0; i < count; ++i) {
    const Example& example = examples[i % examples.size()];
    AuditRecord r;
    r.decision_id = "bench-" + std::to_string(i);
    r.decided_at_micros = first + span / count * i;
    r.client = "id:kiosk";
    r.request_id = "kiosk-" + std::to_string(i / 3);
    r.ruleset_hash = ruleset.model->hash;
    r.answers = example.answers;
    r.decision = example.decision;
    log->append(std::move(r), [&failed](bool ok, const std::string&) { failed += ok ? 0 : 1; });
    if (i % 100 == 0) {
      FeedbackEntry entry;
      entry.decision_id = "bench-" + std::to_string(i);
      entry.received_at_micros = first + span / count * i + 1;
      entry.service = "triage-back-pain";
      entry.issuer = "id:kiosk";
      entry.client = "ehr";
      entry.outcome = i % 300 == 0 ? "overridden" : "accepted";
      if (entry.outcome == "overridden") entry.override_reason = "clinical-judgement Clinical judgement";
      feedback.push_back(std::move(entry));
    }
  }
  log->close();
  // Feedback is stored once its card's decision is committed (store_feedback checks the card).
  log = AuditLog::open(path, error);
  REQUIRE(log != nullptr);
  for (const auto& entry : feedback) REQUIRE(log->store_feedback(entry, error) == FeedbackStored::stored);
  log->close();
  REQUIRE(failed == 0);
}

}  // namespace triage::test
