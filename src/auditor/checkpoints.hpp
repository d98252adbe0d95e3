#pragma once
// `triage audit verify --trusted-keys DIR`: the signed checkpoints of an audit log. The hash chain
// alone proves nothing against someone who can write the file (every hash can be recomputed);
// each checkpoint is the chain head after some record, signed by the server with a key kept
// outside the log, so a rewritten or truncated history no longer matches a signature.
#include <cstdint>
#include <string>

#include "audit/reader.hpp"

namespace triage {

struct CheckpointReport {
  bool ok = false;
  std::int64_t checked = 0;        // checkpoints whose signature and chain head held
  std::int64_t covered_seq = 0;    // records up to this seq are vouched for by a signature
  std::int64_t unsigned_tail = 0;  // records after the newest checkpoint (a server still running,
                                   // or stopped by a crash before its next checkpoint)
  std::string signers;             // the trusted keys' names that signed, comma-separated
  std::string problem;             // why not ok, in words
};

// Checks every checkpoint's Ed25519 signature against the public keys (*.pem) in
// `trusted_keys_dir`, that the record it names still holds the head it signed, and that the
// records after the newest one are fewer than the server's interval. Run after verify_audit_log
// (which checks the chain links between records): together they prove records 1..covered_seq.
CheckpointReport verify_checkpoints(AuditReader& reader, const std::string& trusted_keys_dir);

}  // namespace triage
