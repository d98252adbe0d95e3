#include "audit/reader.hpp"

#include "audit/decision_rows.hpp"
#include "audit/sqlite.hpp"

#include <stdlib.h>

#include <cstdio>
#include <filesystem>

namespace triage {
namespace {

constexpr int known_schema_version = audit_schema::version;

// The WHERE clause and its parameters for a filter; parameters are always bound, never spliced.
std::string where_clause(const DecisionFilter& filter) {
  std::string where = " WHERE 1=1";
  if (!filter.since.empty()) where += " AND decided_at >= ?1";
  if (!filter.until.empty()) where += " AND decided_at < ?2";
  if (filter.after_seq > 0) where += " AND seq > ?3";
  return where;
}

void bind_filter(sql::Statement& statement, const DecisionFilter& filter) {
  if (!filter.since.empty()) statement.bind(1, filter.since);
  if (!filter.until.empty()) statement.bind(2, filter.until);
  if (filter.after_seq > 0) statement.bind(3, filter.after_seq);
}

// `path` as an SQLite URI naming a file opened immutable (no -shm, no locks).
std::string immutable_uri(const std::string& path) {
  std::string uri = "file:";
  for (char c : std::filesystem::absolute(path).string()) {
    auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f || c == '%' || c == '?' || c == '#') {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", byte);
      uri += escaped;
    } else {
      uri += c;
    }
  }
  return uri + "?immutable=1";
}

// A read-only connection that has read the schema version, or throws.
std::unique_ptr<sql::Database> open_probed(const std::string& path, sql::Database::Mode mode) {
  auto db = std::make_unique<sql::Database>(path, mode);
  sql::Statement probe(*db, "PRAGMA user_version");
  probe.step();
  return db;
}

// Opens `path` read-only even on read-only storage, where SQLite cannot create the -shm index of
// a WAL-mode file ("unable to open database file"). Sets `copy_folder` when it reads a copy.
std::unique_ptr<sql::Database> open_read_only(const std::string& path, std::string& copy_folder) {
  namespace fs = std::filesystem;
  try {
    return open_probed(path, sql::Database::Mode::read_only);
  } catch (const sql::SqliteError& failure) {
    int primary = failure.code() & 0xff;
    std::error_code ignored;
    if ((primary != SQLITE_CANTOPEN && primary != SQLITE_READONLY) || !fs::exists(path, ignored)) throw;
  }
  std::error_code ignored;
  std::string wal = path + "-wal";
  if (!fs::exists(wal, ignored) || fs::file_size(wal, ignored) == 0) {
    // Nothing beyond the database file: read it as it is.
    return open_probed(immutable_uri(path), sql::Database::Mode::read_only_uri);
  }
  // Decisions still in the WAL: read a private copy, where SQLite can build its index.
  std::string folder_template = (fs::temp_directory_path() / "triage-audit-read-XXXXXX").string();
  if (mkdtemp(folder_template.data()) == nullptr) {
    throw sql::SqliteError("cannot make a folder for a private copy of the read-only log", SQLITE_CANTOPEN);
  }
  copy_folder = folder_template;
  fs::path copy = fs::path(copy_folder) / "audit.db";
  std::error_code copy_error;
  fs::copy_file(path, copy, copy_error);
  if (!copy_error) fs::copy_file(wal, copy.string() + "-wal", copy_error);
  if (copy_error) {
    throw sql::SqliteError("cannot copy the read-only log to " + copy_folder + ": " + copy_error.message(),
                           SQLITE_CANTOPEN);
  }
  return open_probed(copy.string(), sql::Database::Mode::read_only);
}

}  // namespace

AuditReader::AuditReader(std::unique_ptr<sql::Database> db, std::string copy_folder)
    : db_(std::move(db)), copy_folder_(std::move(copy_folder)) {}

AuditReader::~AuditReader() {
  db_.reset();
  if (!copy_folder_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(copy_folder_, ignored);
  }
}

