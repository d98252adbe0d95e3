#include "serve/server.hpp"

#include <absl/synchronization/mutex.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <thread>

#include "diag/render.hpp"
#include "http/http_server.hpp"
#include "ruleset/open.hpp"
#include "serve/admin.hpp"
#include "serve/build_info.hpp"
#include "serve/health.hpp"
#include "metrics/registry.hpp"
#include "serve/reloader.hpp"
#include "serve/server_metrics.hpp"
#include "serve/service_metrics.hpp"
#include "serve/tls_files.hpp"
#include "serve/triage_service.hpp"
#include "sign/signature.hpp"
#include "util/files.hpp"
#include "central/pg.hpp"
#include "central/ship.hpp"

#include <unistd.h>

namespace triage {

struct TriageServer::State {
  // Declared in the order they depend on each other: destroyed in reverse, the server first.
  ServeConfig config;
  std::shared_ptr<EventLog> log;
  // Before everything that counts into them, so they outlive every counter's user.
  std::unique_ptr<metrics::Registry> registry;
  std::unique_ptr<ServiceMetrics> metrics;
  std::unique_ptr<AuditLog> audit;
  std::unique_ptr<ServingHealth> health;
  std::unique_ptr<Decider> decider;  // the decision path both transports share
  std::unique_ptr<Reloader> reloader;
  std::unique_ptr<TriageService> service;
  std::unique_ptr<central::BackgroundShipper> shipper;  // after `audit`: stopped before it closes
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<grpc::Server> health_server;  // null unless --health-listen: the health service only
  std::unique_ptr<HttpServer> http;  // null unless --http-listen
  std::unique_ptr<HttpServer> metrics_http;  // null unless --metrics-listen: GET /metrics only
  int port = 0;
  int health_port = 0;
};

namespace {

std::shared_ptr<grpc::ServerCredentials> credentials(const ServeConfig& config, std::string& error) {
  if (config.tls_cert.empty()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  if (!read_text_file(config.tls_key, pair.private_key) || !read_text_file(config.tls_cert, pair.cert_chain)) {
    error = "cannot read the TLS certificate " + config.tls_cert + " or key " + config.tls_key;
    return nullptr;
  }
  // Checked here, so a wrong file is named as such rather than surfacing as a failed listen.
  if (std::string problem = tls_pair_problem(pair.cert_chain, pair.private_key); !problem.empty()) {
    error = "TLS: " + problem + " (--tls-cert " + config.tls_cert + ", --tls-key " + config.tls_key + ")";
    return nullptr;
  }
  options.pem_key_cert_pairs.push_back(pair);
  if (!config.tls_client_ca.empty()) {
    if (!read_text_file(config.tls_client_ca, options.pem_root_certs)) {
      error = "cannot read the client CA " + config.tls_client_ca;
      return nullptr;
    }
    if (!certificate_subject(options.pem_root_certs)) {
      error = "TLS: the client CA " + config.tls_client_ca + " is not a PEM certificate";
      return nullptr;
    }
    options.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

// What --trusted-keys and --require-approved ask of every ruleset, at start and on reload.
ApprovalPolicy approval_policy(const ServeConfig& config) {
  ApprovalPolicy policy;
  policy.trusted_keys = config.trusted_keys;
  policy.require_approved = config.require_approved;
  return policy;
}

}  // namespace

bool TriageServer::request_reload(const std::string& trigger) { return state_->reloader->post(trigger); }

TriageServer::TriageServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

TriageServer::~TriageServer() { shutdown(); }

int TriageServer::port() const { return state_->port; }

int TriageServer::health_port() const { return state_->health_port; }

std::unique_ptr<TriageServer> TriageServer::start(const ServeConfig& config, std::shared_ptr<EventLog> log,
                                                  std::string& error) {
  auto state = std::make_unique<State>();
  state->config = config;
  state->log = log;
  OpenedRuleset opened;
  if (!open_ruleset(config.rules, opened, error, nullptr, approval_policy(config))) {
    error = "the rules in " + config.rules + " cannot be read: " + error;
    return nullptr;
  }
  if (!opened.ruleset) {
    error = "the rules in " + config.rules + " do not load:\n" + render_all(opened.diagnostics, *opened.sources);
    return nullptr;
  }
  if (!opened.servable()) {
    Diagnostics refusals = opened.refusals();
    bool unapproved_only = refusals.size() == opened.approval.refusals.size();
    error = "the rules in " + config.rules +
            (unapproved_only ? " are not approved to serve (--require-approved; see `triage check --release`):\n"
                             : " fail the safety analysis (see `triage check`):\n") +
            render_all(refusals, *opened.sources);
    return nullptr;
  }
  std::filesystem::path db_path(config.audit_db);
  if (db_path.has_parent_path()) {
    std::error_code ignored;
    std::filesystem::create_directories(db_path.parent_path(), ignored);
  }
  state->audit = AuditLog::open(config.audit_db, error, config.audit_busy_timeout_ms, config.audit_init);
  if (!state->audit) return nullptr;
  state->registry = std::make_unique<metrics::Registry>();
  state->metrics = std::make_unique<ServiceMetrics>(*state->registry);
  state->audit->set_metrics(state->metrics->audit_metrics());
  std::string replica_id = config.replica_id;
  if (replica_id.empty()) {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) == 0) replica_id = host;
  }
  state->audit->set_replica_id(replica_id);
  // A damaged log is never written: the server runs NOT_SERVING and refuses every decision
  // (UNAVAILABLE), so operators see why in the health status and the log, not a crash loop.
  const bool audit_sound = state->audit->fault().empty();
  if (!audit_sound) log->error("audit_log_refused", {{"audit_db", config.audit_db}, {"error", state->audit->fault()}});
  if (!config.audit_signing_key.empty()) {
    // Signed checkpoints of the chain head; the key is tried now, so a wrong file stops the start.
    std::string key_file = config.audit_signing_key;
    auto sign = [key_file, log](const std::string& statement, std::string& key_id, std::string& signature,
                                std::string& why) {
      Signature made;
      if (!sign_bytes(statement, key_file, made, why)) {
        // The records still commit; the next batch tries again. Operators see it here.
        log->error("audit_checkpoint_failed", {{"error", why}});
        return false;
      }
      key_id = made.key_id;
      signature = made.signature;
      return true;
    };
    std::string key_id, signature;
    if (!sign("triage audit checkpoint key check\n", key_id, signature, error)) {
      error = "--audit-signing-key: " + error;
      return nullptr;
    }
    state->audit->set_checkpoints({sign, config.audit_checkpoint_records,
                                   std::chrono::seconds(config.audit_checkpoint_seconds)});
    log->info("audit_checkpoints", {{"key_id", key_id},
                                    {"every_records", std::to_string(config.audit_checkpoint_records), true},
                                    {"every_seconds", std::to_string(config.audit_checkpoint_seconds), true}});
  }
  // After the signing policy is set, so a newly stored ruleset is followed by a signed checkpoint.
  if (audit_sound && !store_opened(*state->audit, opened, error)) return nullptr;

  auto creds = credentials(config, error);
  if (!creds) return nullptr;
  state->health = std::make_unique<ServingHealth>(log);
  ServingHealth* health = state->health.get();
  state->audit->set_recovery_listener([health] { health->audit_result(true); });
  state->decider = std::make_unique<Decider>(make_served(opened, config.rules), *state->audit, log,
                                             [health](bool ok) { health->audit_result(ok); });
  state->decider->set_metrics(state->metrics.get());
  state->reloader =
      std::make_unique<Reloader>(config.rules, config.watch_interval_ms, *state->decider, *state->audit, log,
                                 approval_policy(config));
  state->service = std::make_unique<TriageService>(*state->decider, log, *state->reloader,
                                                   AdminPolicy{!config.tls_cert.empty(), config.admin_subjects});

  if (!config.ship_to.empty()) {
    central::ShipOptions ship;
    ship.replica_id = replica_id;
    // The shipper reads the log through its own connection; the request path never waits for it.
    state->shipper = std::make_unique<central::BackgroundShipper>(
        config.audit_db, config.ship_to, ship, config.ship_interval_ms,
        [log](const central::ShipReport& report, bool changed) {
          if (!report.ok) {
            if (changed) log->warn("shipping_failed", {{"problem", report.problem}});
          } else if (changed) {
            log->info("shipping_recovered", {{"central_seq", std::to_string(report.central_seq), true}});
          }
          if (report.shipped > 0 || !report.ok) {
            log->info("shipping", {{"shipped", std::to_string(report.shipped), true},
                                   {"central_seq", std::to_string(report.central_seq), true},
                                   {"lag_records", std::to_string(std::max<std::int64_t>(
                                                       0, report.local_seq - report.central_seq)), true},
                                   {"ok", report.ok ? "true" : "false", true}});
          }
        });
  }
  // GetRuleset and GET /v1/ruleset name the build; with a shipper, they and /readyz report the lag
  // (the shipper outlives every call).
  state->decider->set_status([shipper = state->shipper.get()](v1::RulesetInfo& info) {
    v1::BuildInfo* build = info.mutable_build();
    build->set_version(build_info().version);
    build->set_commit(build_info().commit);
    build->set_build_type(build_info().build_type);
    build->set_compiler(build_info().compiler);
    for (const auto& [name, version] : build_info().libraries) (*build->mutable_libraries())[name] = version;
    if (shipper) {
      v1::ShippingStatus* shipping = info.mutable_shipping();
      shipping->set_replica_id(shipper->replica_id());
      shipping->set_lag_records(static_cast<std::uint64_t>(shipper->lag_records()));
      shipping->set_central_seq(static_cast<std::uint64_t>(std::max<std::int64_t>(0, shipper->central_seq())));
      shipping->set_ok(shipper->last_round_ok());
      shipping->set_seconds_since_success(shipper->seconds_since_success());
    }
  });

  add_server_metrics(*state->registry, *state->audit, *state->health, *state->decider, state->shipper.get());
  metrics::Registry* registry = state->registry.get();
  auto exposition = [registry] { return registry->exposition(); };

  // Debian builds abseil without NDEBUG, so every mutex gRPC takes would feed abseil's deadlock
  // graph (about 2 % of the server's CPU under load). The project's own locks are std::mutex.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config.listen, creds, &state->port);
  builder.RegisterService(state->service.get());
  builder.SetMaxReceiveMessageSize(static_cast<int>(config.max_request_bytes));
  // Idle and half-open connections must not pile up (gRPC 1.51 has no per-client connection cap;
  // docs/security.md says what a proxy in front adds).
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, config.grpc_idle_timeout_ms);
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, config.grpc_handshake_timeout_ms);
  state->server = builder.BuildAndStart();
  if (!state->server || state->port == 0) {
    error = "cannot listen on " + config.listen + " (address in use or malformed?)";
    return nullptr;
  }
  if (!config.health_listen.empty()) {
    // Plaintext by design: it answers grpc.health.v1.Health only (and reflection's list of names).
    grpc::ServerBuilder health_builder;
    health_builder.AddListeningPort(config.health_listen, grpc::InsecureServerCredentials(), &state->health_port);
    state->health_server = health_builder.BuildAndStart();
    if (!state->health_server || state->health_port == 0) {
      error = "cannot listen on " + config.health_listen + " for health checks (address in use or malformed?)";
      state->server->Shutdown(std::chrono::system_clock::now());
      state->audit->close();
      return nullptr;
    }
  }
  state->health->start(*state->server, state->health_server.get(), audit_sound);
  if (!config.http_listen.empty()) {
    HttpOptions http;
    http.listen = config.http_listen;
    http.tls_cert = config.tls_cert;
    http.tls_key = config.tls_key;
    http.tls_client_ca = config.tls_client_ca;
    http.cors_origin = config.http_cors_origin;
    http.kiosk_dir = config.kiosk_dir;
    http.max_body_bytes = config.max_request_bytes;
    http.max_header_bytes = config.http_max_header_bytes;
    http.idle_timeout_ms = config.http_idle_timeout_ms;
    http.read_timeout_ms = config.http_read_timeout_ms;
    http.max_connections = config.http_max_connections;
    http.max_connections_per_client = config.http_max_connections_per_client;
    http.fhir_base_url = config.fhir_base_url;
    http.fhir_canonical_base = config.fhir_canonical_base;
    http.cds_jwks = config.cds_jwks;
    http.cds_fhir_servers = config.cds_fhir_servers;
    http.cds_fhir_timeout_ms = config.cds_fhir_timeout_ms;
    http.cds_fhir_ca = config.cds_fhir_ca;
    http.cds_jwt_leeway_seconds = config.cds_jwt_leeway_seconds;
    http.metrics = state->metrics.get();
    http.build = {{"version", build_info().version}, {"commit", build_info().commit}};
    if (config.metrics_listen.empty()) http.exposition = exposition;  // else only on the metrics port
    auto ready = [health] { return health->serving(); };
    state->http = HttpServer::start(http, *state->decider, *state->audit, ready, log, error);
    if (!state->http) {
      state->server->Shutdown(std::chrono::system_clock::now());
      state->audit->close();
      return nullptr;
    }
    log->info("http_serving", {{"listen", config.http_listen},
                               {"port", std::to_string(state->http->port()), true},
                               {"kiosk", std::string(config.tls_cert.empty() ? "http" : "https") + "://" +
                                             config.http_listen.substr(0, config.http_listen.rfind(':')) + ":" +
                                             std::to_string(state->http->port()) + "/kiosk/"}});
  }
  if (!config.metrics_listen.empty()) {
    HttpOptions scrape;
    scrape.listen = config.metrics_listen;
    scrape.metrics_only = true;
    scrape.exposition = exposition;
    scrape.threads = 1;
    state->metrics_http = HttpServer::start(scrape, *state->decider, *state->audit, [] { return true; }, log, error);
    if (!state->metrics_http) {
      error = "--metrics-listen: " + error;
      state->server->Shutdown(std::chrono::system_clock::now());
      state->audit->close();
      return nullptr;
    }
    log->info("metrics_serving", {{"listen", config.metrics_listen},
                                  {"port", std::to_string(state->metrics_http->port()), true}});
  }
  state->reloader->start();
  log->info(audit_sound ? "serving" : "not_serving", {{"listen", config.listen},
                        {"http", config.http_listen.empty() ? "off" : config.http_listen},
                        {"port", std::to_string(state->port), true},
                        {"ruleset_hash", opened.ruleset->model->hash},
                        {"rules", config.rules},
                        {"audit_db", config.audit_db},
                        {"replica_id", replica_id},
                        {"ship_to", config.ship_to.empty() ? "off" : pg::redact(config.ship_to)},
                        {"health_port", state->health_server ? std::to_string(state->health_port) : "off"},
                        {"tls", config.tls_cert.empty() ? "off" : config.tls_client_ca.empty() ? "on" : "mutual"}});
  // Serving rules no clinical safety officer has released is allowed (trials, demos) but never silent.
  if (const auto& header = opened.ruleset->model->header; !config.require_approved && header.status != "production") {
    log->warn("ruleset_not_released", {{"status", header.status.empty() ? "none" : header.status},
                                       {"approved_by", header.approved_by.empty() ? "nobody" : header.approved_by},
                                       {"hint", "production deployments use --trusted-keys DIR --require-approved"}});
  }
  // Risky settings are allowed (a local demo) but never silent.
  if (config.tls_cert.empty()) {
    log->warn("risky_config", {{"setting", "no TLS"},
                               {"effect", "traffic is plaintext and ReloadRules is open to every client"}});
  }
  if (!config.http_listen.empty() && config.fhir_canonical_base.empty()) {
    log->warn("risky_config", {{"setting", "no --fhir-canonical-base"},
                               {"effect", "FHIR canonical URLs and card source URLs use the placeholder "
                                          "https://triage.example/fhir"}});
  }
  if (config.http_cors_origin == "*") {
    log->warn("risky_config", {{"setting", "--http-cors-origin *"}, {"effect", "any web page may call the API"}});
  }
  if (config.audit_signing_key.empty()) {
    log->warn("risky_config", {{"setting", "no --audit-signing-key"},
                               {"effect", "the audit log has no signed checkpoints: a rewritten history is "
                                          "detectable only against a chain head kept elsewhere"}});
  }
  log->flush();  // operators watch for this line
  return std::unique_ptr<TriageServer>(new TriageServer(std::move(state)));
}

