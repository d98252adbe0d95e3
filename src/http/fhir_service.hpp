#pragma once
// The FHIR R4 and CDS Hooks layer (src/fhir/) bound to the server: its decisions go through the
// shared Decider (so each one is in the audit log before its reply), its feedback into the audit
// log's feedback table, and its bearer tokens are checked against the `--cds-jwks` issuers.
#include <memory>
#include <string>
#include <vector>

#include "audit/audit_log.hpp"
#include "fhir/routes.hpp"
#include "http/fhir_client.hpp"
#include "serve/decide.hpp"

namespace triage::http_api {

struct FhirOptions {
  // Public base URL without a trailing slash ("https://triage.example:8443"): the JWT audience is
  // base_url + "/cds-services/<id>". Required (the listener fills in its own address by default).
  std::string base_url;
  // The trusted CDS clients' keys (cds::read_trusted_issuers format). Empty: no client is trusted,
  // so every CDS Hooks call but discovery answers 401.
  std::string cds_jwks_file;
  std::string canonical_base;  // FhirNames::canonical; empty: keep the placeholder
  int cds_jwt_leeway_seconds = 60;  // clock skew allowed on exp, iat and nbf
  // URL prefixes of the FHIR servers a hook's `fhirServer` may name (--cds-fhir-servers); with
  // `fhir_client`, a hook without its prefetch is answered from its fhirServer when allowed.
  // Empty or no client: no fhirServer is called (412 as without one).
  std::vector<std::string> fhir_servers;
  std::shared_ptr<FhirClient> fhir_client;  // owned (and stopped) by the listener
};

// A FhirService over `decider` and `audit` (both must outlive it). Null with `error` when the
// JWKS file cannot be read or holds a bad key.
std::shared_ptr<fhir::FhirService> make_fhir_service(Decider& decider, AuditLog& audit, const FhirOptions& options,
                                                     std::string& error);

}  // namespace triage::http_api
