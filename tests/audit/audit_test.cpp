// The audit log and the auditor's tools: store, migrations, chain, group commit; verify catching
// tampered databases; replay for determinism and impact; export.
#include <catch2/catch.hpp>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "api/answers_proto.hpp"
#include "api/decision_record.hpp"
#include "audit/audit_log.hpp"
#include "audit/reader.hpp"
#include "audit/record.hpp"
#include "auditor/checkpoints.hpp"
#include "auditor/export.hpp"
#include "auditor/replay.hpp"
#include "auditor/verify.hpp"
#include "sign/signature.hpp"
#include "support.hpp"
#include "util/sha256.hpp"

namespace triage {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> examples{"self_care_lower_back.json", "urgent_fever_night_pain.json",
                                        "incomplete_provisional_routine.json", "routine_pain_below_knee.json",
                                        "self_care_unstable_back.json"};

struct TempLog {
  fs::path folder = fs::temp_directory_path() / ("triage-audit-test-" + new_decision_id());
  TempLog() { fs::create_directories(folder); }
  ~TempLog() {
    std::error_code ignored;
    fs::remove_all(folder, ignored);
  }
  std::string path() const { return (folder / "audit.db").string(); }
};


// Writes `count` real decisions of the example intakes, as the service does, and waits for them.
void write_decisions(AuditLog& log, int count) {
  const CompiledRuleset& ruleset = test::shipped();
  std::vector<std::future<bool>> done;
  for (int i = 0; i < count; ++i) {
    std::string json = test::read_file(test::source_path("rules/examples/" + examples[i % examples.size()]));
    std::vector<RawAnswer> raw;
    std::string error;
    REQUIRE(parse_intake_json(json, raw, error));
    AuditRecord record;
    record.decision_id = new_decision_id();
    record.decided_at_micros = now_micros();
    record.client = "id:test";
    record.request_id = "r" + std::to_string(i);
    record.ruleset_hash = ruleset.model->hash;
    record.decision = decision_record_json(ruleset, evaluate(ruleset, validate_answers(ruleset, raw).answers));
    record.answers = canonical_answers_json(raw);
    auto promise = std::make_shared<std::promise<bool>>();
    done.push_back(promise->get_future());
    log.append(std::move(record), [promise](bool ok, const std::string&) { promise->set_value(ok); });
  }
  for (auto& future : done) REQUIRE(future.get());
}

void make_log(const std::string& path, int count) {
  std::string error;
  auto log = AuditLog::open(path, error);
  REQUIRE(log != nullptr);
  REQUIRE(log->store_ruleset(test::shipped().model->hash, test::shipped_rule_files(), error));
  write_decisions(*log, count);
}

void run_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* error = nullptr;
  int code = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  INFO((error ? error : ""));
  sqlite3_free(error);
  sqlite3_close(db);
  REQUIRE(code == SQLITE_OK);
}

// Undoes migrations 2 to 7 (replica ids, ruleset signatures, checkpoints, feedback, trace ids, feedback chain and
// CDS tokens), so the file is a log as
// schema 1 wrote it; the records must have no replica id.
void downgrade_to_schema_1(const std::string& path) {
  run_sql(path,
          "ALTER TABLE decisions DROP COLUMN replica_id; ALTER TABLE rulesets DROP COLUMN signer; "
          "ALTER TABLE rulesets DROP COLUMN signing_key; ALTER TABLE rulesets DROP COLUMN signature; "
          "ALTER TABLE rulesets DROP COLUMN signed_statement; DROP TABLE checkpoints; DROP TABLE feedback; ALTER TABLE decisions DROP COLUMN trace_id; "
          "DROP TABLE cds_tokens; "
          "PRAGMA user_version = 1");
}

VerifyReport verify(const std::string& path, const std::string& head = "") {
  std::string error;
  auto reader = AuditReader::open(path, error);
  REQUIRE(reader != nullptr);
  return verify_audit_log(*reader, head, nullptr);
}

}  // namespace

TEST_CASE("the log is created owner-only, in WAL mode, at the current schema version", "[audit]") {
  TempLog temp;
  make_log(temp.path(), 3);
  struct stat info {};
  REQUIRE(stat(temp.path().c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(temp.path().c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &statement, nullptr);
  sqlite3_step(statement);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0))) == "wal");
  sqlite3_finalize(statement);
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &statement, nullptr);
  sqlite3_step(statement);
  CHECK(sqlite3_column_int(statement, 0) == 7);  // 2: replica ids, 3: ruleset signatures, 4: checkpoints, 5: feedback, 6: trace ids, 7: feedback chain
  sqlite3_finalize(statement);
  sqlite3_close(db);
}

