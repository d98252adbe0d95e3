// `triage audit report`: figures with known counts from generated logs (golden JSON), the anomaly
// rules flagging exactly the planted problems, small-count suppression, the candidate's impact as
// `audit replay --rules` computes it, and the HTML page's self-containment.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <regex>
#include <sqlite3.h>
#include <sstream>

#include "api/answers_proto.hpp"
#include "api/decision_record.hpp"
#include "audit/audit_log.hpp"
#include "audit/reader.hpp"
#include "auditor/replay.hpp"
#include "cli/commands.hpp"
#include "report/figures.hpp"
#include "report/render.hpp"
#include "report/report_fixture.hpp"
#include "support.hpp"

namespace triage {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

struct TempFolder {
  fs::path path = fs::temp_directory_path() / ("triage-report-test-" + new_decision_id());
  ~TempFolder() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

// The report over the fixture's three logs, as `triage audit report --log a --log b --log c` makes it.
report::Figures fixture_figures(const test::ReportFixture& fixture, report::ReportOptions options = {},
                                std::shared_ptr<const CompiledRuleset> candidate = nullptr) {
  report::ReportBuilder builder(options, {}, "", candidate);
  for (const auto& [path, name] :
       {std::pair{fixture.log_a, "replica-a.db"}, {fixture.log_b, "replica-b.db"}, {fixture.log_c, "replica-c.db"}}) {
    std::string error;
    auto reader = AuditReader::open(path, error);
    REQUIRE(reader != nullptr);
    builder.add_integrity(report::check_integrity(*reader, name, ""));
    builder.add_log(*reader, true);
  }
  return builder.finish("sqlite");
}

// The JSON with what changes from run to run or with the shipped rules (ruleset hashes and header
// fields follow the shipped rules' text; load times are the clock's) replaced by stable names.
Json normalized(const std::string& text, const test::ReportFixture& fixture) {
  std::string stable = text;
  for (const auto& [hash, name] : {std::pair{fixture.hash_before, "RULESET-9.0.0"}, {fixture.hash_after, "RULESET-9.1.0"}}) {
    stable = std::regex_replace(stable, std::regex(hash), name);
  }
  Json j = Json::parse(stable);
  // The header fields come from the shipped rules, which clinicians edit; the versions are the
  // fixture's own. Checked against the shipped header in the test instead.
  const auto& header = test::shipped().model->header;
  for (auto& r : j["rulesets"]) {
    r["stored_at"] = "STORED-AT";
    CHECK(r["title"] == header.title);
    CHECK(r["status"] == header.status);
    CHECK(r["approved_by"] == header.approved_by);
    r["title"] = "TITLE";
    r["status"] = "STATUS";
    r["approved_by"] = "APPROVED-BY";
    r["approved_on"] = "APPROVED-ON";
  }
  for (auto& s : j["integrity"]["sources"]) {
    if (!s["head_hash"].get<std::string>().empty()) s["head_hash"] = "HEAD";
  }
  return j;
}

void check_golden(const Json& actual, const std::string& name) {
  std::string path = test::source_path("tests/report/golden/" + name);
  if (std::getenv("TRIAGE_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path) << actual.dump(2) << "\n";
  }
  Json expected = Json::parse(test::read_file(path));
  INFO("golden " << path << " (TRIAGE_UPDATE_GOLDEN=1 rewrites it); diff: " << Json::diff(expected, actual).dump());
  CHECK(actual == expected);
}

}  // namespace

TEST_CASE("report figures over three replicas match the golden JSON and the known counts", "[report]") {
  TempFolder temp;
  auto fixture = test::write_report_fixture(temp.path, true);
  report::Figures figures = fixture_figures(fixture);
  Json json = normalized(report::render_json(figures), fixture);
  check_golden(json, "three_replicas.json");

  // The counts the fixture was written with (tests/report/report_fixture.cpp), independent of the golden file.
  const auto& d = json["decisions"];
  CHECK(d["total"] == 1200);
  CHECK(d["by_outcome"] == Json({{"emergency", 84}, {"urgent", 120}, {"routine", 360}, {"self_care", 356}, {"incomplete", 280}}));
  CHECK(d["by_day"].size() == 10);
  CHECK(d["by_day"][2]["emergency"] == 30);
  CHECK(d["flows"]["flows"] == 1200);
  CHECK(d["flows"]["ended_incomplete"] == 280);
  CHECK(json["red_flags"]["by_flag"][0] == Json({{"flag", "flag_fever_night_pain"}, {"decisions", 120},
                                                 {"by_tier", {{"emergency", 0}, {"urgent", 120}, {"routine", 0}, {"none", 0}}}}));
  CHECK(json["self_care"]["plans"] == 356);
  CHECK(json["self_care"]["most_given"][0]["plans"] == 356);
  CHECK(json["feedback"]["entries"] == 16);
  CHECK(json["feedback"]["accepted"] == 11);
  CHECK(json["feedback"]["overridden"] == 5);
  CHECK(json["rulesets"].size() == 2);
  CHECK(json["rulesets"][0]["version"] == "9.0.0");
  CHECK(json["rulesets"][1]["version"] == "9.1.0");

  // The report flags exactly what was planted: the edited record, the ruleset change, the spike
  // day and the drifting replica; nothing else.
  std::vector<std::pair<std::string, std::string>> flagged;
  for (const auto& a : figures.anomalies) flagged.emplace_back(a.rule, a.subject);
  CHECK(flagged == std::vector<std::pair<std::string, std::string>>{{"integrity", "replica-a.db"},
                                                                    {"ruleset_change", "9.0.0 -> 9.1.0"},
                                                                    {"emergency_day", "2026-11-03"},
                                                                    {"replica_drift", "replica-c"}});
  CHECK(figures.integrity[0].broken_seq == 57);
  CHECK_FALSE(json["integrity"]["ok"].get<bool>());
}

TEST_CASE("report: without the planted problems the report flags nothing", "[report]") {
  TempFolder temp;
  auto fixture = test::write_report_fixture(temp.path, false);
  // Replica a alone, days 6 to 10 only (one ruleset, no spike, no other replica to drift from).
  report::ReportOptions options;
  options.from = "2026-11-06";
  DecisionFilter filter;
  filter.since = "2026-11-06T00:00:00.000000Z";
  report::ReportBuilder builder(options, filter, "", nullptr);
  std::string error;
  auto reader = AuditReader::open(fixture.log_a, error);
  REQUIRE(reader != nullptr);
  builder.add_integrity(report::check_integrity(*reader, "replica-a.db", ""));
  builder.add_log(*reader, true);
  report::Figures figures = builder.finish("sqlite");
  CHECK(figures.tally.decisions == 200);
  CHECK(figures.anomalies.empty());
  CHECK(figures.integrity[0].problem.empty());
  CHECK(figures.integrity[0].verified == 400);  // the chain is checked over the whole log
  CHECK(figures.ruleset_changes.empty());
}

TEST_CASE("report: small counts are suppressed unless asked for, in JSON, HTML and sentences", "[report]") {
  TempFolder temp;
  auto fixture = test::write_report_fixture(temp.path, true);
  Json hidden = Json::parse(report::render_json(fixture_figures(fixture)));
  report::ReportOptions show;
  show.show_small_counts = true;
  report::Figures shown_figures = fixture_figures(fixture, show);
  Json shown = Json::parse(report::render_json(shown_figures));
  auto reason = [](const Json& j, const std::string& name) {
    for (const auto& r : j["feedback"]["override_reasons"]) {
      if (r["reason"] == name) return r["count"];
    }
    return Json("missing");
  };
  CHECK(reason(hidden, "patient-preference Patient preference").is_null());
  CHECK(reason(shown, "patient-preference Patient preference") == 3);
  CHECK(hidden["feedback"]["overridden"] == 5);  // 5 is not small
  // Replica b's clinicians (report_fixture.cpp): emergency cards 5 accepted, 1 overridden;
  // self-care cards 6 accepted, 4 overridden.
  CHECK(shown["feedback"]["by_card"] == Json::parse(R"([{"card":"emergency","accepted":5,"overridden":1,"override_rate":0.1667},)"
                                                    R"({"card":"self_care","accepted":6,"overridden":4,"override_rate":0.4}])"));
  CHECK(hidden["feedback"]["by_card"][0]["overridden"].is_null());
  CHECK(hidden["small_counts"]["suppressed"] == true);
  CHECK(shown["small_counts"]["suppressed"] == false);
  // Zero reveals nobody and is never hidden.
  CHECK(hidden["red_flags"]["by_flag"][0]["by_tier"]["emergency"] == 0);
  std::string html = report::render_html(fixture_figures(fixture), "");
  CHECK(html.find("&lt;5") != std::string::npos);
  CHECK(report::count_words(report::ReportOptions{}, 3) == "fewer than 5");
  CHECK(report::count_words(show, 3) == "3");
}

TEST_CASE("report: the HTML page is self-contained: no script, nothing fetched, every chart titled", "[report]") {
  TempFolder temp;
  auto fixture = test::write_report_fixture(temp.path, true);
  std::string html = report::render_html(fixture_figures(fixture), "");
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("http://") == std::string::npos);
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find("@import") == std::string::npos);
  CHECK(html.find("url(http") == std::string::npos);
  CHECK(html.find("@page { size: A4") != std::string::npos);
  // Every chart is an <svg role="img"> whose <title> names it.
  std::regex chart("<svg viewBox=\"[^\"]+\" role=\"img\" aria-labelledby=\"([a-z0-9-]+)\"><title id=\"\\1\">([^<]+)</title>");
  std::vector<std::string> titles;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), chart); it != std::sregex_iterator(); ++it) {
    titles.push_back((*it)[2]);
  }
  CHECK(titles.size() == 9);  // per day, per replica, flags, flags per day, combinations, given, excluded, feedback, one change
  for (const auto& sentence : {"Decisions per day, by outcome and urgency tier", "Outcome mix per replica (share of each replica&#39;s decisions)",
                               "The ten most frequent combinations of red flags fired together"}) {
    CHECK(std::find(titles.begin(), titles.end(), sentence) != titles.end());
  }
  CHECK(html.find("Decisions per day (count)") != std::string::npos);  // a y axis with its unit
  // The same figures twice give the same page (no clock, no randomness).
  CHECK(html == report::render_html(fixture_figures(fixture), ""));
}

