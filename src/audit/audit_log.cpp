#include "audit/audit_log.hpp"

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <ctime>

#include "audit/decision_rows.hpp"
#include "audit/record.hpp"
#include "audit/sqlite.hpp"

namespace triage {
namespace {

constexpr int schema_version = audit_schema::version;

// Schema 2: the replica that decided, covered by the chain only when not empty (record.hpp), so
// records written under schema 1 keep verifying.
const char* const add_replica_id = "ALTER TABLE decisions ADD COLUMN replica_id TEXT NOT NULL DEFAULT ''";

// Each migration takes the schema from version i to i + 1.
const char* const migrations[] = {
    R"sql(
    CREATE TABLE rulesets (
      hash TEXT PRIMARY KEY,
      first_seen TEXT NOT NULL
    );
    CREATE TABLE ruleset_files (
      hash TEXT NOT NULL REFERENCES rulesets(hash),
      name TEXT NOT NULL,
      text BLOB NOT NULL,
      PRIMARY KEY (hash, name)
    );
    CREATE TABLE decisions (
      seq INTEGER PRIMARY KEY,
      decision_id TEXT NOT NULL UNIQUE,
      decided_at TEXT NOT NULL,
      client TEXT NOT NULL,
      request_id TEXT NOT NULL,
      ruleset_hash TEXT NOT NULL,
      answers TEXT NOT NULL,
      decision TEXT NOT NULL,
      prev_hash TEXT NOT NULL,
      record_hash TEXT NOT NULL
    );
    )sql",
    add_replica_id,
    // Governance: a ruleset's detached signature (see sign/signature.hpp) as verified when it
    // was loaded: the signed statement, the key id, the base64 signature and the trusted key's name.
    R"sql(
    ALTER TABLE rulesets ADD COLUMN signer TEXT NOT NULL DEFAULT '';
    ALTER TABLE rulesets ADD COLUMN signing_key TEXT NOT NULL DEFAULT '';
    ALTER TABLE rulesets ADD COLUMN signature TEXT NOT NULL DEFAULT '';
    ALTER TABLE rulesets ADD COLUMN signed_statement TEXT NOT NULL DEFAULT '';
    )sql",
    // 4: signed checkpoints of the chain head (issue 11, defect 5).
    R"sql(
    CREATE TABLE checkpoints (
      seq INTEGER PRIMARY KEY,
      head TEXT NOT NULL,
      signed_at TEXT NOT NULL,
      every_records INTEGER NOT NULL,
      key_id TEXT NOT NULL,
      signature TEXT NOT NULL
    );
    )sql",
    // 5: clinicians' feedback on decisions (CDS Hooks), outside the hash chain.
    R"sql(
    CREATE TABLE feedback (
      seq INTEGER PRIMARY KEY,
      decision_id TEXT NOT NULL,
      received_at TEXT NOT NULL,
      service TEXT NOT NULL,
      client TEXT NOT NULL,
      outcome TEXT NOT NULL,
      override_reason TEXT NOT NULL,
      override_comment TEXT NOT NULL,
      accepted_suggestions TEXT NOT NULL,
      outcome_at TEXT NOT NULL
    );
    CREATE INDEX feedback_by_decision ON feedback(decision_id);
    )sql",
    // 6: the W3C trace id of the call that asked for the decision, covered by the chain only when
    // not empty (record.hpp), so every record written before keeps its hash.
    "ALTER TABLE decisions ADD COLUMN trace_id TEXT NOT NULL DEFAULT ''",
    // 7: feedback gets its own hash chain (the rows already there are chained by
    // chain_existing_feedback in the same transaction), and checkpoints sign its head.
    R"sql(
    ALTER TABLE feedback ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
    ALTER TABLE feedback ADD COLUMN record_hash TEXT NOT NULL DEFAULT '';
    ALTER TABLE checkpoints ADD COLUMN feedback_seq INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE checkpoints ADD COLUMN feedback_head TEXT NOT NULL DEFAULT '';
    CREATE TABLE cds_tokens (
      key TEXT PRIMARY KEY,
      expires_at INTEGER NOT NULL
    );
    CREATE INDEX cds_tokens_by_expiry ON cds_tokens(expires_at);
    )sql",
};

