#pragma once
// How `triage serve` is configured: command-line flags win over environment variables, which win
// over a config file (`--config FILE` or TRIAGE_CONFIG; `key = value` lines, `#` comments), which
// win over the defaults.
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace triage {

struct ServeConfig {
  std::string rules = "rules";
  std::string listen = "127.0.0.1:50051";
  std::string audit_db = "var/audit.db";
  std::string tls_cert;       // PEM server certificate chain; TLS is on when set (with tls_key)
  std::string tls_key;        // PEM private key
  std::string tls_client_ca;  // PEM CA for client certificates; when set, clients must present one (mTLS)
  std::string log_format = "text";  // text | json
  std::size_t max_request_bytes = 64 * 1024;
  int drain_seconds = 10;     // how long SIGTERM waits for calls in flight
  int audit_busy_timeout_ms = 5000;  // how long an audit write waits for a lock held elsewhere
  // Client certificate subjects (as in the audit log, without "cert:") or common names allowed to
  // call ReloadRules when TLS is on. Comma-separated in flags, environment and files.
  std::vector<std::string> admin_subjects;
  int watch_interval_ms = 1000;  // how often the rules folder is checked for changes; 0: never
  // HTTP/JSON beside gRPC (src/http/): off unless http_listen is set. Same TLS files as gRPC.
  std::string http_listen;
  std::string http_cors_origin;          // origins allowed cross-origin calls, comma-separated; empty: no CORS
  std::string kiosk_dir = "web/kiosk";   // served at /kiosk/; read once at start
  int http_max_connections = 256;
  int http_max_connections_per_client = 64;  // per client IP address; behind a proxy raise it
  // gRPC: a connection without calls is closed (GOAWAY, clients reconnect) after the idle timeout;
  // one that has not finished its TLS and HTTP/2 handshake is closed after the handshake timeout.
  int grpc_idle_timeout_ms = 300000;
  int grpc_handshake_timeout_ms = 10000;
  int http_idle_timeout_ms = 30000;      // a keep-alive connection with no request is closed
  int http_read_timeout_ms = 10000;      // a request (headers and body) must arrive within this
  std::size_t http_max_header_bytes = 8 * 1024;
  // A new audit log may be started in an existing file that is empty (0 bytes, or SQLite without
  // tables); without it such a file is refused, since it usually means a lost or replaced log.
  bool audit_init = false;
  std::string replica_id;  // recorded in every audit record; empty: the host name
  std::string ship_to;     // PostgreSQL URL the audit log is shipped to in the background; empty: off
  int ship_interval_ms = 1000;  // how often the shipper looks for new records
  // A second gRPC listener, always plaintext, serving only the standard health service (for
  // kubelet's gRPC probes, which cannot speak TLS); empty: off.
  std::string health_listen;
  // A plaintext HTTP listener serving only GET /metrics (Prometheus text format); empty: off, and
  // /metrics is served on the --http-listen port instead. When set, the HTTP port answers /metrics 404.
  std::string metrics_listen;
  // Governance: with require_approved, a ruleset serves (at start and on reload) only when
  // RULES/ruleset.sig is a valid signature by a public key (*.pem) in trusted_keys, its status is
  // production, today is inside its effective period and its review is not overdue.
  std::string trusted_keys;
  bool require_approved = false;
  // Signed checkpoints (audit verify --trusted-keys): the Ed25519 private key (PEM) kept outside
  // the log; empty: none are written. One every `audit_checkpoint_records` records, or once records
  // have waited `audit_checkpoint_seconds`, and at shutdown.
  std::string audit_signing_key;
  int audit_checkpoint_records = 100;
  int audit_checkpoint_seconds = 5;
  // FHIR R4 and CDS Hooks on the HTTP listener (src/fhir/, under /fhir/ and /cds-services).
  std::string cds_jwks;       // JSON file of trusted CDS clients and their keys; empty: hooks answer 401
  std::string fhir_base_url;  // public base URL (JWT audience); empty: http(s)://<http-listen>
  // Base of the canonical URLs (Questionnaire.url, code systems, card source.url), no trailing
  // slash; empty: the placeholder https://triage.example/fhir (set it for production).
  std::string fhir_canonical_base;
  // URL prefixes (http:// or https://) of the FHIR servers a hook's fhirServer may name, called
  // when a hook comes without its prefetch; empty: none is ever called (SSRF: the operator decides).
  std::vector<std::string> cds_fhir_servers;
  std::string cds_fhir_ca;  // PEM CAs trusted for https fhirServers besides the system's (a private CA)
  int cds_jwt_leeway_seconds = 60;  // clock skew allowed on a CDS client's exp, iat and nbf
  int cds_fhir_timeout_ms = 5000;  // deadline of one fhirServer call (resolve to whole answer)
};

// The option names, as flags (`--audit-db`), environment variables (TRIAGE_AUDIT_DB) and config
// file keys (`audit_db`).
const std::vector<std::string>& serve_option_names();

// Builds the configuration from flags (name without "--", value; `config` names the config file),
// environment and config file. False with `error` when an option is unknown or a value is malformed.
bool load_serve_config(const std::vector<std::pair<std::string, std::string>>& flags, ServeConfig& config,
                       std::string& error);

}  // namespace triage