std::unique_ptr<AuditReader> AuditReader::open(const std::string& path, std::string& error) {
  std::string copy_folder;
  // The private copy, if one is made, goes when this function fails.
  struct Cleanup {
    std::string& folder;
    bool keep = false;
    ~Cleanup() {
      std::error_code ignored;
      if (!keep && !folder.empty()) std::filesystem::remove_all(folder, ignored);
    }
  } cleanup{copy_folder};
  try {
    // Read-only: an auditor's copy of a log (its -wal file included) must not change under verify.
    auto db = open_read_only(path, copy_folder);
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
    cleanup.keep = true;
    std::unique_ptr<AuditReader> reader(new AuditReader(std::move(db), copy_folder));
    reader->schema_ = static_cast<int>(schema);
    return reader;
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
  std::string sql = "SELECT " + audit_schema::decision_columns(schema_) + " FROM decisions" +
                    where_clause(filter) + " ORDER BY seq";
  if (filter.limit > 0) sql += " LIMIT " + std::to_string(filter.limit);
  sql::Statement statement(*db_, sql);
  bind_filter(statement, filter);
  DecisionRow row;
  while (statement.step()) {
    audit_schema::read_decision_row(statement, row);
    if (!visit(row)) return;
  }
}

namespace {

// Feedback rows matching `where` (which binds ?1 and ?2), in arrival order; none before the table.
std::vector<FeedbackRow> read_feedback(sql::Database& db, int schema, const std::string& where,
                                       const std::function<void(sql::Statement&)>& bind) {
  std::vector<FeedbackRow> rows;
  sql::Statement exists(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'feedback'");
  if (!exists.step()) return rows;  // a version-1 log opened read-only
  bool chained = schema >= audit_schema::feedback_chain_since;
  sql::Statement statement(db,
                           std::string("SELECT seq, decision_id, received_at, service, client, outcome, override_reason, "
                                       "override_comment, accepted_suggestions, outcome_at, ") +
                               (chained ? "prev_hash, record_hash" : "'', ''") + " FROM feedback WHERE " + where);
  bind(statement);
  while (statement.step()) {
    rows.push_back({statement.integer(0), statement.text(1), statement.text(2), statement.text(3), statement.text(4),
                    statement.text(5), statement.text(6), statement.text(7), statement.text(8), statement.text(9),
                    statement.text(10), statement.text(11)});
  }
  return rows;
}

}  // namespace

std::vector<FeedbackRow> AuditReader::feedback(const std::string& decision_id) {
  return read_feedback(*db_, schema_, "?1 = '' OR decision_id = ?1 ORDER BY seq",
                       [&](sql::Statement& statement) { statement.bind(1, decision_id); });
}

std::vector<FeedbackRow> AuditReader::feedback_after(std::int64_t after_seq, std::int64_t limit) {
  return read_feedback(*db_, schema_, "seq > ?1 ORDER BY seq LIMIT ?2", [&](sql::Statement& statement) {
    statement.bind(1, after_seq).bind(2, limit);
  });
}

std::optional<std::string> AuditReader::decision_record(const std::string& decision_id) {
  sql::Statement statement(*db_, "SELECT decision FROM decisions WHERE decision_id = ?1");
  statement.bind(1, decision_id);
  if (!statement.step()) return std::nullopt;
  return statement.text(0);
}

std::vector<std::string> AuditReader::ruleset_hashes() {
  sql::Statement statement(*db_, "SELECT hash FROM rulesets ORDER BY hash");
  std::vector<std::string> hashes;
  while (statement.step()) hashes.push_back(statement.text(0));
  return hashes;
}

std::vector<std::pair<std::string, std::string>> AuditReader::rulesets_by_first_seen() {
  sql::Statement statement(*db_, "SELECT hash, first_seen FROM rulesets ORDER BY first_seen, hash");
  std::vector<std::pair<std::string, std::string>> rulesets;
  while (statement.step()) rulesets.emplace_back(statement.text(0), statement.text(1));
  return rulesets;
}

std::string AuditReader::ruleset_first_seen(const std::string& hash) {
  sql::Statement statement(*db_, "SELECT first_seen FROM rulesets WHERE hash = ?1");
  statement.bind(1, hash);
  return statement.step() ? statement.text(0) : std::string{};
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

std::vector<StoredSignature> AuditReader::ruleset_signatures() {
  sql::Statement rows(*db_, schema_ >= audit_schema::signatures_since
                                ? "SELECT hash, signer, signing_key, signature, signed_statement FROM rulesets ORDER BY hash"
                                : "SELECT hash, '', '', '', '' FROM rulesets ORDER BY hash");
  std::vector<StoredSignature> signatures;
  while (rows.step()) {
    signatures.push_back({rows.text(0), rows.text(1), rows.text(2), rows.text(3), rows.text(4)});
  }
  return signatures;
}

std::vector<CheckpointRow> AuditReader::checkpoints() {
  std::vector<CheckpointRow> rows;
  sql::Statement exists(*db_, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'checkpoints'");
  if (!exists.step()) return rows;  // a log from before schema 4
  sql::Statement statement(*db_, std::string("SELECT seq, head, signed_at, every_records, key_id, signature, ") +
                                     (schema_ >= audit_schema::feedback_chain_since ? "feedback_seq, feedback_head"
                                                                                     : "0, ''") +
                                     " FROM checkpoints ORDER BY seq");
  while (statement.step()) {
    CheckpointRow row;
    row.seq = statement.integer(0);
    row.head = statement.text(1);
    row.signed_at = statement.text(2);
    row.every_records = statement.integer(3);
    row.key_id = statement.text(4);
    row.signature = statement.text(5);
    row.feedback_seq = statement.integer(6);
    row.feedback_head = statement.text(7);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::optional<DecisionRow> AuditReader::decision_at(std::int64_t seq) {
  sql::Statement statement(*db_,
                           "SELECT seq, decision_id, record_hash FROM decisions WHERE seq = ?1");
  statement.bind(1, seq);
  if (!statement.step()) return std::nullopt;
  DecisionRow row;
  row.seq = statement.integer(0);
  row.decision_id = statement.text(1);
  row.record_hash = statement.text(2);
  return row;
}

std::int64_t AuditReader::last_seq() {
  sql::Statement statement(*db_, "SELECT coalesce(max(seq), 0) FROM decisions");
  statement.step();
  return statement.integer(0);
}

}  // namespace triage