TEST_CASE("report: the candidate's impact is what `audit replay --rules` finds, by tier direction", "[report]") {
  TempFolder temp;
  fs::create_directories(temp.path);
  std::string path = (temp.path / "audit.db").string();
  const CompiledRuleset& shipped = test::shipped();
  {
    std::string error;
    auto log = AuditLog::open(path, error);
    REQUIRE(log != nullptr);
    REQUIRE(log->store_ruleset(shipped.model->hash, test::shipped_rule_files(), error));
    std::vector<std::future<bool>> done;
    int n = 0;
    for (const auto& entry : fs::directory_iterator(test::source_path("rules/examples"))) {
      if (entry.path().extension() != ".json") continue;
      std::vector<RawAnswer> raw;
      std::string parse_error;
      REQUIRE(parse_intake_json(test::read_file(entry.path().string()), raw, parse_error));
      AuditRecord record;
      record.decision_id = "ex-" + std::to_string(++n);
      record.decided_at_micros = 1793520000LL * 1000000 + n * 1000000LL;
      record.client = "id:test";
      record.ruleset_hash = shipped.model->hash;
      record.decision = decision_record_json(shipped, evaluate(shipped, validate_answers(shipped, raw).answers));
      record.answers = canonical_answers_json(raw);
      auto promise = std::make_shared<std::promise<bool>>();
      done.push_back(promise->get_future());
      log->append(std::move(record), [promise](bool ok, const std::string&) { promise->set_value(ok); });
    }
    for (auto& future : done) REQUIRE(future.get());
  }
  // A candidate that sends every urgent red flag to the emergency tier.
  auto files = test::shipped_rule_files();
  for (auto& [name, text] : files) {
    if (name == "red_flags.rules") text = std::regex_replace(text, std::regex("-> refer urgent"), "-> refer emergency");
  }
  auto candidate = test::load_texts(files);
  std::string error;
  auto reader = AuditReader::open(path, error);
  REQUIRE(reader != nullptr);
  ReplayReport replay = replay_audit_log(*reader, {}, candidate, nullptr);
  report::ImpactFigures impact = report::impact_figures(replay);
  CHECK(impact.replayed == replay.replayed);
  CHECK(impact.changed == replay.changed);
  CHECK(impact.up > 0);
  CHECK(impact.down == 0);
  CHECK(impact.up + impact.down + impact.same_tier == replay.changed);
  REQUIRE_FALSE(impact.up_examples.empty());
  CHECK(impact.up_examples[0].transition.find("-> refer/emergency") != std::string::npos);
  // And through the builder, as the command runs it.
  report::ReportOptions show;
  show.show_small_counts = true;
  report::ReportBuilder builder(show, {}, "", candidate);
  builder.add_log(*reader, true);
  Json json = Json::parse(report::render_json(builder.finish("sqlite")));
  CHECK(json["impact"]["tier_up"] == impact.up);
  CHECK(json["impact"]["replayed"] == replay.replayed);
}

