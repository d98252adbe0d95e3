#pragma once
// CDS Hooks 2.0 for the triage engine: the discovery document, the request a hook sends, cards
// from a decision, and the feedback an EHR sends back. Transport-free.
#include <optional>
#include <string>
#include <vector>

#include "fhir/common.hpp"
#include "triage/v1/triage.pb.h"

namespace triage::cds {

using fhir::Json;

// The service ids: "back-pain-triage" (patient-view) and "back-pain-triage-encounter"
// (encounter-start). The hook a service id answers, or "" for an unknown id.
std::string hook_of(const std::string& service_id);

// GET /cds-services: both services, each prefetching the patient's latest back-pain
// QuestionnaireResponse under the key "questionnaireResponse".
Json discovery(const fhir::FhirNames& names);

// A hook call as sent by the EHR.
struct HookRequest {
  std::string hook;
  std::string hook_instance;
  std::string fhir_server;   // empty when none was given
  std::string fhir_access_token;  // fhirAuthorization.access_token (a Bearer token); empty when none
  Json context;              // the hook's context object
  bool prefetch_given = false;  // the "questionnaireResponse" prefetch key was present (even as null)
  Json response;             // the QuestionnaireResponse found in the prefetch (latest `authored`), or null
};

// The search the discovery prefetch names, for one patient: `QuestionnaireResponse?subject=Patient/<id>&
// questionnaire=<canonical>&status=completed&_sort=-authored&_count=1` (the id percent-encoded).
// With `patient_id` "{{context.patientId}}" it is the prefetch template itself.
std::string response_search(const fhir::FhirNames& names, const std::string& patient_id);

// The QuestionnaireResponse with the latest `authored` among a Bundle's entries (the first of
// equal ones), or null when it has none.
Json latest_response(const Json& bundle);

// Whether the service may call `fhir_server` (CDS Hooks fhirServer): an http:// or https:// URL
// without user info, query or fragment, equal to one of `allowed` (URL prefixes, trailing `/`
// ignored) or below one at a `/`. False with `why` otherwise; every server is refused when
// `allowed` is empty.
bool fhir_server_allowed(const std::string& fhir_server, const std::vector<std::string>& allowed, std::string& why);

// Parses a hook call for `service_id`; nullopt with `error` when it is not one (missing hook or
// hookInstance, a hook other than the service's, a context that is not an object).
std::optional<HookRequest> parse_hook_request(const Json& body, const std::string& service_id, std::string& error);

// The card for a decision: indicator emergency -> critical, urgent -> warning, routine and
// self_care -> info, incomplete -> warning listing the questions to ask; summary under 140
// characters; Markdown detail with reasons and sources; source naming the ruleset; uuid = decision
// id; for referrals a suggestion that creates the draft ServiceRequest (`referral`).
Json decision_card(const v1::Decision& decision, const v1::Questionnaire& questionnaire, const Json& referral,
                   const fhir::FhirNames& names);

// One feedback entry (CDS Hooks 2.0 feedback).
struct Feedback {
  std::string card;              // the card uuid = decision id
  std::string outcome;           // "accepted" or "overridden"
  std::vector<std::string> accepted_suggestions;
  std::string override_code;     // overrideReason.reason.code (may be empty)
  std::string override_display;  // overrideReason.reason.display
  std::string override_comment;  // overrideReason.userComment
  std::string outcome_timestamp;
};

// Parses `{"feedback": [...]}`; empty with `errors` listing each bad entry (by JSON path).
std::vector<Feedback> parse_feedback(const Json& body, std::vector<std::string>& errors);

// Cuts `text` to fewer than `limit` bytes at a UTF-8 boundary, adding "…" when cut.
std::string shorten(const std::string& text, std::size_t limit);

}  // namespace triage::cds
