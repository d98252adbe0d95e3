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
  Json response;             // the hook patient's newest decidable QuestionnaireResponse in the prefetch, or null
  int other_patient = 0;     // prefetched responses about another patient: never used
  int not_decidable = 0;     // prefetched responses entered-in-error or stopped: never decided
};

// The search the discovery prefetch names, for one patient: `QuestionnaireResponse?subject=Patient/<id>&
// questionnaire=<canonical>&status=completed&_sort=-authored&_count=1` (the id percent-encoded).
// With `patient_id` "{{context.patientId}}" it is the prefetch template itself.
std::string response_search(const fhir::FhirNames& names, const std::string& patient_id);

// Why `response` must not be decided for the hook's patient `patient_id`: "another patient" when
// its subject names a patient other than `patient_id` (or names none that can be read, while the
// hook names one), "status <s>" when it is entered-in-error or stopped; "" when it may be decided.
// A response without a subject is taken to be about the hook's patient (the EHR's search chose it).
std::string unusable_for(const Json& response, const std::string& patient_id);

// The responses a hook may decide from: the newest (latest `authored`, the first of equal ones)
// among `resources` (a QuestionnaireResponse, or a Bundle's entries) that is usable for
// `patient_id`, and how many were left out and why.
struct ResponseChoice {
  Json response;           // null when none is usable
  int other_patient = 0;   // about another patient
  int not_decidable = 0;   // entered-in-error or stopped
};
ResponseChoice choose_response(const Json& resources, const std::string& patient_id);

// The hook's patient: context.patientId, or "" when the context names none.
std::string hook_patient(const Json& context);

// The card that says a response on file was not used (another patient's, or withdrawn), without
// any of its answers; its summary is under 140 characters.
Json ignored_response_card(const ResponseChoice& choice, const std::string& source_label);

// Whether the service may call `fhir_server` (CDS Hooks fhirServer). Both it and each entry of
// `allowed` are parsed and normalised (scheme and host in lower case, the default port made
// explicit, path segments percent-decoded, empty ones dropped); the server is allowed when scheme,
// host and port are equal and the entry's segments start its own. Refused outright, with `why`:
// another scheme, user info, a query or fragment, spaces, control bytes, backslashes, an encoded
// slash and any dot segment (".", "..", "%2e%2e", …), so no tenant boundary can be walked across.
// Every server is refused when `allowed` is empty.
// `as_called` (when given) receives the normalised URL, which is the one the service then calls.
bool fhir_server_allowed(const std::string& fhir_server, const std::vector<std::string>& allowed, std::string& why,
                         std::string* as_called = nullptr);

// Parses a hook call for `service_id`; nullopt with `error` when it is not one (missing hook or
// hookInstance, a hook other than the service's, a context that is not an object).
std::optional<HookRequest> parse_hook_request(const Json& body, const std::string& service_id, std::string& error);

// The card for a decision: indicator emergency -> critical, urgent -> warning, routine and
// self_care -> info, incomplete -> warning listing the questions to ask; summary under 140
// characters; Markdown detail with reasons and sources; source naming the ruleset; uuid = decision
// id; for referrals a suggestion that creates the draft ServiceRequest (`referral`); the
// override reasons a clinician may pick.
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

// The reasons a clinician may give for overriding a card (card.overrideReasons, CDS Hooks 2.0), as
// (code, display) pairs in `names.override_reason_system()`.
const std::vector<std::pair<std::string, std::string>>& override_reasons();

// Parses `{"feedback": [...]}`; empty with `errors` listing each bad entry (by JSON path). An
// overrideReason must be one of override_reasons() (its system, when given, `override_system`).
std::vector<Feedback> parse_feedback(const Json& body, const std::string& override_system,
                                     std::vector<std::string>& errors);

// Cuts `text` to fewer than `limit` bytes at a UTF-8 boundary, adding "…" when cut.
std::string shorten(const std::string& text, std::size_t limit);

}  // namespace triage::cds
