#pragma once
// Clinician feedback as the audit log takes it: the entry, what storing it did, and the reply to a
// whole post (FeedbackQueue stores a post's entries in order).
#include <cstdint>
#include <functional>
#include <string>

namespace triage {

// Clinician feedback on a decision (CDS Hooks feedback). Stored beside the decisions in its own
// hash chain (signed checkpoints cover its head): it comments on a decision and never changes
// what was decided.
struct FeedbackEntry {
  std::string decision_id;       // the card uuid
  std::int64_t received_at_micros = 0;
  std::string service;           // CDS service id
  std::string issuer;            // the JWT iss: must be the client the card was issued to
  std::string client;            // who sent it (JWT iss, "#sub" when given)
  std::string outcome;           // accepted | overridden
  std::string override_reason;   // reason code (display after a space), may be empty
  std::string override_comment;  // the clinician's comment, may be empty
  std::string accepted_suggestions;  // suggestion ids, comma-separated
  std::string outcome_at;        // outcomeTimestamp as sent
};

// What store_feedback did.
enum class FeedbackStored {
  stored,
  duplicate,     // the same feedback was stored before: not stored again
  unknown_card,  // no logged decision has this card uuid
  other_issuer,  // the decision was issued to another client
  failed,        // the log could not store it (error says why)
};

// What storing one post's entries did: `stored` when every entry was stored (or was a duplicate);
// otherwise the first entry's status that was not (entries before it stay stored) and why.
struct FeedbackResult {
  FeedbackStored status = FeedbackStored::stored;
  std::string error;
};

// Called once per post with its result.
using FeedbackDone = std::function<void(FeedbackResult result)>;

}  // namespace triage
