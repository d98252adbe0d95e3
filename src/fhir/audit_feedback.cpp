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

std::function<FeedbackStored(const FeedbackRecord&, std::string&)> feedback_to_audit_log(AuditLog& log) {
  return [&log](const FeedbackRecord& record, std::string& error) {
    return log.store_feedback(to_feedback_entry(record, now_micros()), error);
  };
}

}  // namespace triage::fhir
