#include "serve/server.hpp"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <future>
#include <thread>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "analyze/analyze.hpp"
#include "api/decision_proto.hpp"
#include "diag/render.hpp"
#include "http/http_server.hpp"
#include "ruleset/loader.hpp"
#include "serve/triage_service.hpp"
#include "util/files.hpp"

namespace triage {

struct TriageServer::State {
  ServeConfig config;
  std::shared_ptr<EventLog> log;
  std::unique_ptr<AuditLog> audit;
  std::unique_ptr<Decider> decider;  // the decision path both transports share
  std::unique_ptr<TriageService> service;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<HttpServer> http;  // null unless --http-listen
  int port = 0;
  std::mutex health_mutex;
  bool serving = false;
  bool stopped = false;

  std::mutex reload_mutex;  // one reload at a time
  std::thread watcher;
  std::mutex watch_mutex;
  std::condition_variable watch_wake;
  bool watch_stop = false;

  v1::ReloadResult reload(const std::string& trigger);
  void watch();
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
  options.pem_key_cert_pairs.push_back(pair);
  if (!config.tls_client_ca.empty()) {
    if (!read_text_file(config.tls_client_ca, options.pem_root_certs)) {
      error = "cannot read the client CA " + config.tls_client_ca;
      return nullptr;
    }
    options.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

// What identifies the folder's rule files for change detection: names, sizes and mtimes.
std::string folder_signature(const std::string& folder) {
  namespace fs = std::filesystem;
  std::vector<std::string> entries;
  std::error_code error;
  for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
    if (it->path().extension() != ".rules") continue;
    std::error_code ignored;
    auto size = fs::file_size(it->path(), ignored);
    auto time = fs::last_write_time(it->path(), ignored).time_since_epoch().count();
    entries.push_back(it->path().filename().string() + ":" + std::to_string(size) + ":" + std::to_string(time));
  }
  std::sort(entries.begin(), entries.end());
  std::string signature;
  for (const auto& entry : entries) signature += entry + "\n";
  return signature;
}

std::shared_ptr<ServedRuleset> serve_ruleset(const LoadResult& loaded, const std::string& folder) {
  auto served = std::make_shared<ServedRuleset>();
  served->ruleset = loaded.ruleset;
  const model::Ruleset& model = *loaded.ruleset->model;
  served->info.set_ruleset_hash(model.hash);
  for (const auto& file : model.files) {
    auto* out = served->info.add_files();
    out->set_name(file.name);
    out->set_size_bytes(file.size);
  }
  *served->info.mutable_loaded_at() = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(now_micros());
  served->info.set_source(folder);
  served->info.set_fact_count(static_cast<std::uint32_t>(model.facts.size()));
  served->info.set_technique_count(static_cast<std::uint32_t>(model.techniques.size()));
  served->info.set_red_flag_count(static_cast<std::uint32_t>(model.red_flags.size()));
  served->info.set_rule_count(static_cast<std::uint32_t>(model.rules.size()));
  served->questionnaire = to_questionnaire(*loaded.ruleset);
  return served;
}

}  // namespace

v1::ReloadResult TriageServer::State::reload(const std::string& trigger) {
  std::lock_guard<std::mutex> serialize(reload_mutex);
  auto current = decider->served();
  v1::ReloadResult result;
  result.set_trigger(trigger);
  result.set_previous_hash(current->ruleset->model->hash);
  result.set_ruleset_hash(current->ruleset->model->hash);
  *result.mutable_attempted_at() = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(now_micros());
  LoadResult loaded = load_ruleset(config.rules);
  auto refuse = [&](const Diagnostics& diagnostics) {
    for (const auto& d : diagnostics) {
      auto* out = result.add_diagnostics();
      out->set_file(d.location.file);
      out->set_line(static_cast<std::uint32_t>(d.location.line));
      out->set_column(static_cast<std::uint32_t>(d.location.column));
      out->set_severity(to_string(d.severity));
      out->set_message(d.message);
      out->set_hint(d.hint);
      log->error("reload_diagnostic", {{"where", d.location.file + ":" + std::to_string(d.location.line) + ":" +
                                                     std::to_string(d.location.column)},
                                       {"message", d.message}});
    }
    log->error("reload_refused", {{"trigger", trigger}, {"serving", current->ruleset->model->hash},
                                  {"candidate", result.candidate_hash()}});
    // The old ruleset keeps serving; GetRuleset shows why the candidate was refused.
    auto next = std::make_shared<ServedRuleset>(*current);
    *next->info.mutable_last_reload() = result;
    decider->serve(std::move(next));
    return result;
  };
  if (!loaded.ruleset) return refuse(loaded.diagnostics);
  const std::string& hash = loaded.ruleset->model->hash;
  result.set_candidate_hash(hash);
  // The full check: a ruleset the safety analysis refutes never serves.
  Diagnostics unsafe = analysis_errors(analyze(*loaded.ruleset));
  if (!unsafe.empty()) return refuse(unsafe);
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& source : loaded.sources->files()) files.emplace_back(source->name(), source->text());
  std::string error;
  // Stored before it serves, so every decision made with it can be replayed.
  if (!audit->store_ruleset(hash, files, error)) {
    return refuse({{Severity::error, {config.rules, 0, 0}, error, "the audit log must hold a ruleset before it serves"}});
  }
  result.set_reloaded(true);
  result.set_ruleset_hash(hash);
  auto next = serve_ruleset(loaded, config.rules);
  *next->info.mutable_last_reload() = result;
  decider->serve(std::move(next));
  log->info("reloaded", {{"trigger", trigger}, {"previous", result.previous_hash()}, {"ruleset_hash", hash}});
  return result;
}

