#pragma once
// CDS Hooks feedback into the audit log: the `record_feedback` callback a server gives FhirService.
#include <functional>
#include <string>
#include <vector>

#include "audit/audit_log.hpp"
#include "fhir/routes.hpp"

namespace triage::fhir {

// The audit-log row for one feedback entry received at `received_at_micros`.
FeedbackEntry to_feedback_entry(const FeedbackRecord& record, std::int64_t received_at_micros);

// Stores each post's entries in `log` (which must outlive the callback) off the caller's thread,
// stamped with the time of arrival.
std::function<void(std::vector<FeedbackRecord>, FeedbackDone)> feedback_to_audit_log(AuditLog& log);

}  // namespace triage::fhir
