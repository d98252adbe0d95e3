#include "central/ship.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "audit/reader.hpp"
#include "audit/sqlite.hpp"
#include "central/pg.hpp"
#include "central/schema.hpp"
#include "util/json_text.hpp"

namespace triage::central {
namespace {

std::int64_t now_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void note_fault(pg::Connection& connection, const std::string& replica_id, const std::string& problem) {
  try {
    connection.exec("INSERT INTO triage_ship_faults (replica_id, problem) VALUES ($1, $2)", {replica_id, problem});
  } catch (const pg::PgError&) {
    // The fault is still reported to the caller; the store may be what failed.
  }
}

// PostgreSQL text holds UTF-8 without NUL: the first of `texts` (field name, value) that is not such
// text, or null when all are.
const char* unshippable_field(std::initializer_list<std::pair<const char*, const std::string*>> texts) {
  for (const auto& [field, text] : texts) {
    if (text->find('\0') != std::string::npos || valid_utf8(*text) != *text) return field;
  }
  return nullptr;
}

// Why local `item` (e.g. "record 6") waits: its `field` cannot be stored; `later` waits behind it.
std::string poisoned_problem(const std::string& item, const char* field, const std::string& later) {
  return "local " + item + " cannot be shipped: its `" + field +
         "` is not valid UTF-8 text, which PostgreSQL refuses; the " + later +
         " after it wait until an operator deals with it (docs/limits.md, \"A record the central store refuses\")";
}

// Inserts one batch of a replica's chain rows in one statement (one round trip, all or nothing).
// `into` names the table and its columns: replica_id, seq, then the 11 text fields `fields(row)`
// gives, in that order. Rows already there are left as they are. Returns the rows inserted.
template <typename Row, typename Fields>
std::int64_t insert_chain_rows(pg::Connection& connection, const std::string& into, const std::string& replica,
                               const std::vector<Row>& rows, Fields fields) {
  std::vector<std::string> columns[12];
  for (const auto& row : rows) {
    columns[0].push_back(std::to_string(row.seq));
    const auto texts = fields(row);
    for (std::size_t i = 0; i < texts.size(); ++i) columns[i + 1].push_back(*texts[i]);
  }
  std::vector<std::optional<std::string>> params{replica};
  for (const auto& column : columns) params.push_back(pg::text_array(column));
  return connection
      .exec("INSERT INTO " + into +
                " SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], "
                "$8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[]) "
                "ON CONFLICT (replica_id, seq) DO NOTHING",
            params)
      .affected();
}

// Ships batches from `reader` until done, `max_batches` or a problem. Throws PgError and SqliteError.
void ship_batches(AuditReader& reader, pg::Connection& connection, const ShipOptions& options,
                  std::set<std::string>& sent_rulesets, ShipReport& report) {
  const std::string& replica = options.replica_id;
  for (;;) {
    if (options.max_batches > 0 && report.batches >= options.max_batches) break;
    pg::Transaction transaction(connection);
    // One shipper per replica at a time (the server's and a backfill may overlap).
    connection.exec("SELECT pg_advisory_xact_lock(hashtext('triage:' || $1))", {replica});
    pg::Result head = connection.exec(
        "SELECT seq, record_hash FROM triage_decisions WHERE replica_id = $1 ORDER BY seq DESC LIMIT 1", {replica});
    std::int64_t head_seq = head.rows() ? head.integer(0, 0) : 0;
    std::string head_hash = head.rows() ? head.text(0, 1) : genesis_hash();
    report.central_seq = head_seq;

    // The central head itself, then the batch after it.
    DecisionFilter filter;
    filter.after_seq = head_seq > 0 ? head_seq - 1 : 0;
    filter.limit = options.batch_size + (head_seq > 0 ? 1 : 0);
    std::vector<DecisionRow> rows;
    reader.for_each_decision(filter, [&](const DecisionRow& row) {
      rows.push_back(row);
      return true;
    });
    std::string problem;
    if (head_seq > 0) {
      if (rows.empty() || rows.front().seq != head_seq) {
        problem = "the local log no longer holds record " + std::to_string(head_seq) +
                  ", which the central store has: the local log was truncated or replaced";
      } else if (rows.front().record_hash != head_hash) {
        problem = "local record " + std::to_string(head_seq) + " differs from the central copy: the local log was "
                  "truncated and written again, or rewritten, or belongs to another replica";
      } else {
        rows.erase(rows.begin());
      }
    }
    if (problem.empty() && !rows.empty() && rows.front().prev_hash != head_hash) {
      problem = "local record " + std::to_string(rows.front().seq) + " does not continue the central chain";
    }
    for (const auto& row : rows) {
      if (!problem.empty()) break;
      if (!row.replica_id.empty() && row.replica_id != replica) {
        problem = "local record " + std::to_string(row.seq) + " was written by replica `" + row.replica_id +
                  "`, not `" + replica + "`";
      }
    }
    // PostgreSQL text holds UTF-8 without NUL: a record with other bytes (logged before version 3
    // refused them at the edge) would fail its whole batch on every round. The records before it
    // are shipped; it is named, and the ones after it wait.
    std::string poisoned;
    for (std::size_t k = 0; problem.empty() && k < rows.size(); ++k) {
      const auto& row = rows[k];
      const char* field = unshippable_field({{"client", &row.client}, {"request_id", &row.request_id},
                                             {"answers", &row.answers}, {"decision", &row.decision},
                                             {"decision_id", &row.decision_id}, {"replica_id", &row.replica_id}});
      if (!field) continue;
      poisoned = poisoned_problem("record " + std::to_string(row.seq), field, "records");
      rows.resize(k);
      break;
    }
    if (problem.empty() && rows.empty() && !poisoned.empty()) problem = poisoned;
    if (!problem.empty()) {
      transaction.commit();  // releases the lock; nothing was written
      note_fault(connection, replica, problem);
      report.problem = problem;
      return;
    }
    if (rows.empty()) {
      transaction.commit();
      break;
    }
    // Rulesets travel once per hash: skipped when this shipper sent them or the store has them.
    for (const auto& row : rows) {
      if (sent_rulesets.count(row.ruleset_hash)) continue;
      pg::Result known = connection.exec("SELECT 1 FROM triage_rulesets WHERE hash = $1", {row.ruleset_hash});
      if (known.rows() == 0) {
        std::vector<std::pair<std::string, std::string>> files;
        if (!reader.ruleset_files(row.ruleset_hash, files)) {
          report.problem = "local record " + std::to_string(row.seq) + " names ruleset " + row.ruleset_hash +
                           ", which the local log does not hold";
          return;
        }
        connection.exec("INSERT INTO triage_rulesets (hash) VALUES ($1) ON CONFLICT DO NOTHING", {row.ruleset_hash});
        for (const auto& [name, text] : files) {
          connection.exec("INSERT INTO triage_ruleset_files (hash, name, body) VALUES ($1, $2, $3) "
                          "ON CONFLICT DO NOTHING",
                          {row.ruleset_hash, name, text});
        }
        ++report.rulesets;
      }
      sent_rulesets.insert(row.ruleset_hash);
    }
    std::int64_t inserted = insert_chain_rows(
        connection,
        "triage_decisions (replica_id, seq, decision_id, decided_at, client, request_id, ruleset_hash, answers, "
        "decision, recorded_replica_id, prev_hash, record_hash, trace_id)",
        replica, rows, [](const DecisionRow& row) {
          return std::array<const std::string*, 11>{&row.decision_id, &row.decided_at,  &row.client,
                                                    &row.request_id,  &row.ruleset_hash, &row.answers,
                                                    &row.decision,    &row.replica_id,  &row.prev_hash,
                                                    &row.record_hash, &row.trace_id};
        });
    transaction.commit();
    report.shipped += inserted;
    report.central_seq = rows.back().seq;
    ++report.batches;
    if (!poisoned.empty()) {
      note_fault(connection, replica, poisoned);
      report.problem = poisoned;
      return;
    }
  }
}

// Ships the feedback chain after the decisions, batch by batch, as ship_batches does: the central
// head must still be in the local log and the next entry must continue it. Throws PgError and
// SqliteError.
void ship_feedback(AuditReader& reader, pg::Connection& connection, const ShipOptions& options, ShipReport& report) {
  const std::string& replica = options.replica_id;
  for (std::int64_t batches = 0; options.max_batches <= 0 || batches < options.max_batches; ++batches) {
    pg::Transaction transaction(connection);
    connection.exec("SELECT pg_advisory_xact_lock(hashtext('triage:' || $1))", {replica});
    pg::Result head = connection.exec(
        "SELECT seq, record_hash FROM triage_feedback WHERE replica_id = $1 ORDER BY seq DESC LIMIT 1", {replica});
    std::int64_t head_seq = head.rows() ? head.integer(0, 0) : 0;
    std::string head_hash = head.rows() ? head.text(0, 1) : genesis_hash();
    report.feedback_central_seq = head_seq;
    std::vector<FeedbackRow> rows =
        reader.feedback_after(head_seq > 0 ? head_seq - 1 : 0, options.batch_size + (head_seq > 0 ? 1 : 0));
    std::string problem;
    if (head_seq > 0) {
      if (rows.empty() || rows.front().seq != head_seq) {
        problem = "the local log no longer holds feedback entry " + std::to_string(head_seq) +
                  ", which the central store has: the local log was truncated or replaced";
      } else if (rows.front().record_hash != head_hash) {
        problem = "local feedback entry " + std::to_string(head_seq) + " differs from the central copy: the local "
                  "log was rewritten, or belongs to another replica";
      } else {
        rows.erase(rows.begin());
      }
    }
    if (problem.empty() && !rows.empty() && rows.front().record_hash.empty()) {
      problem = "the local log's feedback is not chained yet (a log from before schema 7): open it once with this "
                "triage (`triage serve`, or `triage audit verify`) to migrate it, then ship again";
    }
    if (problem.empty() && !rows.empty() && rows.front().prev_hash != head_hash) {
      problem = "local feedback entry " + std::to_string(rows.front().seq) + " does not continue the central chain";
    }
    std::string poisoned;
    for (std::size_t k = 0; problem.empty() && k < rows.size(); ++k) {
      const auto& row = rows[k];
      const char* field = unshippable_field(
          {{"decision_id", &row.decision_id}, {"received_at", &row.received_at}, {"service", &row.service},
           {"client", &row.client}, {"outcome", &row.outcome}, {"override_reason", &row.override_reason},
           {"override_comment", &row.override_comment}, {"accepted_suggestions", &row.accepted_suggestions},
           {"outcome_at", &row.outcome_at}});
      if (!field) continue;
      poisoned = poisoned_problem("feedback entry " + std::to_string(row.seq), field, "feedback entries");
      rows.resize(k);
    }
    if (problem.empty() && rows.empty() && !poisoned.empty()) problem = poisoned;
    if (!problem.empty()) {
      transaction.commit();
      note_fault(connection, replica, problem);
      report.problem = problem;
      return;
    }
    if (rows.empty()) {
      transaction.commit();
      return;
    }
    std::int64_t inserted = insert_chain_rows(
        connection,
        "triage_feedback (replica_id, seq, decision_id, received_at, service, client, outcome, override_reason, "
        "override_comment, accepted_suggestions, outcome_at, prev_hash, record_hash)",
        replica, rows, [](const FeedbackRow& row) {
          return std::array<const std::string*, 11>{&row.decision_id,      &row.received_at,     &row.service,
                                                    &row.client,           &row.outcome,         &row.override_reason,
                                                    &row.override_comment, &row.accepted_suggestions,
                                                    &row.outcome_at,       &row.prev_hash,       &row.record_hash};
        });
    transaction.commit();
    report.feedback_shipped += inserted;
    report.feedback_central_seq = rows.back().seq;
    if (!poisoned.empty()) {
      note_fault(connection, replica, poisoned);
      report.problem = poisoned;
      return;
    }
  }
}

}  // namespace

std::string replica_id_of(const std::string& audit_db, std::string& error) {
  auto reader = AuditReader::open(audit_db, error);
  if (!reader) return {};
  std::string replica;
  try {
    reader->for_each_decision({}, [&](const DecisionRow& row) {
      if (!row.replica_id.empty()) replica = row.replica_id;
      return true;
    });
  } catch (const sql::SqliteError& failure) {
    error = failure.what();
  }
  return replica;
}

namespace {

// The local records after `central_seq` (the shipping lag); 0 when the log cannot be read.
std::int64_t records_after(AuditReader& reader, std::int64_t central_seq) {
  try {
    DecisionFilter after;
    after.after_seq = central_seq;
    return reader.count(after);
  } catch (const sql::SqliteError&) {
    return 0;
  }
}

// `known_central` is the central head last seen (kept for the lag while the store is down).
ShipReport ship_once(const std::string& audit_db, std::unique_ptr<pg::Connection>& connection, const std::string& url,
                     const ShipOptions& options, std::set<std::string>& sent_rulesets, bool& migrated,
                     std::int64_t known_central = 0) {
  ShipReport report;
  report.central_seq = known_central;
  std::string error;
  auto reader = AuditReader::open(audit_db, error);
  if (!reader) {
    report.problem = error;
    return report;
  }
  report.local_seq = known_central + records_after(*reader, known_central);
  try {
    if (!connection || !connection->ok()) {
      connection.reset();
      connection = std::make_unique<pg::Connection>(url);
      sent_rulesets.clear();
      migrated = false;
    }
    if (!migrated) {
      if (!migrate_central(*connection, error)) {
        report.problem = error;
        return report;
      }
      migrated = true;
    }
    ship_batches(*reader, *connection, options, sent_rulesets, report);
    // Feedback follows its decisions; a decision problem (a truncated log) stops both.
    if (report.problem.empty()) ship_feedback(*reader, *connection, options, report);
    report.local_seq = report.central_seq + records_after(*reader, report.central_seq);
  } catch (const pg::PgError& failure) {
    report.problem = std::string("the central store failed: ") + failure.what();
    connection.reset();  // reconnect next time
    return report;
  } catch (const sql::SqliteError& failure) {
    report.problem = std::string("reading the local audit log failed: ") + failure.what();
    return report;
  }
  report.ok = report.problem.empty();
  return report;
}

}  // namespace

ShipReport ship_audit_log(const std::string& audit_db, const std::string& url, const ShipOptions& options) {
  std::unique_ptr<pg::Connection> connection;
  std::set<std::string> sent;
  bool migrated = false;
  return ship_once(audit_db, connection, url, options, sent, migrated);
}

BackgroundShipper::BackgroundShipper(std::string audit_db, std::string url, ShipOptions options, int interval_ms,
                                     std::function<void(const ShipReport&, bool)> on_round)
    : audit_db_(std::move(audit_db)),
      url_(std::move(url)),
      options_(std::move(options)),
      interval_ms_(interval_ms),
      on_round_(std::move(on_round)) {
  thread_ = std::thread([this] { run(); });
}

BackgroundShipper::~BackgroundShipper() { stop(); }

void BackgroundShipper::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

double BackgroundShipper::seconds_since_success() const {
  std::int64_t last = last_success_micros_.load();
  return last == 0 ? -1.0 : static_cast<double>(now_micros() - last) / 1e6;
}

void BackgroundShipper::run() {
  std::unique_ptr<pg::Connection> connection;
  std::set<std::string> sent;
  bool migrated = false;
  bool was_ok = true;
  int failures = 0;
  ShipOptions options = options_;
  options.max_batches = 50;  // come back to check for stop between bursts
  std::int64_t central_seq = 0;
  for (;;) {
    ShipReport report = ship_once(audit_db_, connection, url_, options, sent, migrated, central_seq);
    central_seq = report.central_seq;
    if (report.ok) {
      failures = 0;
      last_success_micros_.store(now_micros());
    } else {
      ++failures;
    }
    lag_.store(std::max<std::int64_t>(0, report.local_seq - report.central_seq));
    central_seq_.store(report.central_seq);
    last_ok_.store(report.ok);
    if (on_round_) on_round_(report, report.ok != was_ok);
    was_ok = report.ok;
    // More to ship: go on at once. Failing: back off up to 30 s.
    int wait_ms = interval_ms_;
    if (report.ok && options.max_batches > 0 && report.batches >= options.max_batches) wait_ms = 0;
    if (!report.ok) wait_ms = std::min(30000, interval_ms_ * (1 << std::min(failures, 5)));
    std::unique_lock<std::mutex> lock(mutex_);
    if (wake_.wait_for(lock, std::chrono::milliseconds(wait_ms), [&] { return stopping_; })) return;
  }
}

}  // namespace triage::central