void TriageServer::State::watch() {
  std::string last = folder_signature(config.rules);
  std::unique_lock<std::mutex> lock(watch_mutex);
  for (;;) {
    watch_wake.wait_for(lock, std::chrono::milliseconds(config.watch_interval_ms), [&] { return watch_stop; });
    if (watch_stop) return;
    std::string now = folder_signature(config.rules);
    if (now == last) continue;
    // Editors write files in steps: reload once the folder has stopped changing for one interval.
    watch_wake.wait_for(lock, std::chrono::milliseconds(config.watch_interval_ms), [&] { return watch_stop; });
    if (watch_stop) return;
    std::string settled = folder_signature(config.rules);
    if (settled != now) continue;
    last = settled;
    lock.unlock();
    reload("watch");
    lock.lock();
  }
}

v1::ReloadResult TriageServer::reload(const std::string& trigger) { return state_->reload(trigger); }

TriageServer::TriageServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

TriageServer::~TriageServer() { shutdown(); }

int TriageServer::port() const { return state_->port; }

std::unique_ptr<TriageServer> TriageServer::start(const ServeConfig& config, std::shared_ptr<EventLog> log,
                                                  std::string& error) {
  auto state = std::make_unique<State>();
  state->config = config;
  state->log = log;
  LoadResult loaded = load_ruleset(config.rules);
  if (!loaded.ruleset) {
    error = "the rules in " + config.rules + " do not load:\n" + render_all(loaded.diagnostics, *loaded.sources);
    return nullptr;
  }
  Diagnostics unsafe = analysis_errors(analyze(*loaded.ruleset));
  if (!unsafe.empty()) {
    error = "the rules in " + config.rules + " fail the safety analysis (see `triage check`):\n" +
            render_all(unsafe, *loaded.sources);
    return nullptr;
  }
  std::filesystem::path db_path(config.audit_db);
  if (db_path.has_parent_path()) {
    std::error_code ignored;
    std::filesystem::create_directories(db_path.parent_path(), ignored);
  }
  state->audit = AuditLog::open(config.audit_db, error, config.audit_busy_timeout_ms);
  if (!state->audit) return nullptr;
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& source : loaded.sources->files()) files.emplace_back(source->name(), source->text());
  if (!state->audit->store_ruleset(loaded.ruleset->model->hash, files, error)) return nullptr;

  auto creds = credentials(config, error);
  if (!creds) return nullptr;
  auto* raw_state = state.get();
  auto served = serve_ruleset(loaded, config.rules);
  auto on_audit_health = [raw_state](bool ok) {
    // Called after every audit write: the health status follows whether the log works.
    std::lock_guard<std::mutex> lock(raw_state->health_mutex);
    if (raw_state->stopped || ok == raw_state->serving || !raw_state->server) return;
    raw_state->serving = ok;
    raw_state->server->GetHealthCheckService()->SetServingStatus(ok);
    raw_state->log->warn("health", {{"status", ok ? "SERVING" : "NOT_SERVING"}, {"why", "audit log"}});
  };
  auto is_admin = [raw_state](const grpc::ServerContextBase& context) {
    if (raw_state->config.tls_cert.empty()) return true;  // no TLS: a local, trusted deployment
    std::string identity = client_identity(context);
    if (identity.rfind("cert:", 0) != 0) return false;
    std::string subject = identity.substr(5);
    // The subject's common name, compared whole (`ops` must not match `CN=ops-mallory`).
    std::string common_name;
    for (std::size_t at = subject.find("CN="); at != std::string::npos; at = subject.find("CN=", at + 1)) {
      if (at != 0 && subject[at - 1] != ',' && subject[at - 1] != '/' && subject[at - 1] != ' ') continue;
      std::size_t end = subject.find_first_of(",/", at + 3);
      common_name = subject.substr(at + 3, end == std::string::npos ? std::string::npos : end - at - 3);
    }
    for (const auto& admin : raw_state->config.admin_subjects) {
      if (subject == admin || (!common_name.empty() && common_name == admin)) return true;
    }
    return false;
  };
  state->audit->set_recovery_listener([on_audit_health] { on_audit_health(true); });
  state->decider = std::make_unique<Decider>(served, *state->audit, log, on_audit_health);
  state->service = std::make_unique<TriageService>(
      *state->decider, log,
      [raw_state](const std::string& trigger) { return raw_state->reload(trigger); }, is_admin);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config.listen, creds, &state->port);
  builder.RegisterService(state->service.get());
  builder.SetMaxReceiveMessageSize(static_cast<int>(config.max_request_bytes));
  {
    // Audit completions read `server` under this lock as soon as calls arrive.
    std::lock_guard<std::mutex> lock(state->health_mutex);
    state->server = builder.BuildAndStart();
  }
  if (!state->server || state->port == 0) {
    error = "cannot listen on " + config.listen + " (address in use or malformed?)";
    return nullptr;
  }
  {
    std::lock_guard<std::mutex> lock(state->health_mutex);
    state->server->GetHealthCheckService()->SetServingStatus(true);
    state->serving = true;
  }
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
    auto ready = [raw_state] {
      std::lock_guard<std::mutex> lock(raw_state->health_mutex);
      return raw_state->serving && !raw_state->stopped;
    };
    state->http = HttpServer::start(http, *state->decider, ready, log, error);
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
  if (config.watch_interval_ms > 0) state->watcher = std::thread([raw_state] { raw_state->watch(); });
  log->info("serving", {{"listen", config.listen},
                        {"http", config.http_listen.empty() ? "off" : config.http_listen},
                        {"port", std::to_string(state->port), true},
                        {"ruleset_hash", loaded.ruleset->model->hash},
                        {"rules", config.rules},
                        {"audit_db", config.audit_db},
                        {"tls", config.tls_cert.empty() ? "off" : config.tls_client_ca.empty() ? "on" : "mutual"}});
  log->flush();  // operators watch for this line
  return std::unique_ptr<TriageServer>(new TriageServer(std::move(state)));
}

