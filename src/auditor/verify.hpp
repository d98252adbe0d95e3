#pragma once
// `triage audit verify`: proves an audit log is intact: SQLite's integrity check, every stored
// ruleset matches its hash, the hash chain holds from the first record to the last, and every
// decision's ruleset is present.
#include <cstdint>
#include <functional>
#include <string>

#include "audit/reader.hpp"

namespace triage {

struct VerifyReport {
  bool ok = false;
  std::int64_t verified = 0;   // records whose chain link was checked and held
  std::int64_t feedback_verified = 0;  // feedback entries whose chain link held
  std::string head_hash;       // the last record's hash: keep it to detect later truncation
  std::int64_t broken_seq = 0; // the first bad record, when not ok (0 for a file-level problem)
  std::string problem;         // why, in words
};

// `expected_head`, when not empty, is a chain head recorded earlier (from a previous verify or the
// service's logs); the log must still contain it, which catches deleted trailing records.
// `progress` is called every so often with the records checked so far.
VerifyReport verify_audit_log(AuditReader& reader, const std::string& expected_head,
                              const std::function<void(std::int64_t done, std::int64_t total)>& progress);

}  // namespace triage