TEST_CASE("a schema-1 log migrates to replica ids and its old records still verify", "[audit][replica]") {
  TempLog temp;
  make_log(temp.path(), 5);  // no replica id: the records hash exactly as schema 1 wrote them
  downgrade_to_schema_1(temp.path());
  VerifyReport old = verify(temp.path());
  REQUIRE(old.ok);
  CHECK(old.verified == 5);
  {
    std::string error;
    auto log = AuditLog::open(temp.path(), error);
    REQUIRE(log != nullptr);
    log->set_replica_id("replica-7");
    write_decisions(*log, 5);
  }
  VerifyReport migrated = verify(temp.path(), old.head_hash);
  CHECK(migrated.ok);
  CHECK(migrated.verified == 10);
  std::string error;
  {
    // The start-up chain check reads the replica ids too: a log with them reopens sound.
    auto reopened = AuditLog::open(temp.path(), error);
    REQUIRE(reopened != nullptr);
    CHECK(reopened->fault().empty());
  }
  auto reader = AuditReader::open(temp.path(), error);
  REQUIRE(reader != nullptr);
  std::vector<std::string> replicas;
  reader->for_each_decision({}, [&](const DecisionRow& row) {
    replicas.push_back(row.replica_id);
    return true;
  });
  CHECK(replicas == std::vector<std::string>{"", "", "", "", "", "replica-7", "replica-7", "replica-7", "replica-7",
                                             "replica-7"});
  reader.reset();
  // The replica id is covered by the chain: changing it is an edit.
  run_sql(temp.path(), "UPDATE decisions SET replica_id = 'replica-8' WHERE seq = 8");
  VerifyReport edited = verify(temp.path());
  CHECK_FALSE(edited.ok);
  CHECK(edited.broken_seq == 8);
  // And so is adding one to a record written without it.
  run_sql(temp.path(), "UPDATE decisions SET replica_id = 'replica-7' WHERE seq = 8");
  run_sql(temp.path(), "UPDATE decisions SET replica_id = 'replica-7' WHERE seq = 2");
  CHECK(verify(temp.path()).broken_seq == 2);
}

TEST_CASE("a log from a newer triage, or a file that is not a log, is refused with a reason", "[audit]") {
  TempLog temp;
  make_log(temp.path(), 1);
  run_sql(temp.path(), "PRAGMA user_version = 99");
  std::string error;
  CHECK(AuditLog::open(temp.path(), error) == nullptr);
  CHECK(error.find("schema version 99") != std::string::npos);
  CHECK(AuditReader::open(temp.path(), error) == nullptr);

  std::string other = (temp.folder / "other.db").string();
  run_sql(other, "CREATE TABLE notes (text TEXT)");
  CHECK(AuditReader::open(other, error) == nullptr);
  CHECK(error.find("not a triage audit log") != std::string::npos);
  CHECK(AuditReader::open((temp.folder / "missing.db").string(), error) == nullptr);
}

TEST_CASE("the chain verifies, and continues across a reopen", "[audit]") {
  TempLog temp;
  make_log(temp.path(), 40);
  VerifyReport first = verify(temp.path());
  CHECK(first.ok);
  CHECK(first.verified == 40);
  make_log(temp.path(), 10);  // reopen: the ruleset is stored once, the chain goes on
  VerifyReport second = verify(temp.path(), first.head_hash);
  CHECK(second.ok);
  CHECK(second.verified == 50);
  CHECK(second.head_hash != first.head_hash);
}

