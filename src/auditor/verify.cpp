#include "auditor/verify.hpp"

#include <set>

#include "ruleset/loader.hpp"

namespace triage {

VerifyReport verify_audit_log(AuditReader& reader, const std::string& expected_head,
                              const std::function<void(std::int64_t, std::int64_t)>& progress) {
  VerifyReport report;
  std::string integrity = reader.integrity_check();
  if (integrity != "ok") {
    report.problem = "SQLite integrity check failed: " + integrity;
    return report;
  }
  std::set<std::string> rulesets;
  for (const auto& hash : reader.ruleset_hashes()) {
    std::vector<std::pair<std::string, std::string>> files;
    reader.ruleset_files(hash, files);
    std::string actual = ruleset_hash(files);
    if (actual != hash) {
      report.problem = "stored ruleset " + hash + " does not match its files (they hash to " + actual + ")";
      return report;
    }
    rulesets.insert(hash);
  }
  std::int64_t total = reader.count({});
  std::string previous = genesis_hash();
  bool head_seen = expected_head.empty();
  std::int64_t previous_seq = 0;
  reader.for_each_decision({}, [&](const DecisionRow& row) {
    auto fail = [&](const std::string& why) {
      report.broken_seq = row.seq;
      report.problem = "record " + std::to_string(row.seq) + " (decision " + row.decision_id + "): " + why;
      return false;
    };
    ChainBreak broken = check_chain_link(previous, row);
    if (broken == ChainBreak::link) {
      return fail(describe(broken) + " (it names " + row.prev_hash.substr(0, 16) + "…, the record before it is " +
                  previous.substr(0, 16) + "…)");
    }
    if (broken != ChainBreak::none) return fail(describe(broken));
    if (rulesets.count(row.ruleset_hash) == 0) {
      return fail("its ruleset " + row.ruleset_hash + " is not stored, so it cannot be replayed");
    }
    if (row.seq <= previous_seq) return fail("sequence numbers go backwards");
    previous_seq = row.seq;
    previous = row.record_hash;
    head_seen = head_seen || row.record_hash == expected_head;
    ++report.verified;
    if (progress && report.verified % 100000 == 0) progress(report.verified, total);
    return true;
  });
  if (!report.problem.empty()) return report;
  if (!head_seen) {
    // Truncation removes it, but so does an edited record whose hashes were recomputed: say both.
    report.problem = "the expected chain head " + expected_head +
                     " is not in the log: records were removed from its end, or the history up to it was "
                     "changed and its hashes recomputed";
    return report;
  }
  // Feedback: its own chain, each entry about a logged decision.
  std::string feedback_previous = genesis_hash();
  for (const auto& entry : reader.feedback("")) {
    std::string where = "feedback " + std::to_string(entry.seq) + " (on decision " + entry.decision_id + "): ";
    if (entry.record_hash.empty()) break;  // a log read before schema 7: its feedback is not chained yet
    ChainBreak broken = check_feedback_link(feedback_previous, entry);
    if (broken != ChainBreak::none) {
      report.problem = where + (broken == ChainBreak::link
                                    ? "its previous hash does not match the entry before it: feedback was deleted, "
                                      "inserted or reordered"
                                    : "its content does not match its hash: the feedback was edited");
      return report;
    }
    if (!reader.decision_record(entry.decision_id)) {
      report.problem = where + "that decision is not in the log";
      return report;
    }
    feedback_previous = entry.record_hash;
    ++report.feedback_verified;
  }
  report.head_hash = previous;
  report.ok = true;
  return report;
}

}  // namespace triage