// The feedback columns a chain hash covers, in FeedbackRow order after seq.
constexpr const char* feedback_columns =
    "seq, decision_id, received_at, service, client, outcome, override_reason, override_comment, "
    "accepted_suggestions, outcome_at";

FeedbackRow read_feedback(const sql::Statement& row) {
  return {row.integer(0), row.text(1), row.text(2), row.text(3), row.text(4), row.text(5),
          row.text(6),    row.text(7), row.text(8), row.text(9), {},          {}};
}

// Migration 7: the feedback stored before it is chained in its order of arrival.
void chain_existing_feedback(sql::Database& db) {
  sql::Statement rows(db, std::string("SELECT ") + feedback_columns + " FROM feedback ORDER BY seq");
  std::vector<FeedbackRow> all;
  while (rows.step()) all.push_back(read_feedback(rows));
  std::string previous = genesis_hash();
  sql::Statement update(db, "UPDATE feedback SET prev_hash = ?1, record_hash = ?2 WHERE seq = ?3");
  for (auto& row : all) {
    std::string hash = feedback_chain_hash(previous, row);
    update.bind(1, previous).bind(2, hash).bind(3, row.seq);
    update.run();
    previous = hash;
  }
}

std::string now_utc() {
  return utc_time(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

bool has_table(sql::Database& db, const char* name) {
  sql::Statement exists(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1");
  exists.bind(1, std::string_view(name));
  return exists.step();
}

// The start-up check of an existing log: SQLite's quick_check, then the hash chain over the last
// `tail` records (each links to the one before it and matches its own hash). Empty when sound.
// `version` is the log's schema before migration (schema 2 added replica_id, covered by the chain).
std::string startup_check(sql::Database& db, std::int64_t tail, std::int64_t version) {
  try {
    sql::Statement quick(db, "PRAGMA quick_check");
    std::string result;
    while (quick.step()) result += (result.empty() ? "" : "; ") + quick.text(0);
    if (result != "ok") return "SQLite's quick_check failed: " + result;
    sql::Statement first(db, "SELECT min(seq) FROM decisions");
    first.step();
    std::int64_t first_seq = first.integer(0);
    sql::Statement rows(db, "SELECT " + audit_schema::decision_columns(static_cast<int>(version)) +
                                " FROM decisions WHERE seq > (SELECT coalesce(max(seq), 0) FROM decisions) - ?1 ORDER BY seq");
    rows.bind(1, tail);
    std::string previous;
    DecisionRow row;
    while (rows.step()) {
      audit_schema::read_decision_row(rows, row);
      std::string where = "record " + std::to_string(row.seq) + " (decision " + row.decision_id + ")";
      // The tail's first record links to one not read here, except the log's very first record.
      if (previous.empty()) previous = row.seq == first_seq ? genesis_hash() : row.prev_hash;
      if (ChainBreak broken = check_chain_link(previous, row); broken != ChainBreak::none) {
        return where + ": " + describe(broken);
      }
      previous = row.record_hash;
    }
    // The newest checkpoint must still hold: its record present with the head it signed (a log
    // cut short or rewritten behind the server's back is refused; the signature is auditors' work).
    if (has_table(db, "checkpoints")) {
      sql::Statement last(db, "SELECT c.seq, c.head, d.record_hash FROM checkpoints c LEFT JOIN decisions d "
                              "ON d.seq = c.seq ORDER BY c.seq DESC LIMIT 1");
      if (last.step()) {
        std::string where = "the checkpoint after record " + std::to_string(last.integer(0));
        if (last.integer(0) == 0) {
          if (last.text(1) != genesis_hash()) return "the checkpoint of the empty log does not hold the chain's start";
        } else {
          if (last.is_null(2)) return where + " covers a record the log no longer holds: records were removed";
          if (last.text(2) != last.text(1)) return where + " does not match that record's hash: the chain was rewritten";
        }
      }
    }
    return {};
  } catch (const sql::SqliteError& failure) {
    return std::string("reading it failed: ") + failure.what();
  }
}

}  // namespace

struct AuditLog::Impl {
  std::unique_ptr<sql::Database> db;
  std::unique_ptr<sql::Statement> insert;
  std::string last_hash;
  std::int64_t last_seq = 0;        // the newest record's seq
  std::int64_t checkpoint_seq = 0;  // the newest checkpoint's seq
  std::chrono::steady_clock::time_point checkpoint_time = std::chrono::steady_clock::now();
  std::int64_t feedback_seq = 0;    // the newest feedback entry (0: none) and its hash
  std::string feedback_head;
  std::int64_t checkpoint_feedback_seq = 0;  // the feedback the newest checkpoint covers

  // Reads the chain heads and the newest checkpoint from the file (at open and after a failure).
  void read_heads() {
    sql::Statement last(*db, "SELECT record_hash, seq FROM decisions ORDER BY seq DESC LIMIT 1");
    bool any = last.step();
    last_hash = any ? last.text(0) : genesis_hash();
    last_seq = any ? last.integer(1) : 0;
    sql::Statement feedback(*db, "SELECT record_hash, seq FROM feedback ORDER BY seq DESC LIMIT 1");
    bool given = feedback.step();
    feedback_head = given ? feedback.text(0) : genesis_hash();
    feedback_seq = given ? feedback.integer(1) : 0;
    sql::Statement checkpoint(*db, "SELECT seq, feedback_seq FROM checkpoints ORDER BY seq DESC LIMIT 1");
    bool signed_ = checkpoint.step();
    checkpoint_seq = signed_ ? checkpoint.integer(0) : 0;
    checkpoint_feedback_seq = signed_ ? checkpoint.integer(1) : 0;
  }
};

AuditLog::AuditLog(std::string path) : path_(std::move(path)), impl_(std::make_unique<Impl>()) {}

std::unique_ptr<AuditLog> AuditLog::open(const std::string& path, std::string& error, int busy_timeout_ms,
                                         bool init) {
  std::unique_ptr<AuditLog> log(new AuditLog(path));
  std::error_code ignored;
  bool existed = std::filesystem::exists(path, ignored);
  try {
    mode_t previous = umask(077);  // the file holds patient answers: owner-only
    log->impl_->db = std::make_unique<sql::Database>(path, true);
    umask(previous);
    ::chmod(path.c_str(), 0600);
    auto& db = *log->impl_->db;
    sqlite3_busy_timeout(db.handle(), busy_timeout_ms);
    {
      // A file with tables but no audit schema version belongs to something else: leave it alone.
      sql::Statement version(db, "PRAGMA user_version");
      version.step();
      sql::Statement tables(db, "SELECT count(*) FROM sqlite_master");
      tables.step();
      if (version.integer(0) == 0 && tables.integer(0) > 0) {
        error = path + " is an SQLite file of something else, not a triage audit log; choose another --audit-db";
        return nullptr;
      }
      // An existing empty file would silently start a new chain: usually a log lost or replaced.
      if (version.integer(0) == 0 && existed && !init) {
        error = path + " exists but holds no audit log (it is empty); if a new audit log is intended there, "
                       "start once with --audit-init";
        return nullptr;
      }
      if (version.integer(0) > 0) log->fault_ = startup_check(db, tail_check, version.integer(0));
    }
    if (!log->fault_.empty()) {
      // Never written: no migration, no pragma that writes, no checkpoints.
      log->fault_ = path + " failed its start-up check: " + log->fault_ +
                    "; it is not written to. Run `triage audit verify --db " + path +
                    "`, then restore the log from a backup, or move it aside and start a new one with --audit-init";
      log->healthy_ = false;
      log->writer_ = std::thread([raw = log.get()] { raw->run(); });
      log->completer_ = std::thread([raw = log.get()] { raw->complete(); });
      return log;
    }
    db.exec("PRAGMA journal_mode=WAL");
    db.exec("PRAGMA synchronous=FULL");
    // Copying the WAL back into the database (a checkpoint) would stall the commit that triggers
    // it; the checkpointer thread does it instead (see checkpoint()).
    db.exec("PRAGMA wal_autocheckpoint=0");
    sql::Statement version(db, "PRAGMA user_version");
    version.step();
    int current = static_cast<int>(version.integer(0));
    if (current > schema_version) {
      error = path + " has audit schema version " + std::to_string(current) + "; this triage knows up to " +
              std::to_string(schema_version) + " (use a newer triage)";
      return nullptr;
    }
    for (int v = current; v < schema_version; ++v) {
      sql::Transaction migration(db);
      db.exec(migrations[v]);
      if (v + 1 == audit_schema::feedback_chain_since) chain_existing_feedback(db);
      db.exec("PRAGMA user_version = " + std::to_string(v + 1));
      migration.commit();
    }
    log->impl_->read_heads();
    log->impl_->insert = std::make_unique<sql::Statement>(
        db,
        "INSERT INTO decisions (decision_id, decided_at, client, request_id, ruleset_hash, answers, decision, "
        "prev_hash, record_hash, replica_id, trace_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  } catch (const sql::SqliteError& failure) {
    error = std::string("cannot use the audit log ") + path + ": " + failure.what();
    return nullptr;
  }
  log->feedback_queue_ = std::make_unique<FeedbackQueue>(
      [raw = log.get()](const FeedbackEntry& entry, std::string& why) { return raw->store_feedback(entry, why); },
      feedback_queue_capacity);
  log->writer_ = std::thread([raw = log.get()] { raw->run(); });
  log->completer_ = std::thread([raw = log.get()] { raw->complete(); });
  log->checkpointer_ = std::thread([raw = log.get()] { raw->checkpoint(); });
  return log;
}

AuditLog::~AuditLog() { close(); }

bool AuditLog::store_ruleset(const std::string& hash, const std::vector<std::pair<std::string, std::string>>& files,
                             std::string& error) {
  if (!fault_.empty()) {
    error = fault_;
    return false;
  }
  std::lock_guard<std::mutex> lock(connection_mutex_);
  try {
    auto& db = *impl_->db;
    sql::Transaction transaction(db);
    sql::Statement exists(db, "SELECT 1 FROM rulesets WHERE hash = ?1");
    exists.bind(1, hash);
    if (!exists.step()) {
      sql::Statement add(db, "INSERT INTO rulesets (hash, first_seen) VALUES (?1, ?2)");
      add.bind(1, hash).bind(2, now_utc());
      add.run();
      sql::Statement file(db, "INSERT INTO ruleset_files (hash, name, text) VALUES (?1, ?2, ?3)");
      for (const auto& [name, text] : files) {
        file.bind(1, hash).bind(2, name).bind(3, text);
        file.run();
      }
      // A signed checkpoint after every stored ruleset: an auditor who finds a ruleset with no
      // checkpoint signed after it knows checkpoints were removed, even from a log emptied of
      // records (seq 0 signs the empty chain's head).
      checkpoint_if_due(impl_->last_seq, impl_->last_hash, true, true);
    }
    transaction.commit();
    return true;
  } catch (const sql::SqliteError& failure) {
    error = std::string("cannot store the ruleset in the audit log: ") + failure.what();
    return false;
  }
}

bool AuditLog::store_ruleset_signature(const std::string& hash, const std::string& statement,
                                       const std::string& signing_key, const std::string& signature,
                                       const std::string& signer, std::string& error) {
  std::lock_guard<std::mutex> lock(connection_mutex_);
  try {
    sql::Statement update(*impl_->db,
                          "UPDATE rulesets SET signer = ?2, signing_key = ?3, signature = ?4, signed_statement = ?5 "
                          "WHERE hash = ?1 AND signature = ''");
    update.bind(1, hash).bind(2, signer).bind(3, signing_key).bind(4, signature).bind(5, statement);
    update.run();
    return true;
  } catch (const sql::SqliteError& failure) {
    error = std::string("cannot store the ruleset signature in the audit log: ") + failure.what();
    return false;
  }
}

FeedbackStored AuditLog::store_feedback(const FeedbackEntry& entry, std::string& error) {
  if (!fault_.empty()) {  // a damaged log is never written
    error = fault_;
    return FeedbackStored::failed;
  }
  std::lock_guard<std::mutex> lock(connection_mutex_);
  try {
    auto& db = *impl_->db;
    sql::Transaction transaction(db);
    // Feedback speaks about a card this service issued, to the EHR it issued it to.
    sql::Statement decision(db, "SELECT client FROM decisions WHERE decision_id = ?1");
    decision.bind(1, entry.decision_id);
    if (!decision.step()) {
      error = "no decision card with uuid `" + entry.decision_id + "` was issued by this service";
      return FeedbackStored::unknown_card;
    }
    std::string client = decision.text(0);
    if (client != entry.issuer && !client.starts_with(entry.issuer + "#")) {
      error = "the card `" + entry.decision_id + "` was issued to another client";
      return FeedbackStored::other_issuer;
    }
    // A retried post of the same feedback is stored once.
    sql::Statement same(db, "SELECT 1 FROM feedback WHERE decision_id = ?1 AND client = ?2 AND outcome = ?3 "
                            "AND outcome_at = ?4 AND override_reason = ?5 AND accepted_suggestions = ?6");
    same.bind(1, entry.decision_id).bind(2, entry.client).bind(3, entry.outcome).bind(4, entry.outcome_at);
    same.bind(5, entry.override_reason).bind(6, entry.accepted_suggestions);
    if (same.step()) return FeedbackStored::duplicate;
    FeedbackRow row{0,
                    entry.decision_id,
                    utc_time(entry.received_at_micros),
                    entry.service,
                    entry.client,
                    entry.outcome,
                    entry.override_reason,
                    entry.override_comment,
                    entry.accepted_suggestions,
                    entry.outcome_at,
                    impl_->feedback_head,
                    {}};
    row.record_hash = feedback_chain_hash(row.prev_hash, row);
    sql::Statement add(db,
                       "INSERT INTO feedback (decision_id, received_at, service, client, outcome, override_reason, "
                       "override_comment, accepted_suggestions, outcome_at, prev_hash, record_hash) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
    add.bind(1, row.decision_id).bind(2, row.received_at).bind(3, row.service);
    add.bind(4, row.client).bind(5, row.outcome).bind(6, row.override_reason).bind(7, row.override_comment);
    add.bind(8, row.accepted_suggestions).bind(9, row.outcome_at).bind(10, row.prev_hash).bind(11, row.record_hash);
    add.run();
    transaction.commit();
    impl_->feedback_seq = sqlite3_last_insert_rowid(db.handle());
    impl_->feedback_head = row.record_hash;
    return FeedbackStored::stored;
  } catch (const sql::SqliteError& failure) {
    error = std::string("cannot store feedback in the audit log: ") + failure.what();
    try {
      impl_->read_heads();
    } catch (const sql::SqliteError&) {
    }
    return FeedbackStored::failed;
  }
}

void AuditLog::store_feedback_async(std::vector<FeedbackEntry> entries, FeedbackDone done) {
  if (!feedback_queue_) {
    done({FeedbackStored::failed, fault_.empty() ? "the audit log is closed" : fault_});
    return;
  }
  feedback_queue_->submit(std::move(entries), std::move(done));
}

std::optional<bool> AuditLog::remember_token(const std::string& key, std::int64_t expires_at, std::int64_t now) {
  if (!fault_.empty()) return std::nullopt;
  std::lock_guard<std::mutex> lock(connection_mutex_);
  try {
    auto& db = *impl_->db;
    sql::Transaction transaction(db);
    sql::Statement purge(db, "DELETE FROM cds_tokens WHERE expires_at < ?1");
    purge.bind(1, now);
    purge.run();
    sql::Statement add(db, "INSERT OR IGNORE INTO cds_tokens (key, expires_at) VALUES (?1, ?2)");
    add.bind(1, key).bind(2, expires_at);
    add.run();
    bool fresh = sqlite3_changes(db.handle()) == 1;
    transaction.commit();
    return fresh;
  } catch (const sql::SqliteError&) {
    return std::nullopt;
  }
}

void AuditLog::append(AuditRecord record, AuditDone done) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!closing_ && fault_.empty()) {
      // The writer waits only for an empty queue to fill: one wake-up per group, by the record
      // that starts it; the rest join the group without a signal.
      bool starts_group = queue_.empty();
      queue_.push_back({std::move(record), std::move(done), std::chrono::steady_clock::now()});
      if (starts_group) wake_.notify_one();
      return;
    }
  }
  done(false, fault_.empty() ? "the audit log is closed" : fault_);
}

std::size_t AuditLog::queue_depth() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size();
}