TEST_CASE("report: canonical decision records are scanned as decision_record_json writes them, anything else refused", "[report]") {
  const CompiledRuleset& shipped = test::shipped();
  int scanned = 0;
  DecisionRecordView view;
  for (const auto& entry : fs::directory_iterator(test::source_path("rules/examples"))) {
    if (entry.path().extension() != ".json") continue;
    std::vector<RawAnswer> raw;
    std::string error;
    REQUIRE(parse_intake_json(test::read_file(entry.path().string()), raw, error));
    std::string record = decision_record_json(shipped, evaluate(shipped, validate_answers(shipped, raw).answers));
    INFO(entry.path().filename().string() << ": " << record);
    REQUIRE(scan_decision_record(record, view));
    Json j = Json::parse(record);
    CHECK(view.outcome == j["outcome"].get<std::string>());
    CHECK(view.urgency == j.value("urgency", ""));
    std::vector<std::string> flags(view.red_flags.begin(), view.red_flags.end()), plan(view.plan.begin(), view.plan.end());
    CHECK(flags == j["red_flags"].get<std::vector<std::string>>());
    std::vector<std::string> expected_plan;
    for (const auto& p : j["plan"]) expected_plan.push_back(p["technique"]);
    CHECK(plan == expected_plan);
    REQUIRE(view.excluded.size() == j["excluded"].size());
    for (std::size_t i = 0; i < view.excluded.size(); ++i) {
      CHECK(view.excluded[i].technique == j["excluded"][i]["technique"].get<std::string>());
      std::vector<std::string> reasons(view.excluded[i].reasons.begin(), view.excluded[i].reasons.end());
      CHECK(reasons == j["excluded"][i]["reasons"].get<std::vector<std::string>>());
    }
    ++scanned;
  }
  CHECK(scanned >= 20);
  for (const char* other : {
           R"({"urgency":"routine","outcome":"refer","red_flags":[],"missing":[],"plan":[],"excluded":[],"cautions":[]})",
           R"({"outcome":"refer","urgency":"rou\"tine","red_flags":[],"missing":[],"plan":[],"excluded":[],"cautions":[]})",
           R"({"outcome":"self_care","red_flags":[],"missing":[],"plan":[],"excluded":[],"cautions":[]} )",
           R"({"outcome": "self_care", "red_flags": [], "missing": [], "plan": [], "excluded": [], "cautions": []})",
           R"({"outcome":"self_care","red_flags":[{"rule":"flag_a"}],"missing":[],"plan":[],"excluded":[],"cautions":[]})",
           R"({"outcome":"self_care","red_flags":[],"missing":[],"plan":[],"excluded":[])", "", "{not json"}) {
    INFO(other);
    CHECK_FALSE(scan_decision_record(other, view));
  }
}

