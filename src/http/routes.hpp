#pragma once
// The HTTP API, apart from the transport: what each route answers. Transport-free, so the
// session code in http_server.cpp only reads requests and writes replies.
//
//   POST /v1/evaluate                             intake JSON (+ request_id) -> what `triage eval` prints
//   POST /v1/evaluate-batch                       {"request_id": ..., "intakes": [intake, ...]} ->
//        {"results": [{"decision": {...}} or {"error": {...}}, ...]} (an EvaluateBatchResponse)
//   GET  /v1/questionnaire, GET /v1/ruleset       protobuf JSON of Questionnaire / RulesetInfo
//   POST /triage.v1.TriageService/{Evaluate,EvaluateBatch,GetQuestionnaire,GetRuleset}   Connect unary JSON
//   GET  /healthz (alive, with the build's version and commit), /readyz (gRPC health: 200 SERVING, 503 NOT_SERVING; with the shipping lag
//        as "shipping", a ShippingStatus, when the server ships its audit log)
//   GET  /metrics                                 Prometheus text exposition, when the server has metrics
//   GET  /kiosk/...                               the reference kiosk's files
//   /fhir/..., /cds-services...                   FHIR R4 and CDS Hooks (src/fhir/routes.hpp), when served
// Errors always carry {"code": ..., "message": ..., "details": [...]} (Connect's error codes).
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fhir/routes.hpp"
#include "serve/decide.hpp"

namespace triage::http_api {

struct Request {
  std::string method;
  std::string target;  // path and query
  std::string content_type;
  std::string client;           // identity for the audit log (cert:…, id:…, peer:…)
  std::string connect_timeout;  // Connect-Timeout-Ms header, empty when absent
  std::string body;
  std::string authorization;  // Authorization header (CDS Hooks bearer JWT), empty when absent
  std::string trace_id;       // the request's W3C trace id (given to the decisions it makes)
  std::string content_encoding;  // Content-Encoding header, empty when absent
  // The transport renders a decision's JSON itself (Reply::render) on its own thread, rather than
  // taking it ready-made from the audit log's completion thread (which finishes every call in turn).
  bool render_later = false;
};

struct Reply {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // For an error_reply, what its body says, so a protocol (Connect) can write it its own way.
  std::string error_code;
  std::string error_message;
  std::vector<IntakeError> error_details;
  // Set instead of `body` for a decision's 200 reply when the request asked for render_later:
  // the transport calls it once, before writing, to make the body.
  std::function<std::string()> render;
};

// An error reply: `code` is a Connect code ("invalid_argument"); `details` are the refused answers,
// each as {"fact": ..., "message": ...}.
Reply error_reply(unsigned status, const std::string& code, const std::string& message,
                  const std::vector<IntakeError>& details = {});

// One kiosk file held in memory.
struct StaticFile {
  std::string content_type;
  std::string body;
};

// Reads every regular file of `folder` (not recursive). Empty when the folder is missing.
std::map<std::string, StaticFile> load_static_files(const std::string& folder);

class Router {
 public:
  // `fhir`: the FHIR R4 and CDS Hooks routes (fhir_service.hpp); null: those paths are 404.
  // `metrics`: the Prometheus exposition answered at GET /metrics (thread-safe); empty: 404.
  // `build`: name/value pairs GET /healthz adds beside "status" (version, commit, ...).
  Router(Decider& decider, std::function<bool()> ready, std::map<std::string, StaticFile> kiosk,
         std::shared_ptr<fhir::FhirService> fhir = nullptr, std::function<std::string()> metrics = {},
         std::vector<std::pair<std::string, std::string>> build = {});

  // Answers `request`, at once or (for evaluations) from the audit log's completion thread after
  // the commit. `decision` is the storage for the Decision and must live until `reply` has run;
  // `reply` runs exactly once.
  void handle(const Request& request, v1::Decision& decision, std::function<void(Reply)> reply) const;

 private:
  // `binary`: the reply is the protobuf message (application/proto), else its JSON.
  // `later`: a 200 reply carries Reply::render instead of its body (Request::render_later).
  void evaluate(DecideCall call, v1::Decision& decision, std::function<void(Reply)> reply, bool binary = false,
                bool later = false) const;
  void evaluate_batch(DecideBatchCall call, std::function<void(Reply)> reply, bool binary = false,
                      bool later = false) const;
  void serve_fhir(const Request& request, std::function<void(Reply)> reply) const;
  Decider& decider_;
  std::function<bool()> ready_;
  std::map<std::string, StaticFile> kiosk_;
  std::shared_ptr<fhir::FhirService> fhir_;
  std::function<std::string()> metrics_;
  std::vector<std::pair<std::string, std::string>> build_;
};

// GET /metrics on its own: the reply for `method` with the exposition `metrics` gives (405 for
// any method but GET).
Reply metrics_reply(const std::string& method, const std::function<std::string()>& metrics);

// True when `origin` may call cross-origin: `cors_origins` is a comma-separated list of exact
// origins (scheme://host[:port]), or "*" for any origin.
bool cors_allowed(const std::string& origin, const std::string& cors_origins);

// The headers every reply carries: a strict Content-Security-Policy, no sniffing, no caching, no
// referrer; Access-Control-Allow-Origin (that origin) only when cors_allowed(origin, cors_origins).
void add_common_headers(Reply& reply, const std::string& origin, const std::string& cors_origins);

}  // namespace triage::http_api