bool AuditLog::healthy() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return healthy_;
}

void AuditLog::close() {
  // Feedback posts already taken are stored before the writer stops; later ones fail at once.
  if (feedback_queue_) feedback_queue_->stop();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closing_ = true;
    wake_.notify_one();
  }
  if (writer_.joinable()) writer_.join();
  {
    std::lock_guard<std::mutex> lock(completion_mutex_);
    completions_closing_ = true;
    completion_wake_.notify_one();
    checkpoint_wake_.notify_all();
  }
  if (completer_.joinable()) completer_.join();
  if (checkpointer_.joinable()) checkpointer_.join();
}

bool AuditLog::probe() {
  if (!fault_.empty()) return false;  // a damaged log is never written, so never recovers
  std::lock_guard<std::mutex> connection(connection_mutex_);
  try {
    // Rewriting the schema version writes a page and syncs it, as a decision's commit would.
    sql::Transaction transaction(*impl_->db);
    sql::Statement version(*impl_->db, "PRAGMA user_version");
    version.step();
    impl_->db->exec("PRAGMA user_version = " + std::to_string(version.integer(0)));
    transaction.commit();
    return true;
  } catch (const sql::SqliteError&) {
    resync();
    return false;
  }
}

void AuditLog::resync() {
  // After a failed batch: make sure no transaction is left open, and take the chain head from
  // what the file really holds (a COMMIT that reported an error may still have landed).
  sqlite3* handle = impl_->db->handle();
  if (sqlite3_get_autocommit(handle) == 0) sqlite3_exec(handle, "ROLLBACK", nullptr, nullptr, nullptr);
  try {
    impl_->read_heads();
  } catch (const sql::SqliteError&) {
    // Unreadable for now: the next batch fails too, and resyncs again.
  }
}

