#pragma once
// HTTP/1.1 + JSON beside the gRPC port (Boost.Beast; no Beast or Asio header leaves src/http/).
// Same process, same ruleset, same audit log and group commit: /v1/evaluate goes through the same
// Decider as gRPC's Evaluate, so no decision leaves unlogged. Routes and error bodies: routes.hpp.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "audit/audit_log.hpp"
#include "serve/decide.hpp"
#include "serve/event_log.hpp"

namespace triage {

struct HttpOptions {
  std::string listen;         // host:port, for example 127.0.0.1:8080 (port 0: any free port)
  std::string tls_cert;       // PEM chain; TLS when set (with tls_key)
  std::string tls_key;
  std::string tls_client_ca;  // when set, clients must present a certificate it signed (mutual TLS)
  std::string cors_origin;    // origins allowed cross-origin calls, comma-separated ("*": any); empty: none
  std::string kiosk_dir;      // files served under /kiosk/; empty or missing: no kiosk
  std::size_t max_body_bytes = 64 * 1024;   // larger: 413
  std::size_t max_header_bytes = 8 * 1024;  // larger: 431
  int idle_timeout_ms = 30000;  // a connection waiting for its next request is closed after this
  int read_timeout_ms = 10000;  // a request must arrive whole within this once it starts (else 408)
  // At the cap a new connection first closes the oldest idle keep-alive connection; with none
  // idle it gets 503 and is closed.
  int max_connections = 256;
  // Connections one client address may hold (so one client cannot take the whole cap); further
  // ones get 503. Behind a proxy every client has the proxy's address: raise it to max_connections.
  int max_connections_per_client = 64;
  int threads = 2;              // I/O threads
  // FHIR R4 (/fhir/) and CDS Hooks (/cds-services): see fhir_service.hpp.
  std::string fhir_base_url;    // public base URL (JWT audience); empty: http(s)://<listen host>:<port>
  std::string fhir_canonical_base;  // canonical URLs' base; empty: the placeholder in fhir/common.hpp
  std::string cds_jwks;         // trusted CDS clients' keys; empty: CDS Hooks calls but discovery get 401
  // FHIR servers a hook's fhirServer may name (URL prefixes); empty: none is ever called.
  std::vector<std::string> cds_fhir_servers;
  int cds_fhir_timeout_ms = 5000;  // deadline of one fhirServer GET
  std::string cds_fhir_ca;         // PEM CAs trusted for https fhirServers besides the system's
  int cds_jwt_leeway_seconds = 60; // clock skew allowed on a CDS client's token (exp, iat, nbf)
  // Observability: requests are counted in `metrics` (when not null) and each gets one
  // `http_request` line in the event log; GET /metrics answers `exposition()` (when set).
  ServiceMetrics* metrics = nullptr;
  std::function<std::string()> exposition;
  // A listener for scrapers only (--metrics-listen): GET /metrics, everything else 404; no kiosk,
  // FHIR or decisions. Plaintext, like --health-listen.
  bool metrics_only = false;
  // What GET /healthz reports beside "status": the build (version, commit, ...).
  std::vector<std::pair<std::string, std::string>> build;
};

// Thread-safety: drain() and stop() are called by the owner, from one thread.
class HttpServer {
 public:
  // Binds and starts the I/O threads. `ready` says whether gRPC health is SERVING (/readyz);
  // `audit` (the Decider's log) takes CDS Hooks feedback. Null with `error` when the address cannot
  // be bound or the TLS or --cds-jwks files cannot be read.
  static std::unique_ptr<HttpServer> start(const HttpOptions& options, Decider& decider, AuditLog& audit,
                                           std::function<bool()> ready, std::shared_ptr<EventLog> log,
                                           std::string& error);
  // Joins every thread it started (stop()).
  ~HttpServer();

  // The port actually bound.
  int port() const;
  // Stops accepting, closes idle connections and waits until every request in flight has been
  // answered (and its connection closed) or `seconds` have passed.
  void drain(int seconds);
  // Closes every connection and joins the I/O threads. Call after the audit log is closed, so no
  // completion is still on its way. Safe to call twice.
  void stop();

  struct State;

 private:
  explicit HttpServer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace triage