TEST_CASE("report: records not laid out canonically are counted the same, and a record with no decision is counted unreadable", "[report]") {
  TempFolder temp;
  fs::create_directories(temp.path);
  std::string path = (temp.path / "audit.db").string();
  {
    std::string error;
    auto log = AuditLog::open(path, error);
    REQUIRE(log != nullptr);
    REQUIRE(log->store_ruleset(test::shipped().model->hash, test::shipped_rule_files(), error));
    const std::vector<std::string> records{
        R"({"outcome":"refer","urgency":"emergency","red_flags":["flag_a"],"missing":[],"plan":[],"excluded":[],"cautions":[]})",
        R"({"red_flags": ["flag_a"], "urgency": "emergency", "outcome": "refer"})",
        R"({"outcome":"self_care","red_flags":[],"missing":[],"plan":[{"technique":"t","why":[],"cautions":[]}],"excluded":[{"technique":"u","reasons":["r"]}],"cautions":[]})",
        R"({"outcome": "self_care", "plan": [{"technique": "t"}], "excluded": [{"technique": "u", "reasons": ["r"]}]})",
        R"([1, 2])"};
    std::vector<std::future<bool>> done;
    for (std::size_t i = 0; i < records.size(); ++i) {
      AuditRecord record;
      record.decision_id = "r-" + std::to_string(i);
      record.decided_at_micros = 1793520000LL * 1000000 + i;
      record.client = "id:test";
      record.ruleset_hash = test::shipped().model->hash;
      record.answers = "{}";
      record.decision = records[i];
      auto promise = std::make_shared<std::promise<bool>>();
      done.push_back(promise->get_future());
      log->append(std::move(record), [promise](bool ok, const std::string&) { promise->set_value(ok); });
    }
    for (auto& future : done) REQUIRE(future.get());
  }
  std::string error;
  auto reader = AuditReader::open(path, error);
  REQUIRE(reader != nullptr);
  report::Tally tally;
  report::tally_decisions(*reader, {}, "", tally);
  CHECK(tally.decisions == 5);
  CHECK(tally.unreadable == 1);
  CHECK(tally.totals[static_cast<int>(report::Category::emergency)] == 2);
  CHECK(tally.totals[static_cast<int>(report::Category::self_care)] == 2);
  CHECK(tally.red_flags.at("flag_a") == 2);
  CHECK(tally.techniques_given.at("t") == 2);
  CHECK(tally.exclusion_reasons.at("u").at("r") == 2);
  report::Figures figures = report::build_figures({}, "sqlite", {}, {}, tally, {}, {});
  REQUIRE(figures.anomalies.size() == 1);
  CHECK(figures.anomalies[0].sentence == "Records without a readable decision: 1. They are left out of every chart.");
}

