#pragma once
// One entry point for the HTTP listener: every FHIR (`/fhir/…`) and CDS Hooks (`/cds-services…`)
// route as a function of the request. Wiring it into a listener is one call:
//   if (fhir::is_fhir_target(target)) return fhir::handle_fhir_async(method, target, headers, body, service, reply);
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "audit/audit_log.hpp"
#include "fhir/cds_hooks.hpp"
#include "fhir/cds_jwt.hpp"
#include "compile/compiled.hpp"
#include "fhir/common.hpp"
#include "triage/v1/triage.pb.h"

namespace triage::fhir {

// Request headers as received (names compared case-insensitively).
using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResult {
  int status = 200;
  std::string content_type = "application/fhir+json";
  std::string body;
  Headers headers;  // extra response headers (WWW-Authenticate on 401)
  std::string log_note;  // why, for the server's log, when it is safe to log (never answers or tokens)
};

// What deciding an intake gave: a decision, or an HTTP status with a message (400 for answers the
// engine refuses, 503 when the audit log could not take the decision).
struct Decided {
  bool ok = false;
  int status = 500;
  std::string error;
  v1::Decision decision;
};

// Feedback as stored: the CDS service, the client that sent it (JWT `iss`/`sub`), and the entry.
struct FeedbackRecord {
  std::string service_id;
  std::string issuer;
  std::string subject;
  cds::Feedback feedback;
};

// What a GET from a CDS client's FHIR server gave: the body of a 200 answer, or the HTTP status the
// hook answers with (502 the server failed or refused, 504 it did not answer in time, 503 busy)
// and a message (never the token).
struct Fetched {
  bool ok = false;
  int status = 502;
  std::string error;
  std::string body;
};

// Everything the routes need from the server. Callbacks may be called from several threads at once.
struct FhirService {
  FhirNames names;
  // The server's public base URL, no trailing slash ("https://triage.example:8443"): the JWT
  // audience is base_url + "/cds-services/<id>"; also CapabilityStatement.implementation.url.
  std::string base_url;
  // The served ruleset (never null while serving).
  std::function<std::shared_ptr<const CompiledRuleset>()> ruleset;
  // Decides and logs one intake with `ruleset`, then calls `done` exactly once: at once, or later
  // from another thread (for example the audit log's completion thread after the commit). `client`
  // is the caller's identity (JWT iss#sub for CDS Hooks; "fhir", or "fhir:" and the transport's
  // identity of the caller when the listener gives one, for the FHIR operations).
  std::function<void(const CompiledRuleset& ruleset, const v1::EvaluateRequest& request, const std::string& client,
                     std::function<void(Decided)> done)>
      decide;
  // Stores a post's feedback entries in order, stopping at the first one refused, then calls
  // `done` exactly once, at once or from another thread (the audit log's feedback thread), after
  // what was stored is durable. Null: feedback answers 501.
  std::function<void(std::vector<FeedbackRecord> records, FeedbackDone done)> record_feedback;
  // GETs an absolute http(s) `url` with `Authorization: Bearer <access_token>` when the token is
  // not empty, then calls `done` exactly once, at once or from another thread. Used for hooks that
  // come without the prefetch but with a `fhirServer` in `fhir_servers`. Null: never called.
  std::function<void(const std::string& url, const std::string& access_token, std::function<void(Fetched)> done)>
      fetch;
  // URL prefixes of the FHIR servers `fetch` may call (a hook's fhirServer must equal one or lie
  // below one at a `/`). Empty: none is called (412 as without fhirServer).
  std::vector<std::string> fhir_servers;
  // Checks CDS Hooks bearer tokens. Null: every CDS Hooks call but discovery answers 401.
  std::shared_ptr<cds::JwtVerifier> verifier;
  // Seconds since the Unix epoch (JWT checks); the system clock when null.
  std::function<std::int64_t()> now_seconds;
  // CapabilityStatement.date / OperationDefinition.date (a FHIR dateTime): when the rules were loaded.
  std::string loaded_at = "2026-01-01T00:00:00Z";
};

// True for targets this layer answers: "/fhir/…", "/cds-services" and below.
bool is_fhir_target(std::string_view target);

// Answers one request. `target` is the request target (path and optional query, which is ignored).
// Routes: GET /fhir/metadata, GET /fhir/Questionnaire/back-pain-triage,
// GET /fhir/OperationDefinition/evaluate, POST /fhir/Questionnaire/$next-question,
// POST /fhir/QuestionnaireResponse/$evaluate, GET /cds-services, POST /cds-services/{id},
// POST /cds-services/{id}/feedback. FHIR errors are OperationOutcomes (400 with the FHIRPath of each
// bad item, 404, 405, 415); CDS Hooks errors are `{"error": …}` (400, 401, 404, 412; 502, 503, 504
// when the hook's fhirServer was called and failed). `client` is
// the transport's identity of the caller (cert:…, id:…, peer:…), if any, for the audit log.
HttpResult handle_fhir(std::string_view method, std::string_view target, const Headers& headers, std::string_view body,
                       FhirService& service, std::string_view client = {});

// The same without blocking: `reply` runs exactly once, at once or from the thread that finishes
// the decision (when `decide` completes later). `service` must outlive the reply. `handle_fhir`
// above waits for it instead.
void handle_fhir_async(std::string_view method, std::string_view target, const Headers& headers,
                       std::string_view body, FhirService& service, std::function<void(HttpResult)> reply,
                       std::string_view client = {});

// Decides without an audit log (tests, and tools that only print): validation, evaluation and the
// Decision message exactly as `triage eval` makes them.
Decided decide_locally(const CompiledRuleset& ruleset, const v1::EvaluateRequest& request);

}  // namespace triage::fhir