void TriageServer::shutdown() {
  if (!state_->health->stop()) return;
  // No reload after this point: the one under way finishes, queued ones are answered UNAVAILABLE.
  state_->reloader->stop();
  state_->log->info("draining", {{"seconds", std::to_string(state_->config.drain_seconds), true}});
  // Both transports drain at once: HTTP on its own thread while gRPC shuts down here.
  std::thread http_drain;
  if (state_->http) http_drain = std::thread([this] { state_->http->drain(state_->config.drain_seconds); });
  // Wait for our calls in flight, not for gRPC: its Shutdown(deadline) also waits for idle client
  // connections to go away, so one open channel held every stop for the whole drain time.
  state_->service->begin_drain();
  state_->service->wait_idle(std::chrono::steady_clock::now() + std::chrono::seconds(state_->config.drain_seconds));
  state_->server->Shutdown(std::chrono::system_clock::now());
  state_->server->Wait();
  if (http_drain.joinable()) http_drain.join();
  // NOT_SERVING was reported there through the drain; now it goes too.
  if (state_->health_server) state_->health_server->Shutdown(std::chrono::system_clock::now());
  if (state_->shipper) state_->shipper->stop();
  state_->audit->close();
  if (state_->http) state_->http->stop();  // after the audit log: no completion is still on its way
  if (state_->metrics_http) state_->metrics_http->stop();
  state_->log->info("stopped", {});
  state_->log->flush();
}

int run_server(const ServeConfig& config) {
  // Block the stop signals in every thread gRPC starts; one thread below waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // A file-size limit must fail the audit write (EFBIG: an I/O error -> UNAVAILABLE), not kill the process.
  std::signal(SIGXFSZ, SIG_IGN);
  // A closed log pipe must not kill the server; the log sink drops what it cannot write.
  std::signal(SIGPIPE, SIG_IGN);

  auto log = std::make_shared<EventLog>(make_stderr_logger(config.log_format == "json"), config.log_format == "json");
  std::string error;
  auto server = TriageServer::start(config, log, error);
  if (!server) {
    log->error("start_failed", {{"error", error}});
    return 1;
  }
  int signal = 0;
  for (;;) {
    sigwait(&stop_signals, &signal);
    if (signal != SIGHUP) break;
    log->info("signal", {{"signal", "SIGHUP"}});
    // The reloader runs it beside this loop, so SIGTERM still stops us.
    if (!server->request_reload("signal")) log->warn("reload_skipped", {{"reason", "a reload is already running"}});
  }
  log->info("signal", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
  server->shutdown();
  return 0;
}

}  // namespace triage
