#pragma once
// Read-only access to an audit log for the auditor tools (verify, replay, export). Opens the file
// without creating it and refuses files that are not audit logs or have a newer schema.
// Not thread-safe: one reader per thread.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "audit/record.hpp"

namespace triage {

namespace sql {
class Database;
}

// Which decisions a tool looks at: `decided_at` in [since, until) (RFC 3339 UTC text; empty for
// no bound) and at most `limit` of them (0 for all), in sequence order.
struct DecisionFilter {
  std::string since;
  std::string until;
  std::int64_t limit = 0;
  std::int64_t after_seq = 0;  // only records with a greater sequence number (the shipper's cursor)
};

// A stored ruleset's signature as verified when it was loaded (all empty when unsigned).
struct StoredSignature {
  std::string hash;       // the ruleset's hash
  std::string signer;     // the trusted key's name
  std::string signing_key;
  std::string signature;  // base64
  std::string statement;  // the signed bytes
};

class AuditReader {
 public:
  // Null with `error` when the file is missing, unreadable or not an audit log. Works on
  // read-only storage: a log without a WAL file is opened immutable; one with a WAL file but no
  // writable place for its -shm index is read from a private copy (database and WAL) in TMPDIR,
  // removed when the reader is destroyed.
  static std::unique_ptr<AuditReader> open(const std::string& path, std::string& error);
  ~AuditReader();

  // SQLite's own integrity check; "ok" when the file is sound.
  std::string integrity_check();
  // The number of decisions the filter selects.
  std::int64_t count(const DecisionFilter& filter);
  // Calls `visit` for each selected decision in sequence order until it returns false.
  void for_each_decision(const DecisionFilter& filter, const std::function<bool(const DecisionRow&)>& visit);
  // Stored feedback in arrival order, for one decision or (empty id) all; none in a version-1 log.
  std::vector<FeedbackRow> feedback(const std::string& decision_id);
  // Up to `limit` stored feedback entries after `after_seq`, in arrival order (what a shipper sends
  // next); none in a log without feedback. Entries read before schema 7 have empty hashes.
  std::vector<FeedbackRow> feedback_after(std::int64_t after_seq, std::int64_t limit);
  // The logged decision record (the `decision` column) of the decision with this id; nullopt when
  // the log has none.
  std::optional<std::string> decision_record(const std::string& decision_id);
  // The stored rulesets' hashes.
  std::vector<std::string> ruleset_hashes();
  // The stored rulesets as (hash, first_seen) pairs, oldest first.
  std::vector<std::pair<std::string, std::string>> rulesets_by_first_seen();
  // When the log first stored the ruleset `hash` (the service loaded it); empty when not stored.
  std::string ruleset_first_seen(const std::string& hash);
  // The files of a stored ruleset, sorted by name; false when the hash is not stored.
  bool ruleset_files(const std::string& hash, std::vector<std::pair<std::string, std::string>>& files);
  // Every stored ruleset with its signature columns, by hash; a log older than
  // `audit_schema::signatures_since` has none and reads them as empty.
  std::vector<StoredSignature> ruleset_signatures();
  // The signed checkpoints in seq order (none in a log from before schema 4).
  std::vector<CheckpointRow> checkpoints();
  // The record with this seq (seq, decision_id and record_hash only); nullopt when there is none.
  std::optional<DecisionRow> decision_at(std::int64_t seq);
  // The newest record's seq; 0 for an empty log.
  std::int64_t last_seq();

 private:
  AuditReader(std::unique_ptr<sql::Database> db, std::string copy_folder);
  std::unique_ptr<sql::Database> db_;
  std::string copy_folder_;  // the private copy's folder, when one was needed
  int schema_ = 0;  // the log's user_version: which columns decisions has
};

}  // namespace triage
