#include "auditor/checkpoints.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "sign/signature.hpp"

namespace triage {

CheckpointReport verify_checkpoints(AuditReader& reader, const std::string& trusted_keys_dir) {
  CheckpointReport report;
  std::int64_t last = reader.last_seq();
  auto checkpoints = reader.checkpoints();
  auto rulesets = reader.rulesets_by_first_seen();
  if (checkpoints.empty()) {
    if (last == 0 && rulesets.empty()) {
      report.ok = true;
      return report;
    }
    if (last == 0) {
      // A server stored its rules here, and a signing server signs a checkpoint right after.
      report.problem = "the log stores " + std::to_string(rulesets.size()) +
                       " ruleset(s), so a server ran on it, but holds no record and no signed checkpoint: "
                       "an emptied log (records and checkpoints removed), or a server without "
                       "--audit-signing-key";
      return report;
    }
    report.unsigned_tail = last;
    report.problem = "the log holds " + std::to_string(last) +
                     " records but no signed checkpoint, so a rewritten history cannot be told from the real "
                     "one (was the server started with --audit-signing-key? were the checkpoints removed?)";
    return report;
  }
  std::set<std::string> signers;
  std::map<std::int64_t, std::string> feedback_hashes;  // seq -> record_hash
  for (const auto& entry : reader.feedback("")) feedback_hashes[entry.seq] = entry.record_hash;
  for (const auto& checkpoint : checkpoints) {
    std::string where = "the checkpoint after record " + std::to_string(checkpoint.seq) + " (signed at " +
                        checkpoint.signed_at + ")";
    Verification signature =
        verify_bytes(checkpoint_statement(checkpoint), Signature{checkpoint.key_id, checkpoint.signature},
                     trusted_keys_dir);
    if (!signature.ok) {
      report.problem = where + " has no valid signature: " + signature.error;
      return report;
    }
    if (checkpoint.feedback_seq > 0) {
      auto entry = feedback_hashes.find(checkpoint.feedback_seq);
      if (entry == feedback_hashes.end() || entry->second != checkpoint.feedback_head) {
        report.problem = "feedback " + std::to_string(checkpoint.feedback_seq) + ", covered by " + where + " by " +
                         signature.signer + ", is " + (entry == feedback_hashes.end() ? "not in the log" : "changed") +
                         ": the feedback up to it was edited, removed or rewritten";
        return report;
      }
    }
    if (checkpoint.seq == 0) {  // signed when a ruleset was stored into an empty log
      if (checkpoint.head != genesis_hash()) {
        report.problem = where + " by " + signature.signer + " does not hold the empty chain's start";
        return report;
      }
      signers.insert(signature.signer);
      ++report.checked;
      continue;
    }
    auto record = reader.decision_at(checkpoint.seq);
    if (!record && checkpoint.seq > last) {
      report.problem = "the log ends at record " + std::to_string(last) + ", but " + where + " by " +
                       signature.signer + " covers records up to " + std::to_string(checkpoint.seq) +
                       ": the log was truncated";
      return report;
    }
    if (!record) {
      report.problem = "record " + std::to_string(checkpoint.seq) + ", covered by " + where + " by " +
                       signature.signer + ", is not in the log";
      return report;
    }
    if (record->record_hash != checkpoint.head) {
      // Not "removed": an edit whose hashes were recomputed looks exactly like this too.
      report.problem = "record " + std::to_string(checkpoint.seq) + " (decision " + record->decision_id +
                       ") does not hold the chain head signed by " + signature.signer + " in " + where +
                       ": the history up to it was changed (a record edited, inserted or removed, and the "
                       "hashes after it recomputed)";
      return report;
    }
    signers.insert(signature.signer);
    report.covered_seq = checkpoint.seq;
    ++report.checked;
  }
  const CheckpointRow& newest = checkpoints.back();
  // Every stored ruleset is followed by a signed checkpoint (signed_at is under the signature).
  std::string latest_signed;
  for (const auto& checkpoint : checkpoints) latest_signed = std::max(latest_signed, checkpoint.signed_at);
  for (const auto& [hash, first_seen] : rulesets) {
    if (first_seen > latest_signed) {
      report.problem = "ruleset " + hash.substr(0, 12) + " was stored at " + first_seen +
                       ", after the newest signed checkpoint (" + latest_signed +
                       "), though a signing server signs one right after storing a ruleset: checkpoints "
                       "(and perhaps records) after it were removed";
      return report;
    }
  }
  report.unsigned_tail = last - newest.seq;
  for (const auto& signer : signers) report.signers += (report.signers.empty() ? "" : ",") + signer;
  if (newest.every_records > 0 && report.unsigned_tail >= newest.every_records) {
    report.problem = "records " + std::to_string(newest.seq + 1) + ".." + std::to_string(last) +
                     " are not covered by a signed checkpoint, though the server signs one every " +
                     std::to_string(newest.every_records) +
                     " records: checkpoints were removed, records were added by something other than the "
                     "server, or the server could not sign (see its log)";
    return report;
  }
  report.ok = true;
  return report;
}

}  // namespace triage
