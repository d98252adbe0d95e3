#pragma once
// Read-only access to an audit log for the auditor tools (verify, replay, export). Opens the file
// without creating it and refuses files that are not audit logs or have a newer schema.
// Not thread-safe: one reader per thread.
#include <cstdint>
#include <functional>
#include <memory>
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
};

class AuditReader {
 public:
  // Null with `error` when the file is missing, unreadable or not an audit log.
  static std::unique_ptr<AuditReader> open(const std::string& path, std::string& error);
  ~AuditReader();

  // SQLite's own integrity check; "ok" when the file is sound.
  std::string integrity_check();
  // The number of decisions the filter selects.
  std::int64_t count(const DecisionFilter& filter);
  // Calls `visit` for each selected decision in sequence order until it returns false.
  void for_each_decision(const DecisionFilter& filter, const std::function<bool(const DecisionRow&)>& visit);
  // The stored rulesets' hashes.
  std::vector<std::string> ruleset_hashes();
  // The files of a stored ruleset, sorted by name; false when the hash is not stored.
  bool ruleset_files(const std::string& hash, std::vector<std::pair<std::string, std::string>>& files);

 private:
  explicit AuditReader(std::unique_ptr<sql::Database> db);
  std::unique_ptr<sql::Database> db_;
};

}  // namespace triage
