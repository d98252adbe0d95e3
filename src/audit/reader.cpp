#include "audit/reader.hpp"

#include "audit/sqlite.hpp"

namespace triage {
namespace {

constexpr int known_schema_version = 1;

// The WHERE clause and its parameters for a filter; parameters are always bound, never spliced.
std::string where_clause(const DecisionFilter& filter) {
  std::string where = " WHERE 1=1";
  if (!filter.since.empty()) where += " AND decided_at >= ?1";
  if (!filter.until.empty()) where += " AND decided_at < ?2";
  return where;
}

void bind_filter(sql::Statement& statement, const DecisionFilter& filter) {
  if (!filter.since.empty()) statement.bind(1, filter.since);
  if (!filter.until.empty()) statement.bind(2, filter.until);
}

}  // namespace

AuditReader::AuditReader(std::unique_ptr<sql::Database> db) : db_(std::move(db)) {}
AuditReader::~AuditReader() = default;

std::unique_ptr<AuditReader> AuditReader::open(const std::string& path, std::string& error) {
  try {
    // Read-only: an auditor's copy of a log (its -wal file included) must not change under verify.
    auto db = std::make_unique<sql::Database>(path, sql::Database::Mode::read_only);
    sql::Statement version(*db, "PRAGMA user_version");
    version.step();
    auto schema = version.integer(0);
    if (schema == 0) {
      error = path + " is not a triage audit log (no schema version)";
      return nullptr;
    }
    if (schema > known_schema_version) {
      error = path + " has audit schema version " + std::to_string(schema) + "; this triage reads up to " +
              std::to_string(known_schema_version);
      return nullptr;
    }
    for (const char* table : {"rulesets", "ruleset_files", "decisions"}) {
      sql::Statement exists(*db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1");
      exists.bind(1, std::string_view(table));
      if (!exists.step()) {
        error = path + " is not a triage audit log (no `" + table + "` table)";
        return nullptr;
      }
    }
    return std::unique_ptr<AuditReader>(new AuditReader(std::move(db)));
  } catch (const sql::SqliteError& failure) {
    error = std::string("cannot read the audit log ") + path + ": " + failure.what();
    return nullptr;
  }
}

std::string AuditReader::integrity_check() {
  sql::Statement check(*db_, "PRAGMA integrity_check");
  std::string result;
  while (check.step()) result += (result.empty() ? "" : "; ") + check.text(0);
  return result;
}

std::int64_t AuditReader::count(const DecisionFilter& filter) {
  sql::Statement statement(*db_, "SELECT count(*) FROM decisions" + where_clause(filter));
  bind_filter(statement, filter);
  statement.step();
  std::int64_t total = statement.integer(0);
  return filter.limit > 0 ? std::min(total, filter.limit) : total;
}

void AuditReader::for_each_decision(const DecisionFilter& filter,
                                    const std::function<bool(const DecisionRow&)>& visit) {
  std::string sql =
      "SELECT seq, decision_id, decided_at, client, request_id, ruleset_hash, answers, decision, prev_hash, "
      "record_hash FROM decisions" +
      where_clause(filter) + " ORDER BY seq";
  if (filter.limit > 0) sql += " LIMIT " + std::to_string(filter.limit);
  sql::Statement statement(*db_, sql);
  bind_filter(statement, filter);
  DecisionRow row;
  while (statement.step()) {
    row.seq = statement.integer(0);
    row.decision_id = statement.text(1);
    row.decided_at = statement.text(2);
    row.client = statement.text(3);
    row.request_id = statement.text(4);
    row.ruleset_hash = statement.text(5);
    row.answers = statement.text(6);
    row.decision = statement.text(7);
    row.prev_hash = statement.text(8);
    row.record_hash = statement.text(9);
    if (!visit(row)) return;
  }
}

std::vector<std::string> AuditReader::ruleset_hashes() {
  sql::Statement statement(*db_, "SELECT hash FROM rulesets ORDER BY hash");
  std::vector<std::string> hashes;
  while (statement.step()) hashes.push_back(statement.text(0));
  return hashes;
}

bool AuditReader::ruleset_files(const std::string& hash, std::vector<std::pair<std::string, std::string>>& files) {
  sql::Statement exists(*db_, "SELECT 1 FROM rulesets WHERE hash = ?1");
  exists.bind(1, hash);
  if (!exists.step()) return false;
  sql::Statement statement(*db_, "SELECT name, text FROM ruleset_files WHERE hash = ?1 ORDER BY name");
  statement.bind(1, hash);
  files.clear();
  while (statement.step()) files.emplace_back(statement.text(0), statement.text(1));
  return true;
}

}  // namespace triage
