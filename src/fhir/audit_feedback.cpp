#include "fhir/audit_feedback.hpp"

#include "api/decision_proto.hpp"

namespace triage::fhir {

FeedbackEntry to_feedback_entry(const FeedbackRecord& record, std::int64_t received_at_micros) {
  FeedbackEntry entry;
  const cds::Feedback& f = record.feedback;
  entry.decision_id = f.card;
  entry.received_at_micros = received_at_micros;
  entry.service = record.service_id;
  entry.issuer = record.issuer;
  entry.client = record.issuer + (record.subject.empty() ? "" : "#" + record.subject);
  entry.outcome = f.outcome;
  entry.override_reason = f.override_code;
  if (!f.override_display.empty()) entry.override_reason += (entry.override_reason.empty() ? "" : " ") + f.override_display;
  entry.override_comment = f.override_comment;
  for (const auto& id : f.accepted_suggestions) entry.accepted_suggestions += (entry.accepted_suggestions.empty() ? "" : ",") + id;
  entry.outcome_at = f.outcome_timestamp;
  return entry;
}

std::function<void(std::vector<FeedbackRecord>, FeedbackDone)> feedback_to_audit_log(AuditLog& log) {
  return [&log](std::vector<FeedbackRecord> records, FeedbackDone done) {
    const std::int64_t received = now_micros();
    std::vector<FeedbackEntry> entries;
    entries.reserve(records.size());
    for (const auto& record : records) entries.push_back(to_feedback_entry(record, received));
    log.store_feedback_async(std::move(entries), std::move(done));
  };
}

}  // namespace triage::fhir