TEST_CASE("verify catches tampering", "[audit][verify]") {
  struct Case {
    std::string name;
    std::string sql;
    std::string problem;
    std::int64_t broken_seq;
  };
  auto c = GENERATE(values<Case>({
      {"an edited answer", "UPDATE decisions SET answers = replace(answers, 'true', 'false') WHERE seq = 7",
       "the record was edited", 7},
      {"an edited decision", "UPDATE decisions SET decision = replace(decision, 'refer', 'self_care') WHERE seq = 2",
       "the record was edited", 2},
      {"a deleted row", "DELETE FROM decisions WHERE seq = 5", "a record before it was deleted", 6},
      {"a swapped order",
       "UPDATE decisions SET seq = -3 WHERE seq = 3; UPDATE decisions SET seq = 3 WHERE seq = 4; "
       "UPDATE decisions SET seq = 4 WHERE seq = -3",
       "was deleted, inserted or reordered", 3},
      {"a missing ruleset", "DELETE FROM ruleset_files; DELETE FROM rulesets", "is not stored", 1},
      {"an edited ruleset file", "UPDATE ruleset_files SET text = text || ' ' WHERE name = 'plan.rules'",
       "does not match its files", 0},
  }));
  TempLog temp;
  make_log(temp.path(), 10);
  run_sql(temp.path(), c.sql);
  VerifyReport report = verify(temp.path());
  INFO(c.name << ": " << report.problem);
  CHECK_FALSE(report.ok);
  CHECK(report.problem.find(c.problem) != std::string::npos);
  CHECK(report.broken_seq == c.broken_seq);
}

TEST_CASE("verify with an expected head catches deleted trailing records", "[audit][verify]") {
  TempLog temp;
  make_log(temp.path(), 10);
  std::string head = verify(temp.path()).head_hash;
  run_sql(temp.path(), "DELETE FROM decisions WHERE seq >= 9");
  CHECK(verify(temp.path()).ok);  // a chain alone cannot see a cut tail ...
  VerifyReport anchored = verify(temp.path(), head);
  CHECK_FALSE(anchored.ok);       // ... the head kept from before can
  CHECK(anchored.problem.find("records were removed from its end, or the history up to it was changed") !=
        std::string::npos);
}

TEST_CASE("replay re-makes every logged decision byte for byte", "[audit][replay]") {
  TempLog temp;
  make_log(temp.path(), 25);
  std::string error;
  auto reader = AuditReader::open(temp.path(), error);
  REQUIRE(reader);
  ReplayReport report = replay_audit_log(*reader, {}, nullptr, nullptr);
  CHECK(report.replayed == 25);
  CHECK(report.unchanged == 25);
  CHECK(report.differences.empty());

  // A decision that the rules would not make is reported, field by field.
  run_sql(temp.path(), "UPDATE decisions SET decision = replace(decision, '\"urgent\"', '\"routine\"') WHERE seq = 2");
  reader = AuditReader::open(temp.path(), error);
  report = replay_audit_log(*reader, {}, nullptr, nullptr);
  CHECK(report.changed == 1);
  REQUIRE(report.differences.size() == 1);
  CHECK(report.differences[0].seq == 2);
  CHECK(report.differences[0].transition == "refer/routine -> refer/urgent");
  bool urgency_listed = false;
  for (const auto& field : report.differences[0].fields) urgency_listed = urgency_listed || field.path == "urgency";
  CHECK(urgency_listed);
  CHECK(replay_text(report, false).find("urgency: \"routine\" -> \"urgent\"") != std::string::npos);
}

TEST_CASE("replay against candidate rules counts changes by transition", "[audit][replay][impact]") {
  TempLog temp;
  make_log(temp.path(), 10);  // examples cycle: 2 of each
  // The candidate makes pain below the knee urgent instead of routine.
  std::vector<std::pair<std::string, std::string>> files = test::shipped_rule_files();
  for (auto& [name, text] : files) {
    if (name == "red_flags.rules") {
      auto at = text.find("pain_below_knee -> refer routine");
      REQUIRE(at != std::string::npos);
      text.replace(at, std::string("pain_below_knee -> refer routine").size(), "pain_below_knee -> refer urgent");
    }
  }
  auto candidate = test::load_texts(files);
  std::string error;
  auto reader = AuditReader::open(temp.path(), error);
  ReplayReport report = replay_audit_log(*reader, {}, candidate, nullptr);
  CHECK(report.replayed == 10);
  // routine_pain_below_knee (x2) becomes urgent; incomplete_provisional_routine (x2) becomes a provisional urgent.
  CHECK(report.transitions["refer/routine -> refer/urgent"] == 2);
  CHECK(report.transitions["incomplete/routine -> incomplete/urgent"] == 2);
  CHECK(report.changed == 4);
  CHECK(report.unchanged == 6);
  CHECK(replay_json(report, true).find("\"mode\":\"impact\"") != std::string::npos);

  DecisionFilter limited;
  limited.limit = 3;
  CHECK(replay_audit_log(*reader, limited, candidate, nullptr).replayed == 3);
}