void AuditLog::checkpoint() {
  std::unique_ptr<sql::Database> db;
  try {
    db = std::make_unique<sql::Database>(path_, false);
    sqlite3_busy_timeout(db->handle(), 0);  // never hold commits up waiting for readers
  } catch (const sql::SqliteError&) {
    return;  // without it the WAL just grows until close; writes are unaffected
  }
  auto run = [&](const char* mode) {
    try {
      db->exec(std::string("PRAGMA wal_checkpoint(") + mode + ")");
    } catch (const sql::SqliteError&) {
      // A busy or failed checkpoint is retried on the next round; the WAL keeps the data.
    }
  };
  // PASSIVE never blocks the writer, but under steady writes the WAL never empties, so once it
  // passes a bound a RESTART lets the next commit start the WAL over; by then PASSIVE has copied
  // nearly everything and the pause is short.
  constexpr std::uintmax_t wal_bound = 64ull * 1024 * 1024;
  std::unique_lock<std::mutex> lock(completion_mutex_);
  while (!completions_closing_) {
    checkpoint_wake_.wait_for(lock, std::chrono::milliseconds(500), [&] { return completions_closing_; });
    lock.unlock();
    run("PASSIVE");
    std::error_code ignored;
    if (std::filesystem::file_size(path_ + "-wal", ignored) > wal_bound) run("RESTART");
    lock.lock();
  }
  lock.unlock();
  run("TRUNCATE");  // at close: fold the WAL into the database and empty it
}

