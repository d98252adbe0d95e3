#include "central/verify.hpp"

#include <map>
#include <set>

#include "audit/audit_log.hpp"
#include "audit/record.hpp"
#include "audit/sqlite.hpp"
#include "central/pg.hpp"
#include "central/schema.hpp"
#include "ruleset/loader.hpp"

namespace triage::central {
namespace {

constexpr const char* row_columns =
    "seq, decision_id, decided_at, client, request_id, ruleset_hash, answers, decision, recorded_replica_id, "
    "prev_hash, record_hash, trace_id";

DecisionRow read_row(const pg::Result& result, int i) {
  DecisionRow row;
  row.seq = result.integer(i, 0);
  row.decision_id = result.text(i, 1);
  row.decided_at = result.text(i, 2);
  row.client = result.text(i, 3);
  row.request_id = result.text(i, 4);
  row.ruleset_hash = result.text(i, 5);
  row.answers = result.text(i, 6);
  row.decision = result.text(i, 7);
  row.replica_id = result.text(i, 8);
  row.prev_hash = result.text(i, 9);
  row.record_hash = result.text(i, 10);
  row.trace_id = result.text(i, 11);
  return row;
}

// Calls `visit` for each row of one of a replica's chains (`table`, its `columns` read by `read`)
// in sequence order, in pages (keyset pagination, so memory stays flat however long the chain).
// Stops when `visit` returns false.
template <typename Read, typename Visit>
void for_each_chain_row(pg::Connection& connection, const char* table, const char* columns, const std::string& replica,
                        Read read, Visit visit) {
  std::int64_t after = -1;
  for (;;) {
    pg::Result page = connection.exec(std::string("SELECT ") + columns + " FROM " + table +
                                          " WHERE replica_id = $1 AND seq > $2 ORDER BY seq LIMIT 5000",
                                      {replica, std::to_string(after)});
    if (page.rows() == 0) return;
    for (int i = 0; i < page.rows(); ++i) {
      auto row = read(page, i);
      after = row.seq;
      if (!visit(row)) return;
    }
  }
}

// A replica's decision records, in sequence order.
template <typename Visit>
void for_each_central_row(pg::Connection& connection, const std::string& replica, Visit visit) {
  for_each_chain_row(connection, "triage_decisions", row_columns, replica, read_row, visit);
}

constexpr const char* feedback_columns =
    "seq, decision_id, received_at, service, client, outcome, override_reason, override_comment, "
    "accepted_suggestions, outcome_at, prev_hash, record_hash";

FeedbackRow read_feedback_row(const pg::Result& page, int i) {
  return {page.integer(i, 0), page.text(i, 1), page.text(i, 2),  page.text(i, 3),
          page.text(i, 4),    page.text(i, 5), page.text(i, 6),  page.text(i, 7),
          page.text(i, 8),    page.text(i, 9), page.text(i, 10), page.text(i, 11)};
}

// A replica's feedback entries, in sequence order.
template <typename Visit>
void for_each_central_feedback(pg::Connection& connection, const std::string& replica, Visit visit) {
  for_each_chain_row(connection, "triage_feedback", feedback_columns, replica, read_feedback_row, visit);
}

// Follows the replica's feedback chain from genesis; the head an earlier verification accepted
// (seq 0: none) must still be in it. Sets the verdict's feedback figures or its problem.
void verify_feedback(pg::Connection& connection, const std::string& replica, std::int64_t accepted_seq,
                     const std::string& accepted_hash, ReplicaVerdict& verdict) {
  bool accepted_seen = accepted_seq == 0;
  std::string previous = genesis_hash();
  std::int64_t previous_seq = 0;
  for_each_central_feedback(connection, replica, [&](const FeedbackRow& row) {
    auto fail = [&](const std::string& why) {
      verdict.problem = "feedback " + std::to_string(row.seq) + " (on decision " + row.decision_id + "): " + why;
      return false;
    };
    if (ChainBreak broken = check_feedback_link(previous, row); broken != ChainBreak::none) {
      return fail(describe(broken));
    }
    if (row.seq <= previous_seq) return fail("sequence numbers go backwards");
    if (row.seq == accepted_seq && row.record_hash == accepted_hash) accepted_seen = true;
    previous = row.record_hash;
    previous_seq = row.seq;
    ++verdict.feedback_verified;
    return true;
  });
  if (!verdict.problem.empty()) return;
  if (!accepted_seen) {
    verdict.problem = "the feedback head accepted earlier (entry " + std::to_string(accepted_seq) +
                      ") is no longer in the store: the replica's feedback was truncated or rewritten";
    return;
  }
  verdict.feedback_head_seq = previous_seq;
  verdict.feedback_head_hash = previous;
}

ReplicaVerdict verify_replica(pg::Connection& connection, const std::string& replica,
                              const std::set<std::string>& rulesets) {
  ReplicaVerdict verdict;
  verdict.replica_id = replica;
  pg::Result accepted = connection.exec(
      "SELECT seq, record_hash, verified_at, feedback_seq, feedback_hash FROM triage_verified_heads "
      "WHERE replica_id = $1 ORDER BY verified_at DESC LIMIT 1",
      {replica});
  bool has_accepted = accepted.rows() > 0;
  std::int64_t accepted_seq = has_accepted ? accepted.integer(0, 0) : 0;
  std::string accepted_hash = has_accepted ? accepted.text(0, 1) : "";
  bool accepted_seen = !has_accepted;
  std::string previous = genesis_hash();
  std::int64_t previous_seq = 0;
  for_each_central_row(connection, replica, [&](const DecisionRow& row) {
    auto fail = [&](const std::string& why) {
      verdict.problem = "record " + std::to_string(row.seq) + " (decision " + row.decision_id + "): " + why;
      return false;
    };
    if (ChainBreak broken = check_chain_link(previous, row); broken != ChainBreak::none) return fail(describe(broken));
    if (!row.replica_id.empty() && row.replica_id != replica) {
      return fail("it records replica `" + row.replica_id + "` but is stored under `" + replica + "`");
    }
    if (rulesets.count(row.ruleset_hash) == 0) return fail("its ruleset " + row.ruleset_hash + " is not stored");
    if (row.seq <= previous_seq) return fail("sequence numbers go backwards");
    if (row.seq == accepted_seq && row.record_hash == accepted_hash) accepted_seen = true;
    previous = row.record_hash;
    previous_seq = row.seq;
    ++verdict.verified;
    return true;
  });
  if (!verdict.problem.empty()) return verdict;
  if (!accepted_seen) {
    verdict.problem = "the head accepted at " + accepted.text(0, 2) + " (record " + std::to_string(accepted_seq) +
                      ") is no longer in the store: the replica's records were truncated or rewritten";
    return verdict;
  }
  verify_feedback(connection, replica, has_accepted ? accepted.integer(0, 3) : 0, has_accepted ? accepted.text(0, 4) : "",
                  verdict);
  if (!verdict.problem.empty()) return verdict;
  pg::Result faults = connection.exec(
      "SELECT noticed_at, problem FROM triage_ship_faults WHERE replica_id = $1 ORDER BY noticed_at DESC LIMIT 1",
      {replica});
  if (faults.rows() > 0) {
    verdict.problem = "its shipper reported at " + faults.text(0, 0) + ": " + faults.text(0, 1);
    return verdict;
  }
  verdict.head_seq = previous_seq;
  verdict.head_hash = previous;
  verdict.ok = true;
  return verdict;
}

}  // namespace

std::vector<std::string> central_replicas(const std::string& url, std::string& error) {
  std::vector<std::string> replicas;
  try {
    pg::Connection connection(url);
    pg::Result result = connection.exec(
        "SELECT DISTINCT replica_id FROM triage_decisions UNION SELECT replica_id FROM triage_verified_heads "
        "UNION SELECT replica_id FROM triage_ship_faults ORDER BY 1");
    for (int i = 0; i < result.rows(); ++i) replicas.push_back(result.text(i, 0));
  } catch (const pg::PgError& failure) {
    error = failure.what();
  }
  return replicas;
}

CentralVerifyReport verify_central(const std::string& url, const std::string& replica, bool record_heads) {
  CentralVerifyReport report;
  try {
    pg::Connection connection(url);
    // One consistent snapshot for the whole check.
    pg::Transaction transaction(connection);
    connection.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    std::map<std::string, std::vector<std::pair<std::string, std::string>>> files;
    pg::Result stored = connection.exec("SELECT r.hash, f.name, f.body FROM triage_rulesets r "
                                        "LEFT JOIN triage_ruleset_files f ON f.hash = r.hash ORDER BY r.hash, f.name");
    for (int i = 0; i < stored.rows(); ++i) {
      auto& list = files[stored.text(i, 0)];
      if (!stored.is_null(i, 1)) list.emplace_back(stored.text(i, 1), stored.text(i, 2));
    }
    std::set<std::string> rulesets;
    for (const auto& [hash, list] : files) {
      std::string actual = ruleset_hash(list);
      if (actual != hash) {
        report.problem = "stored ruleset " + hash + " does not match its files (they hash to " + actual + ")";
        return report;
      }
      rulesets.insert(hash);
    }
    std::vector<std::string> replicas;
    if (!replica.empty()) {
      replicas.push_back(replica);
    } else {
      pg::Result all = connection.exec(
          "SELECT DISTINCT replica_id FROM triage_decisions UNION SELECT replica_id FROM triage_verified_heads "
          "UNION SELECT replica_id FROM triage_ship_faults ORDER BY 1");
      for (int i = 0; i < all.rows(); ++i) replicas.push_back(all.text(i, 0));
    }
    report.ok = true;
    for (const auto& name : replicas) {
      report.replicas.push_back(verify_replica(connection, name, rulesets));
      report.ok = report.ok && report.replicas.back().ok;
    }
    transaction.commit();
    if (record_heads) {
      for (const auto& verdict : report.replicas) {
        if (!verdict.ok || (verdict.head_seq == 0 && verdict.feedback_head_seq == 0)) continue;
        connection.exec("INSERT INTO triage_verified_heads (replica_id, seq, record_hash, feedback_seq, feedback_hash) "
                        "VALUES ($1, $2, $3, $4, $5)",
                        {verdict.replica_id, std::to_string(verdict.head_seq), verdict.head_hash,
                         std::to_string(verdict.feedback_head_seq), verdict.feedback_head_hash});
      }
    }
  } catch (const pg::PgError& failure) {
    report.ok = false;
    report.problem = std::string("the central store: ") + failure.what();
  }
  return report;
}

bool materialize_replica(const std::string& url, const std::string& replica, const std::string& path,
                         std::string& error) {
  try {
    {
      auto log = AuditLog::open(path, error);  // creates the current schema
      if (!log) return false;
      log->close();
    }
    pg::Connection connection(url);
    pg::Transaction snapshot(connection);
    connection.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    sql::Database db(path, false);
    sql::Transaction transaction(db);
    sql::Statement insert(db,
                          "INSERT INTO decisions (seq, decision_id, decided_at, client, request_id, ruleset_hash, "
                          "answers, decision, replica_id, prev_hash, record_hash, trace_id) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
    std::set<std::string> hashes;
    for_each_central_row(connection, replica, [&](const DecisionRow& row) {
      insert.bind(1, row.seq).bind(2, row.decision_id).bind(3, row.decided_at).bind(4, row.client)
          .bind(5, row.request_id).bind(6, row.ruleset_hash).bind(7, row.answers).bind(8, row.decision)
          .bind(9, row.replica_id).bind(10, row.prev_hash).bind(11, row.record_hash).bind(12, row.trace_id);
      insert.run();
      hashes.insert(row.ruleset_hash);
      return true;
    });
    sql::Statement add_feedback(db,
                                "INSERT INTO feedback (seq, decision_id, received_at, service, client, outcome, "
                                "override_reason, override_comment, accepted_suggestions, outcome_at, prev_hash, "
                                "record_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
    for_each_central_feedback(connection, replica, [&](const FeedbackRow& row) {
      add_feedback.bind(1, row.seq).bind(2, row.decision_id).bind(3, row.received_at).bind(4, row.service)
          .bind(5, row.client).bind(6, row.outcome).bind(7, row.override_reason).bind(8, row.override_comment)
          .bind(9, row.accepted_suggestions).bind(10, row.outcome_at).bind(11, row.prev_hash).bind(12, row.record_hash);
      add_feedback.run();
      return true;
    });
    sql::Statement add_ruleset(db, "INSERT INTO rulesets (hash, first_seen) VALUES (?1, ?2)");
    sql::Statement add_file(db, "INSERT INTO ruleset_files (hash, name, text) VALUES (?1, ?2, ?3)");
    for (const auto& hash : hashes) {
      pg::Result seen = connection.exec("SELECT first_seen FROM triage_rulesets WHERE hash = $1", {hash});
      if (seen.rows() == 0) continue;  // verify names the missing ruleset
      add_ruleset.bind(1, hash).bind(2, seen.text(0, 0));
      add_ruleset.run();
      pg::Result list = connection.exec("SELECT name, body FROM triage_ruleset_files WHERE hash = $1", {hash});
      for (int i = 0; i < list.rows(); ++i) {
        add_file.bind(1, hash).bind(2, list.text(i, 0)).bind(3, list.text(i, 1));
        add_file.run();
      }
    }
    transaction.commit();
    return true;
  } catch (const pg::PgError& failure) {
    error = std::string("the central store: ") + failure.what();
  } catch (const sql::SqliteError& failure) {
    error = std::string("the local copy: ") + failure.what();
  }
  return false;
}

}  // namespace triage::central
