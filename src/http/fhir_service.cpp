#include "http/fhir_service.hpp"

#include "api/answers_proto.hpp"
#include "fhir/audit_feedback.hpp"
#include "util/files.hpp"

namespace triage::http_api {

std::shared_ptr<fhir::FhirService> make_fhir_service(Decider& decider, AuditLog& audit, const FhirOptions& options,
                                                     std::string& error) {
  auto service = std::make_shared<fhir::FhirService>();
  service->base_url = options.base_url;
  if (!options.canonical_base.empty()) service->names.canonical = options.canonical_base;
  if (!options.cds_jwks_file.empty()) {
    std::string text;
    if (!read_text_file(options.cds_jwks_file, text)) {
      error = "cannot read --cds-jwks " + options.cds_jwks_file;
      return nullptr;
    }
    cds::TrustedIssuers issuers;
    if (!cds::read_trusted_issuers(text, issuers, error)) {
      error = "--cds-jwks " + options.cds_jwks_file + ": " + error;
      return nullptr;
    }
    service->verifier = std::make_shared<cds::JwtVerifier>(std::move(issuers), 300, options.cds_jwt_leeway_seconds);
    // Tokens seen are kept in the audit log for their lifetime: a replay after a restart is refused.
    service->verifier->set_replay_store([&audit](const std::string& key, std::int64_t expires_at, std::int64_t now) {
      return audit.remember_token(key, expires_at, now);
    });
  }
  service->ruleset = [&decider] { return decider.served()->ruleset; };
  const auto& loaded = decider.served()->info.loaded_at();
  if (loaded.seconds() > 0) service->loaded_at = fhir::fhir_time(loaded.seconds(), loaded.nanos());
  // The same path as /v1/evaluate and gRPC: validated, decided with the served ruleset, logged,
  // and reported only after the commit (from the audit log's completion thread).
  service->decide = [&decider](const CompiledRuleset&, const v1::EvaluateRequest& request, const std::string& client,
                               std::function<void(fhir::Decided)> done) {
    DecideCall call;
    call.request_id = request.request_id();
    call.raw = raw_answers(request, call.errors);
    call.client = client;
    auto decision = std::make_shared<v1::Decision>();
    decider.decide(std::move(call), *decision, [decision, done = std::move(done)](const DecideStatus& status) {
      fhir::Decided out;
      switch (status.code) {
        case DecideCode::ok:
          out.ok = true;
          out.status = 200;
          out.decision = std::move(*decision);
          break;
        case DecideCode::invalid_argument: out.status = 400; break;
        case DecideCode::deadline_exceeded: out.status = 504; break;
        case DecideCode::unavailable: out.status = 503; break;
      }
      out.error = status.message;
      done(std::move(out));
    });
  };
  service->record_feedback = fhir::feedback_to_audit_log(audit);
  service->fhir_servers = options.fhir_servers;
  if (options.fhir_client && !options.fhir_servers.empty()) {
    // Failures are logged with the URL up to its query (which names the patient), never the token.
    service->fetch = [client = options.fhir_client, log = decider.log()](
                         const std::string& url, const std::string& token, std::function<void(fhir::Fetched)> done) {
      client->get(url, token, [log, where = url.substr(0, url.find('?')), done = std::move(done)](FetchResult result) {
        if (!result.ok) {
          log->warn("cds_fhir_fetch_failed",
                    {{"url", where}, {"status", std::to_string(result.status), true}, {"error", result.error}});
        }
        done({result.ok, result.status, std::move(result.error), std::move(result.body)});
      });
    };
  }
  return service;
}

}  // namespace triage::http_api