void AuditLog::complete() {
  std::deque<Completion> ready;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(completion_mutex_);
      completion_wake_.wait(lock, [&] { return completions_closing_ || !completions_.empty(); });
      if (completions_.empty() && completions_closing_) return;
      ready.swap(completions_);
    }
    for (auto& completion : ready) completion.done(completion.ok, completion.error);
    ready.clear();
  }
}

void AuditLog::run() {
  std::vector<Pending> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      bool woken = wake_.wait_for(lock, std::chrono::seconds(1), [&] { return closing_ || !queue_.empty(); });
      if (queue_.empty() && closing_) {
        lock.unlock();
        idle_checkpoint(true);  // a cleanly closed log ends on a signed checkpoint
        return;
      }
      if (!woken && healthy_) {
        lock.unlock();
        idle_checkpoint(false);  // records waiting longer than the policy's time get signed
        continue;
      }
      if (!woken && !healthy_) {
        lock.unlock();
        if (probe()) {
          {
            std::lock_guard<std::mutex> relock(mutex_);
            healthy_ = true;
          }
          if (recovered_) recovered_();
        }
        continue;
      }
      if (queue_.empty()) continue;
      // Everything queued while the last batch was committing goes into this one.
      while (!queue_.empty()) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    // Appends keep queueing while this batch commits; they form the next batch.
    write_batch(batch);
    batch.clear();
  }
}