TEST_CASE("report: integrity with trusted keys: signed checkpoints verified, and a forged one caught", "[report]") {
  TempFolder temp;
  fs::create_directories(temp.path);
  test::SigningKey key = test::make_signing_key(temp.path, "kiosk-signer");
  std::string path = (temp.path / "audit.db").string();
  {
    std::string error;
    auto log = AuditLog::open(path, error);
    REQUIRE(log != nullptr);
    log->set_checkpoints(test::checkpoints_with(key, 10));
    REQUIRE(log->store_ruleset(test::shipped().model->hash, test::shipped_rule_files(), error));
    std::vector<std::future<bool>> done;
    for (int i = 0; i < 25; ++i) {
      AuditRecord record;
      record.decision_id = "s-" + std::to_string(i);
      record.decided_at_micros = 1793520000LL * 1000000 + i;
      record.client = "id:test";
      record.ruleset_hash = test::shipped().model->hash;
      record.answers = "{}";
      record.decision = R"({"outcome":"incomplete","red_flags":[],"missing":["age"],"plan":[],"excluded":[],"cautions":[]})";
      auto promise = std::make_shared<std::promise<bool>>();
      done.push_back(promise->get_future());
      log->append(std::move(record), [promise](bool ok, const std::string&) { promise->set_value(ok); });
    }
    for (auto& future : done) REQUIRE(future.get());
    log->close();
  }
  std::string error;
  {
    auto reader = AuditReader::open(path, error);
    REQUIRE(reader != nullptr);
    report::SourceIntegrity checked = report::check_integrity(*reader, "kiosk", key.trusted_dir);
    CHECK(checked.problem.empty());
    CHECK(checked.checkpoint_status == "verified");
    CHECK(checked.checkpoints >= 2);
    CHECK(checked.signed_through_seq >= 20);
    CHECK(report::check_integrity(*reader, "kiosk", "").checkpoint_status == "not checked (no --trusted-keys)");
  }
  // Someone rewrites a checkpoint's signature: the chain still holds, the signature does not.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "UPDATE checkpoints SET signature = 'AAAA' WHERE seq = (SELECT min(seq) FROM checkpoints)",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  auto reader = AuditReader::open(path, error);
  REQUIRE(reader != nullptr);
  report::SourceIntegrity forged = report::check_integrity(*reader, "kiosk", key.trusted_dir);
  CHECK(forged.chain_ok);
  CHECK(forged.checkpoint_status == "FAILED");
  CHECK(forged.problem.rfind("signed checkpoints: ", 0) == 0);
  report::Figures figures = report::build_figures({}, "sqlite", {forged}, {}, {}, {}, {});
  REQUIRE(figures.anomalies.size() == 1);
  CHECK(figures.anomalies[0].rule == "integrity");
}