TEST_CASE("export writes every decision as JSON lines or CSV", "[audit][export]") {
  TempLog temp;
  make_log(temp.path(), 6);
  std::string error;
  auto reader = AuditReader::open(temp.path(), error);
  std::ostringstream jsonl, csv;
  std::string bad_row;
  CHECK(export_audit_log(*reader, {}, ExportFormat::jsonl, jsonl, bad_row) == 6);
  CHECK(export_audit_log(*reader, {}, ExportFormat::csv, csv, bad_row) == 6);
  CHECK(bad_row.empty());
  std::istringstream lines(jsonl.str());
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    google::protobuf::Struct parsed;
    CHECK(google::protobuf::util::JsonStringToMessage(line, &parsed).ok());
    CHECK(parsed.fields().at("decision").struct_value().fields().count("outcome") == 1);
    ++count;
  }
  CHECK(count == 6);
  std::string table = csv.str();
  CHECK(table.rfind("seq,decision_id,decided_at,client,request_id,ruleset_hash,outcome,urgency", 0) == 0);
  CHECK(std::count(table.begin(), table.end(), '\n') >= 7);
}

}  // namespace triage

namespace triage {

TEST_CASE("a damaged log opens faulty and is never written", "[audit][startup]") {
  struct Case {
    std::string name;
    std::string sql;
    std::string fault;
  };
  auto c = GENERATE(values<Case>({
      {"an edited answer", "UPDATE decisions SET answers = replace(answers, 'true', 'false') WHERE seq = 7",
       "record 7"},
      {"an edited hash", "UPDATE decisions SET record_hash = prev_hash WHERE seq = 10", "record 10"},
      {"a deleted row", "DELETE FROM decisions WHERE seq = 5", "record 6"},
  }));
  TempLog temp;
  make_log(temp.path(), 10);
  run_sql(temp.path(), c.sql);
  std::string error;
  auto log = AuditLog::open(temp.path(), error);
  REQUIRE(log != nullptr);
  INFO(c.name << ": " << log->fault());
  CHECK(log->fault().find("failed its start-up check") != std::string::npos);
  CHECK(log->fault().find(c.fault) != std::string::npos);
  CHECK_FALSE(log->healthy());
  std::promise<std::pair<bool, std::string>> result;
  AuditRecord record;
  record.decision_id = new_decision_id();
  log->append(record, [&](bool ok, const std::string& why) { result.set_value({ok, why}); });
  auto [ok, why] = result.get_future().get();
  CHECK_FALSE(ok);
  CHECK(why == log->fault());
  CHECK_FALSE(log->store_ruleset("sha256:other", {}, error));
  log.reset();
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(temp.path().c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db, "SELECT count(*) FROM decisions WHERE decision_id = ?1", -1, &statement, nullptr);
  sqlite3_bind_text(statement, 1, record.decision_id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_step(statement);
  CHECK(sqlite3_column_int(statement, 0) == 0);
  sqlite3_finalize(statement);
  sqlite3_close(db);
}

TEST_CASE("an existing empty file starts a new log only with init", "[audit][startup]") {
  TempLog temp;
  { std::ofstream(temp.path()); }
  std::string error;
  CHECK(AuditLog::open(temp.path(), error) == nullptr);
  CHECK(error.find("--audit-init") != std::string::npos);
  auto log = AuditLog::open(temp.path(), error, 5000, /*init=*/true);
  REQUIRE(log != nullptr);
  CHECK(log->fault().empty());
  log.reset();
  // Once it is a log, init changes nothing and plain opens work.
  CHECK(AuditLog::open(temp.path(), error) != nullptr);
  CHECK(AuditLog::open(temp.path(), error, 5000, true) != nullptr);
  // A missing file is still created without init (the first start of a new deployment).
  CHECK(AuditLog::open((temp.folder / "new.db").string(), error) != nullptr);
}

}  // namespace triage

namespace triage {
namespace {

// Checkpoint keys and policies: tests/support.hpp (shared with the report tests).
using test::SigningKey;
using test::make_signing_key;
using test::checkpoints_with;

// A log of `count` decisions written with checkpoints every `every_records`, closed cleanly.
void make_signed_log(const std::string& path, const SigningKey& key, int count, std::int64_t every_records) {
  std::string error;
  auto log = AuditLog::open(path, error);
  REQUIRE(log != nullptr);
  log->set_checkpoints(checkpoints_with(key, every_records));
  REQUIRE(log->store_ruleset(test::shipped().model->hash, test::shipped_rule_files(), error));
  write_decisions(*log, count);
  log->close();
  CHECK(log->checkpoint_error().empty());
}

CheckpointReport verify_signed(const std::string& path, const std::string& trusted_dir) {
  std::string error;
  auto reader = AuditReader::open(path, error);
  REQUIRE(reader != nullptr);
  return verify_checkpoints(*reader, trusted_dir);
}

std::vector<std::int64_t> checkpoint_seqs(const std::string& path) {
  std::string error;
  auto reader = AuditReader::open(path, error);
  REQUIRE(reader != nullptr);
  std::vector<std::int64_t> seqs;
  for (const auto& checkpoint : reader->checkpoints()) seqs.push_back(checkpoint.seq);
  return seqs;
}

// What someone who can write the file can do: edit record `seq` and recompute every hash after it.
void rewrite_with_recomputed_hashes(const std::string& path, std::int64_t seq) {
  run_sql(path, "UPDATE decisions SET request_id = 'rewritten' WHERE seq = " + std::to_string(seq));
  std::vector<DecisionRow> rows;
  {
    std::string error;
    auto reader = AuditReader::open(path, error);
    REQUIRE(reader != nullptr);
    reader->for_each_decision({}, [&](const DecisionRow& row) {
      rows.push_back(row);
      return true;
    });
  }
  std::string previous = genesis_hash();
  std::string sql;
  for (auto& row : rows) {
    row.prev_hash = previous;
    row.record_hash = chain_hash(previous, row);
    sql += "UPDATE decisions SET prev_hash = '" + row.prev_hash + "', record_hash = '" + row.record_hash +
           "' WHERE seq = " + std::to_string(row.seq) + ";";
    previous = row.record_hash;
  }
  run_sql(path, sql);
}

}  // namespace

TEST_CASE("signed checkpoints: every N records and at close, all verified", "[audit][checkpoint]") {
  TempLog temp;
  SigningKey key = make_signing_key(temp.folder, "clinic-audit");
  make_signed_log(temp.path(), key, 10, 4);
  // 0: signed when the ruleset was stored into the empty log.
  CHECK(checkpoint_seqs(temp.path()) == std::vector<std::int64_t>{0, 4, 8, 10});
  CheckpointReport report = verify_signed(temp.path(), key.trusted_dir);
  INFO(report.problem);
  CHECK(report.ok);
  CHECK(report.checked == 4);
  CHECK(report.covered_seq == 10);
  CHECK(report.unsigned_tail == 0);
  CHECK(report.signers == "clinic-audit");
  // Reopened, the log goes on from its last checkpoint.
  make_signed_log(temp.path(), key, 5, 4);
  CHECK(checkpoint_seqs(temp.path()) == std::vector<std::int64_t>{0, 4, 8, 10, 14, 15});
  CHECK(verify_signed(temp.path(), key.trusted_dir).ok);
}

TEST_CASE("signed checkpoints: a chain rewritten with recomputed hashes is caught", "[audit][checkpoint]") {
  TempLog temp;
  SigningKey key = make_signing_key(temp.folder, "clinic-audit");
  make_signed_log(temp.path(), key, 10, 4);
  rewrite_with_recomputed_hashes(temp.path(), 3);
  REQUIRE(verify(temp.path()).ok);  // the chain alone cannot see it: every hash was recomputed ...
  CheckpointReport report = verify_signed(temp.path(), key.trusted_dir);
  INFO(report.problem);
  CHECK_FALSE(report.ok);  // ... the first signed head after the edit can
  CHECK(report.problem.find("record 4 ") != std::string::npos);
  CHECK(report.problem.find("was changed") != std::string::npos);
  CHECK(report.problem.find("truncated") == std::string::npos);
}

TEST_CASE("signed checkpoints: truncation, removed or forged checkpoints, unknown keys", "[audit][checkpoint]") {
  struct Case {
    std::string name;
    std::string sql;
    std::string problem;
  };
  auto c = GENERATE(values<Case>({
      {"the last records cut off", "DELETE FROM decisions WHERE seq >= 9", "the log was truncated"},
      {"every checkpoint removed", "DELETE FROM checkpoints", "no signed checkpoint"},
      {"every record and checkpoint removed (an emptied log)", "DELETE FROM decisions; DELETE FROM checkpoints",
       "an emptied log"},
      {"the empty log's checkpoint forged onto another head",
       "DELETE FROM decisions; DELETE FROM checkpoints WHERE seq > 0; UPDATE checkpoints SET head = 'x'",
       "no valid signature"},
      {"the newest checkpoints removed, records added after",
       "DELETE FROM checkpoints WHERE seq > 4", "not covered by a signed checkpoint"},
      {"a checkpoint's head replaced", "UPDATE checkpoints SET head = (SELECT record_hash FROM decisions WHERE seq = 3) "
                                       "WHERE seq = 4", "no valid signature"},
      {"a checkpoint moved", "UPDATE checkpoints SET seq = 5 WHERE seq = 4", "no valid signature"},
  }));
  TempLog temp;
  SigningKey key = make_signing_key(temp.folder, "clinic-audit");
  make_signed_log(temp.path(), key, 10, 4);
  run_sql(temp.path(), c.sql);
  CheckpointReport report = verify_signed(temp.path(), key.trusted_dir);
  INFO(c.name << ": " << report.problem);
  CHECK_FALSE(report.ok);
  CHECK(report.problem.find(c.problem) != std::string::npos);
}

TEST_CASE("signed checkpoints: a ruleset stored after the newest checkpoint proves checkpoints were removed", "[audit][checkpoint]") {
  TempLog temp;
  SigningKey key = make_signing_key(temp.folder, "clinic-audit");
  make_signed_log(temp.path(), key, 6, 4);
  {
    // A reload stores another ruleset: the server signs a checkpoint right after it.
    std::string error;
    auto log = AuditLog::open(temp.path(), error);
    REQUIRE(log != nullptr);
    log->set_checkpoints(checkpoints_with(key, 4));
    auto files = test::shipped_rule_files();
    files.front().second += "\n";
    REQUIRE(log->store_ruleset("another-ruleset-hash", files, error));
    log->close();
  }
  CHECK(checkpoint_seqs(temp.path()) == std::vector<std::int64_t>{0, 4, 6});
  REQUIRE(verify_signed(temp.path(), key.trusted_dir).ok);
  // Removing that checkpoint leaves a consistent chain, but the ruleset row gives it away.
  run_sql(temp.path(), "DELETE FROM checkpoints WHERE seq = 6");
  CheckpointReport report = verify_signed(temp.path(), key.trusted_dir);
  INFO(report.problem);
  CHECK_FALSE(report.ok);
  CHECK(report.problem.find("ruleset another-rule was stored at") != std::string::npos);
  CHECK(report.problem.find("checkpoints (and perhaps records) after it were removed") != std::string::npos);
}

namespace {

// Feedback from the EHR `id:test` (the client write_decisions records) on the log's first records.
void give_feedback(const std::string& path, const SigningKey* key, int count) {
  std::string error;
  auto log = AuditLog::open(path, error);
  REQUIRE(log != nullptr);
  if (key) log->set_checkpoints(checkpoints_with(*key, 4));
  std::vector<DecisionRow> rows;
  {
    auto reader = AuditReader::open(path, error);
    REQUIRE(reader != nullptr);
    reader->for_each_decision({}, [&](const DecisionRow& row) {
      rows.push_back(row);
      return true;
    });
  }
  REQUIRE(static_cast<int>(rows.size()) >= count);
  for (int i = 0; i < count; ++i) {
    FeedbackEntry entry;
    entry.decision_id = rows[i].decision_id;
    entry.received_at_micros = now_micros();
    entry.service = "back-pain-triage";
    entry.issuer = "id:test";
    entry.client = "id:test";
    entry.outcome = i % 2 ? "overridden" : "accepted";
    entry.outcome_at = "2026-12-04T10:0" + std::to_string(i) + ":00Z";
    CHECK(log->store_feedback(entry, error) == FeedbackStored::stored);
    CHECK(log->store_feedback(entry, error) == FeedbackStored::duplicate);
  }
  log->close();
}

}  // namespace

TEST_CASE("feedback has its own hash chain: edits, deletions and rewrites are caught", "[audit][checkpoint][feedback]") {
  TempLog temp;
  SigningKey key = make_signing_key(temp.folder, "clinic-audit");
  make_signed_log(temp.path(), key, 6, 4);
  give_feedback(temp.path(), &key, 4);
  VerifyReport clean = verify(temp.path());
  INFO(clean.problem);
  REQUIRE(clean.ok);
  CHECK(clean.feedback_verified == 4);
  CheckpointReport signed_ = verify_signed(temp.path(), key.trusted_dir);
  INFO(signed_.problem);
  REQUIRE(signed_.ok);

  SECTION("an edited outcome") {
    run_sql(temp.path(), "UPDATE feedback SET outcome = 'accepted' WHERE seq = 2");
    VerifyReport report = verify(temp.path());
    CHECK_FALSE(report.ok);
    CHECK(report.problem.find("feedback 2 ") != std::string::npos);
    CHECK(report.problem.find("the feedback was edited") != std::string::npos);
  }
  SECTION("a deleted entry") {
    run_sql(temp.path(), "DELETE FROM feedback WHERE seq = 2");
    VerifyReport report = verify(temp.path());
    CHECK_FALSE(report.ok);
    CHECK(report.problem.find("feedback was deleted, inserted or reordered") != std::string::npos);
  }
  SECTION("an edit with every feedback hash recomputed: the signed checkpoint catches it") {
    run_sql(temp.path(), "UPDATE feedback SET outcome = 'accepted', override_comment = 'forged' WHERE seq = 2");
    std::string error;
    std::vector<FeedbackRow> rows;
    {
      auto reader = AuditReader::open(temp.path(), error);
      REQUIRE(reader != nullptr);
      rows = reader->feedback("");
    }
    std::string previous = genesis_hash(), sql;
    for (auto& row : rows) {
      row.prev_hash = previous;
      row.record_hash = feedback_chain_hash(previous, row);
      sql += "UPDATE feedback SET prev_hash = '" + row.prev_hash + "', record_hash = '" + row.record_hash +
             "' WHERE seq = " + std::to_string(row.seq) + ";";
      previous = row.record_hash;
    }
    run_sql(temp.path(), sql);
    REQUIRE(verify(temp.path()).ok);  // the chain alone cannot see it
    CheckpointReport report = verify_signed(temp.path(), key.trusted_dir);
    CHECK_FALSE(report.ok);
    CHECK(report.problem.find("the feedback up to it was edited, removed or rewritten") != std::string::npos);
  }
}

TEST_CASE("feedback stored before schema 7 is chained when the log is opened", "[audit][feedback]") {
  TempLog temp;
  make_log(temp.path(), 4);
  give_feedback(temp.path(), nullptr, 3);
  run_sql(temp.path(), "ALTER TABLE feedback DROP COLUMN prev_hash; ALTER TABLE feedback DROP COLUMN record_hash; "
                       "ALTER TABLE checkpoints DROP COLUMN feedback_seq; ALTER TABLE checkpoints DROP COLUMN "
                       "feedback_head; DROP TABLE cds_tokens; PRAGMA user_version = 6");
  std::string error;
  {
    auto log = AuditLog::open(temp.path(), error);
    REQUIRE(log != nullptr);
    log->close();
  }
  VerifyReport report = verify(temp.path());
  INFO(report.problem);
  CHECK(report.ok);
  CHECK(report.feedback_verified == 3);
}

TEST_CASE("signed checkpoints: a key that is not trusted is refused", "[audit][checkpoint]") {
  TempLog temp;
  SigningKey key = make_signing_key(temp.folder, "clinic-audit");
  SigningKey other = make_signing_key(temp.folder, "someone-else");
  make_signed_log(temp.path(), other, 6, 4);
  CheckpointReport report = verify_signed(temp.path(), key.trusted_dir);
  CHECK_FALSE(report.ok);
  CHECK(report.problem.find("unknown key") != std::string::npos);
  CHECK(verify_signed(temp.path(), other.trusted_dir).ok);
}

TEST_CASE("signed checkpoints: records waiting longer than the interval are signed", "[audit][checkpoint]") {
  TempLog temp;
  SigningKey key = make_signing_key(temp.folder, "clinic-audit");
  std::string error;
  auto log = AuditLog::open(temp.path(), error);
  REQUIRE(log != nullptr);
  log->set_checkpoints(checkpoints_with(key, 1000, std::chrono::milliseconds(200)));
  REQUIRE(log->store_ruleset(test::shipped().model->hash, test::shipped_rule_files(), error));
  write_decisions(*log, 3);
  // The writer looks once a second while idle; wait for the checkpoint, not a fixed time.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(test::time_budget(5.0));
  while (checkpoint_seqs(temp.path()).size() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(checkpoint_seqs(temp.path()) == std::vector<std::int64_t>{0, 3});
  log->close();
  CHECK(verify_signed(temp.path(), key.trusted_dir).ok);
}

TEST_CASE("serve refuses a log whose newest checkpoint no longer matches it", "[audit][checkpoint][startup]") {
  TempLog temp;
  SigningKey key = make_signing_key(temp.folder, "clinic-audit");
  make_signed_log(temp.path(), key, 10, 4);
  run_sql(temp.path(), "DELETE FROM decisions WHERE seq >= 9");  // a sound chain, cut short
  std::string error;
  auto log = AuditLog::open(temp.path(), error);
  REQUIRE(log != nullptr);
  CHECK(log->fault().find("records were removed") != std::string::npos);
}

}  // namespace triage

namespace triage {

TEST_CASE("a version-1 log (before checkpoints) is read as it is and migrated on open", "[audit][checkpoint]") {
  TempLog temp;
  make_log(temp.path(), 6);
  downgrade_to_schema_1(temp.path());  // as version 1 wrote it
  {
    std::string error;
    auto reader = AuditReader::open(temp.path(), error);
    REQUIRE(reader != nullptr);
    CHECK(reader->checkpoints().empty());
    CHECK(verify_audit_log(*reader, "", nullptr).ok);
  }
  SigningKey key = make_signing_key(temp.folder, "clinic-audit");
  // Migrates to the current schema. The six old records count towards the first interval: record 7 gets
  // the first checkpoint (7 unsigned records >= 4), the close signs record 8.
  make_signed_log(temp.path(), key, 2, 4);
  CHECK(checkpoint_seqs(temp.path()) == std::vector<std::int64_t>{7, 8});
  CHECK(verify(temp.path()).ok);
  CHECK(verify_signed(temp.path(), key.trusted_dir).ok);
}

}  // namespace triage

namespace triage {

TEST_CASE("a trace id is covered by the chain without changing the hash of records without one", "[audit][trace]") {
  DecisionRow row;
  row.decision_id = "d-1";
  row.decided_at = "2026-12-04T00:00:00.000000Z";
  row.client = "id:kiosk-7";
  row.ruleset_hash = "sha256:abc";
  row.answers = "{}";
  row.decision = "{}";
  row.replica_id = "triage-0";
  const std::string before = canonical_record(row);
  CHECK(before.size() > 11);
  CHECK(before.substr(before.size() - 11) == "8:triage-0\n");  // the replica id last, as in schema 2
  row.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  CHECK(canonical_record(row) == before + "32:4bf92f3577b34da6a3ce929d0e0e4736\n");
  // A trace id can never pass for a replica id: without a replica id, an empty one is written first.
  DecisionRow moved = row;
  moved.replica_id = "";
  DecisionRow swapped = row;
  swapped.replica_id = row.trace_id;
  swapped.trace_id = "";
  CHECK(canonical_record(moved) != canonical_record(swapped));
  row.trace_id.clear();
  CHECK(canonical_record(row) == before);
}

TEST_CASE("chain_hash hashes exactly the canonical record, field by field", "[audit][chain]") {
  // The writer streams the fields into the digest instead of building canonical_record(); the
  // chain must stay the one every verifier recomputes from the canonical record's bytes.
  auto reference = [](const std::string& previous, const DecisionRow& row) {
    Sha256 hasher;
    hasher.update(previous + "\n" + canonical_record(row));
    return hasher.hex_digest();
  };
  DecisionRow row;
  row.decision_id = "d-1";
  row.decided_at = "2026-12-04T00:00:00.000000Z";
  row.client = "id:kiosk-7";
  row.ruleset_hash = "sha256:abc";
  row.answers = std::string(1500, 'a') + "\n\"";  // long, with bytes that are escapes elsewhere
  row.decision = "{}";
  const std::string previous = genesis_hash();
  CHECK(chain_hash(previous, row) == reference(previous, row));
  row.replica_id = "triage-0";
  CHECK(chain_hash(previous, row) == reference(previous, row));
  row.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  CHECK(chain_hash(previous, row) == reference(previous, row));
  row.replica_id.clear();
  CHECK(chain_hash(previous, row) == reference(previous, row));
  row.request_id = std::string(10000, 'r');
  CHECK(chain_hash("x", row) == reference("x", row));
}

}  // namespace triage