void AuditLog::set_checkpoints(CheckpointPolicy policy) {
  std::lock_guard<std::mutex> connection(connection_mutex_);
  checkpoints_ = std::move(policy);
  impl_->checkpoint_time = std::chrono::steady_clock::now();
}

std::string AuditLog::checkpoint_error() const {
  std::lock_guard<std::mutex> connection(connection_mutex_);
  return checkpoint_error_;
}

void AuditLog::checkpoint_if_due(std::int64_t seq, const std::string& head, bool force, bool again) {
  if (!checkpoints_.sign) return;
  if (seq < impl_->checkpoint_seq || (seq == impl_->checkpoint_seq && !again)) return;
  auto now = std::chrono::steady_clock::now();
  bool due = force || seq - impl_->checkpoint_seq >= checkpoints_.every_records ||
             now - impl_->checkpoint_time >= checkpoints_.every;
  if (!due) return;
  CheckpointRow checkpoint;
  checkpoint.seq = seq;
  checkpoint.head = head;
  checkpoint.signed_at = now_utc();
  checkpoint.every_records = checkpoints_.every_records;
  if (impl_->feedback_seq > 0) {
    checkpoint.feedback_seq = impl_->feedback_seq;
    checkpoint.feedback_head = impl_->feedback_head;
  }
  std::string error;
  if (!checkpoints_.sign(checkpoint_statement(checkpoint), checkpoint.key_id, checkpoint.signature, error)) {
    checkpoint_error_ = "cannot sign an audit checkpoint: " + error;
    return;
  }
  sql::Statement insert(*impl_->db,
                        "INSERT OR REPLACE INTO checkpoints (seq, head, signed_at, every_records, key_id, signature, "
                        "feedback_seq, feedback_head) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  insert.bind(1, checkpoint.seq)
      .bind(2, checkpoint.head)
      .bind(3, checkpoint.signed_at)
      .bind(4, checkpoint.every_records)
      .bind(5, checkpoint.key_id)
      .bind(6, checkpoint.signature)
      .bind(7, checkpoint.feedback_seq)
      .bind(8, checkpoint.feedback_head);
  insert.run();
  // Taken as written; a failed commit resyncs both from the file.
  impl_->checkpoint_seq = seq;
  impl_->checkpoint_feedback_seq = checkpoint.feedback_seq;
  impl_->checkpoint_time = now;
  checkpoint_error_.clear();
}

void AuditLog::idle_checkpoint(bool force) {
  std::lock_guard<std::mutex> connection(connection_mutex_);
  if (!impl_->db || !impl_->insert || !checkpoints_.sign) return;
  // Feedback stored since the newest checkpoint is signed too (a checkpoint at the same record,
  // now with the newer feedback head, replaces it).
  bool feedback_newer = impl_->feedback_seq > impl_->checkpoint_feedback_seq;
  if (impl_->last_seq <= impl_->checkpoint_seq && !feedback_newer) return;
  try {
    sql::Transaction transaction(*impl_->db);
    checkpoint_if_due(impl_->last_seq, impl_->last_hash, force, feedback_newer);
    transaction.commit();
  } catch (const sql::SqliteError& failure) {
    checkpoint_error_ = std::string("cannot store an audit checkpoint: ") + failure.what();
    resync();
  }
}

void AuditLog::write_batch(std::vector<Pending>& batch) {
  std::lock_guard<std::mutex> connection(connection_mutex_);
  std::string error;
  std::string last_hash = impl_->last_hash;
  std::int64_t last_seq = impl_->last_seq;
  try {
    sql::Transaction transaction(*impl_->db);
    DecisionRow row;
    row.replica_id = replica_id_;
    for (auto& pending : batch) {
      // The record's texts move into the row (the record is not read again; on a failed batch the
      // completions report the error, never the record), and are bound without a copy: run()
      // resets the statement before the row's texts change.
      AuditRecord& r = pending.record;
      row.decision_id = std::move(r.decision_id);
      row.decided_at = utc_time(r.decided_at_micros);
      row.client = std::move(r.client);
      row.request_id = std::move(r.request_id);
      row.ruleset_hash = std::move(r.ruleset_hash);
      row.answers = std::move(r.answers);
      row.decision = std::move(r.decision);
      row.trace_id = std::move(r.trace_id);
      std::string hash = chain_hash(last_hash, row);
      impl_->insert->bind_static(1, row.decision_id)
          .bind_static(2, row.decided_at)
          .bind_static(3, row.client)
          .bind_static(4, row.request_id)
          .bind_static(5, row.ruleset_hash)
          .bind_static(6, row.answers)
          .bind_static(7, row.decision)
          .bind_static(8, last_hash)
          .bind_static(9, hash)
          .bind_static(10, row.replica_id)
          .bind_static(11, row.trace_id);
      impl_->insert->run();
      last_hash = hash;
      last_seq = sqlite3_last_insert_rowid(impl_->db->handle());
      // Every N records exactly, even inside one large batch.
      if (checkpoints_.sign && last_seq - impl_->checkpoint_seq >= checkpoints_.every_records) {
        checkpoint_if_due(last_seq, last_hash, true);
      }
    }
    checkpoint_if_due(last_seq, last_hash, false);  // the time-based one
    transaction.commit();
    impl_->last_hash = last_hash;
    impl_->last_seq = last_seq;
  } catch (const sql::SqliteError& failure) {
    error = failure.what();
    resync();
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    healthy_ = error.empty();
  }
  if (!error.empty()) {
    if (metrics_.write_failures) metrics_.write_failures->inc();
  } else {
    auto now = std::chrono::steady_clock::now();
    if (metrics_.batch_records) metrics_.batch_records->observe(static_cast<double>(batch.size()));
    if (metrics_.records) metrics_.records->inc(batch.size());
    if (metrics_.commit_seconds) {
      for (const auto& pending : batch) {
        metrics_.commit_seconds->observe(std::chrono::duration<double>(now - pending.queued).count());
      }
    }
  }
  {
    std::lock_guard<std::mutex> lock(completion_mutex_);
    for (auto& pending : batch) completions_.push_back({std::move(pending.done), error.empty(), error});
    completion_wake_.notify_one();
  }
}

}  // namespace triage