TEST_CASE("report: the command: options, dates (--to inclusive), files written, exit status", "[report][cli]") {
  TempFolder temp;
  auto fixture = test::write_report_fixture(temp.path, false);
  std::istringstream in;
  std::ostringstream out, err;
  cli::Io io{in, out, err};
  CHECK(cli::run_audit({"report", "--html", "x.html"}, io) == 1);
  CHECK(err.str().find("give --log PATH") != std::string::npos);
  CHECK(cli::run_audit({"report", "--log", fixture.log_a}, io) == 1);
  CHECK(err.str().find("give --html OUT.html and/or --json OUT.json") != std::string::npos);
  CHECK(cli::run_audit({"report", "--log", fixture.log_a, "--json", "x.json", "--from", "2026-02-30"}, io) == 1);
  CHECK(err.str().find("is not a date") != std::string::npos);
  CHECK(cli::run_audit({"report", "--log", fixture.log_a, "--json", "x.json", "--to", "yesterday"}, io) == 1);
  CHECK(err.str().find("neither a date") != std::string::npos);

  std::string json_path = (temp.path / "day.json").string(), html_path = (temp.path / "day.html").string();
  CHECK(cli::run_audit({"report", "--log", fixture.log_a, "--log", fixture.log_b, "--log", fixture.log_c, "--from",
                        "2026-11-03", "--to", "2026-11-03", "--json", json_path, "--html", html_path},
                       io) == 0);
  Json day = Json::parse(test::read_file(json_path));
  CHECK(day["decisions"]["total"] == 120);  // the whole of 3 November, from three replicas
  CHECK(day["period"]["from"] == "2026-11-03");
  CHECK(test::read_file(html_path).find("Triage post-deployment monitoring report") != std::string::npos);
  // A time bound is exclusive, as --until is for replay and export.
  CHECK(cli::run_audit({"report", "--log", fixture.log_a, "--from", "2026-11-03T00:00:00Z", "--to",
                        "2026-11-03T09:00:00Z", "--json", json_path},
                       io) == 0);
  CHECK(Json::parse(test::read_file(json_path))["decisions"]["total"] == 12);  // 08:00 to 08:55, every 5 minutes
  CHECK(out.str().find("report over 12 decisions") != std::string::npos);
  // Per hour: 3 November from 08:00 to 11:15, 40 decisions a replica, one every 5 minutes.
  CHECK(cli::run_audit({"report", "--log", fixture.log_a, "--log", fixture.log_b, "--log", fixture.log_c, "--from",
                        "2026-11-03", "--to", "2026-11-03", "--per", "hour", "--json", json_path, "--html", html_path},
                       io) == 0);
  Json hours = Json::parse(test::read_file(json_path));
  CHECK(hours["per"] == "hour");
  std::vector<std::pair<std::string, int>> per_hour;
  for (const auto& h : hours["decisions"]["by_hour"]) per_hour.emplace_back(h["hour"], h["total"]);
  CHECK(per_hour == std::vector<std::pair<std::string, int>>{
                        {"2026-11-03T08", 36}, {"2026-11-03T09", 36}, {"2026-11-03T10", 36}, {"2026-11-03T11", 12}});
  CHECK(test::read_file(html_path).find("Decisions per hour, by outcome and urgency tier") != std::string::npos);
  CHECK(cli::run_audit({"report", "--log", fixture.log_a, "--per", "week", "--json", json_path}, io) == 1);
  CHECK(err.str().find("--per takes day or hour") != std::string::npos);
}

// Not a check: writes the fixture logs for the browser and central tests (tests/report/*.py), into
// TRIAGE_REPORT_FIXTURE.
TEST_CASE("report: write the report fixture logs", "[.report-fixture]") {
  const char* folder = std::getenv("TRIAGE_REPORT_FIXTURE");
  REQUIRE(folder != nullptr);
  test::write_report_fixture(folder, std::getenv("TRIAGE_REPORT_TAMPER") != nullptr);
}

// Not a check: writes the benchmark's log (tools/bench_report.sh) to TRIAGE_REPORT_BENCH_LOG with
// TRIAGE_REPORT_BENCH_COUNT decisions (default one million).
TEST_CASE("report: write the report benchmark log", "[.report-bench]") {
  const char* path = std::getenv("TRIAGE_REPORT_BENCH_LOG");
  REQUIRE(path != nullptr);
  const char* count = std::getenv("TRIAGE_REPORT_BENCH_COUNT");
  test::write_report_bench_log(path, count ? std::atoll(count) : 1000000);
}

}  // namespace triage