void TriageServer::shutdown() {
  {
    std::lock_guard<std::mutex> lock(state_->health_mutex);
    if (state_->stopped) return;
    state_->stopped = true;
    state_->server->GetHealthCheckService()->SetServingStatus(false);
  }
  {
    std::lock_guard<std::mutex> lock(state_->watch_mutex);
    state_->watch_stop = true;
  }
  state_->watch_wake.notify_all();
  if (state_->watcher.joinable()) state_->watcher.join();
  state_->log->info("draining", {{"seconds", std::to_string(state_->config.drain_seconds), true}});
  // Both transports drain at once: HTTP on its own thread while gRPC shuts down here.
  std::thread http_drain;
  if (state_->http) http_drain = std::thread([this] { state_->http->drain(state_->config.drain_seconds); });
  state_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(state_->config.drain_seconds));
  state_->server->Wait();
  if (http_drain.joinable()) http_drain.join();
  state_->audit->close();
  if (state_->http) state_->http->stop();  // after the audit log: no completion is still on its way
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
  std::future<void> hup_reload;  // a SIGHUP reload runs beside this loop, so SIGTERM still stops us
  for (;;) {
    sigwait(&stop_signals, &signal);
    if (signal != SIGHUP) break;
    log->info("signal", {{"signal", "SIGHUP"}});
    if (hup_reload.valid() && hup_reload.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      log->warn("reload_skipped", {{"reason", "a reload is already running"}});
      continue;
    }
    hup_reload = std::async(std::launch::async, [&server] { server->reload("signal"); });
  }
  if (hup_reload.valid()) hup_reload.wait();
  log->info("signal", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
  server->shutdown();
  return 0;
}

}  // namespace triage
