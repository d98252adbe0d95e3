#pragma once
// Verification at the centre (`triage audit verify --pg`): every stored ruleset matches its hash;
// per replica, the chain holds from its first record to its last, every record's ruleset is stored,
// the replica still holds the head an earlier verification accepted (so a truncated or rewritten
// tail is caught), its feedback chain holds the same way, and no shipper reported the replica's local log truncated or rewritten.
// Accepted heads are recorded (insert-only) for the next run.
#include <cstdint>
#include <string>
#include <vector>

namespace triage::central {

struct ReplicaVerdict {
  std::string replica_id;
  bool ok = false;
  std::int64_t verified = 0;
  std::int64_t head_seq = 0;
  std::string head_hash;
  std::int64_t feedback_verified = 0;  // feedback entries whose chain holds
  std::int64_t feedback_head_seq = 0;
  std::string feedback_head_hash;
  std::string problem;
};

struct CentralVerifyReport {
  bool ok = false;
  std::string problem;  // store-wide (connection, rulesets); per-replica problems are in `replicas`
  std::vector<ReplicaVerdict> replicas;
};

// `replica` empty: every replica. `record_heads`: store each accepted head in triage_verified_heads.
CentralVerifyReport verify_central(const std::string& url, const std::string& replica, bool record_heads);

// Copies one replica's records and the rulesets they name from the central store into a new
// SQLite audit log at `path` (sequence numbers kept), so replay and export run on it unchanged.
// False with `error`.
bool materialize_replica(const std::string& url, const std::string& replica, const std::string& path,
                         std::string& error);

// The replicas in the central store, sorted. Throws nothing; empty with `error` on failure.
std::vector<std::string> central_replicas(const std::string& url, std::string& error);

}  // namespace triage::central
