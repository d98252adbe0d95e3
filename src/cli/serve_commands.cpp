// `triage serve` and `triage call`.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <iostream>
#include <sstream>

#include "api/answers_proto.hpp"
#include "api/decision_json.hpp"
#include "api/decision_proto.hpp"
#include "api/diagnostic_proto.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "diag/render.hpp"
#include "diag/source_set.hpp"
#include "util/files.hpp"
#include "loadgen/loadgen.hpp"
#include "serve/config.hpp"
#include "serve/server.hpp"
#include "serve/status_names.hpp"
#include "triage/v1/triage.grpc.pb.h"

namespace triage::cli {

namespace {

CommandSpec serve_spec() {
  CommandSpec spec{"serve",
                   "usage: triage serve [--rules DIR] [--listen ADDR] [--audit-db PATH] [--config FILE]\n"
                   "                    [--tls-cert PEM --tls-key PEM [--tls-client-ca PEM]]\n"
                   "                    [--log-format text|json] [--max-request-bytes N] [--drain-seconds N]\n"
                   "                    [--admin-subjects CN,…] [--watch-interval-ms N] [--audit-busy-timeout-ms N]\n"
                   "                    [--replica-id ID] [--ship-to URL [--ship-interval-ms N]] [--health-listen ADDR]\n"
                   "                    [--metrics-listen ADDR] [--grpc-idle-timeout-ms N] [--grpc-handshake-timeout-ms N]\n"
                   "                    [--trusted-keys DIR [--require-approved]]\n"
                   "                    [--audit-init] [--audit-signing-key KEY.pem [--audit-checkpoint-records N]\n"
                   "                    [--audit-checkpoint-seconds S]]\n"
                   "                    [--http-listen ADDR [--kiosk-dir DIR] [--http-cors-origin ORIGIN]\n"
                   "                     [--http-max-connections N] [--http-max-connections-per-client N]\n"
                   "                     [--fhir-base-url URL] [--fhir-canonical-base URL] [--cds-jwks FILE]\n"
                   "                     [--cds-fhir-servers URL,… [--cds-fhir-timeout-ms N] [--cds-fhir-ca PEM]] [--cds-jwt-leeway-seconds N]]\n"
                   "  runs the gRPC service (and HTTP/JSON, the kiosk, FHIR R4 under /fhir/ and CDS Hooks under\n"
                   "  /cds-services with --http-listen) until SIGTERM/SIGINT; each option can also come from TRIAGE_<NAME>\n"
                   "  or the config file. --require-approved serves (at start and on reload) only rules signed\n"
                   "  by a key in DIR (`triage sign`), status production, in their effective period and review\n"
                   "  date; it is a flag here and `require_approved = true` in the config file. Prometheus metrics are\n"
                   "  at GET /metrics on --http-listen, or on --metrics-listen alone (docs/operations.md)\n",
                   {},
                   {"--config"}};
  for (const auto& name : serve_option_names()) {
    // --audit-init and --require-approved are flags (TRIAGE_<NAME> or the config file say `true`).
    if (name == "audit-init" || name == "require-approved") spec.flags.push_back("--" + name);
    else spec.valued.push_back("--" + name);
  }
  return spec;
}

const CommandSpec call_spec{
    "call",
    "usage: triage call --server ADDR --intake FILE|- [--request-id ID] [--client-id ID]\n"
    "                   [--tls-ca FILE [--tls-cert FILE --tls-key FILE]] [--timeout-ms N]\n"
    "  sends one intake to a server and prints the decision like `triage eval`\n",
    {},
    {"--server", "--intake", "--request-id", "--client-id", "--tls-ca", "--tls-cert", "--tls-key", "--timeout-ms"}};

const CommandSpec reload_spec{
    "reload",
    "usage: triage reload --server ADDR [--tls-ca FILE --tls-cert FILE --tls-key FILE] [--client-id ID]\n"
    "                     [--timeout-ms N] [--allow-rollback]\n"
    "  asks a server to re-read and check its rules; exit 1 when the candidate is refused.\n"
    "  Under --require-approved an older version than the served one is refused unless --allow-rollback\n",
    {"--allow-rollback"},
    {"--server", "--client-id", "--tls-ca", "--tls-cert", "--tls-key", "--timeout-ms"}};

const CommandSpec loadgen_spec{
    "loadgen",
    "usage: triage loadgen --server ADDR [--concurrency N] [--duration S] [--rate R] [--intakes DIR] [--batch N]\n"
    "  loads a server with the *.json intakes of DIR (rules/examples); reports rps and latency as JSON;\n"
    "  with --batch N every call is an EvaluateBatch of N intakes (decisions_per_s counts the decisions)\n",
    {},
    {"--server", "--concurrency", "--duration", "--rate", "--intakes", "--batch"}};

}  // namespace

int run_serve(const std::vector<std::string>& args, Io io) {
  Options options;
  int code = exit_ok;
  if (!parse_command_line(args, serve_spec(), options, io, code)) return code;
  std::vector<std::pair<std::string, std::string>> flags;
  for (const auto& [name, value] : options.ordered) flags.emplace_back(name.substr(2), value);
  if (options.flag("--audit-init")) flags.emplace_back("audit-init", "true");
  if (options.flag("--require-approved")) flags.emplace_back("require-approved", "true");
  ServeConfig config;
  std::string error;
  if (!load_serve_config(flags, config, error)) {
    io.err << "triage serve: " << error << "\n";
    return exit_failure;
  }
  return run_server(config);
}

namespace {

// A stub for `--server`, over TLS when `--tls-ca` is given (with a client certificate when
// `--tls-cert`/`--tls-key` are too). Null with `error` when the TLS files cannot be read.
std::unique_ptr<v1::TriageService::Stub> connect(const Options& options, std::string& error) {
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (options.has("--tls-ca")) {
    grpc::SslCredentialsOptions tls;
    if (!read_text_file(options.get("--tls-ca", ""), tls.pem_root_certs) ||
        (options.has("--tls-cert") && !read_text_file(options.get("--tls-cert", ""), tls.pem_cert_chain)) ||
        (options.has("--tls-key") && !read_text_file(options.get("--tls-key", ""), tls.pem_private_key))) {
      error = "cannot read the TLS files";
      return nullptr;
    }
    credentials = grpc::SslCredentials(tls);
  }
  return v1::TriageService::NewStub(grpc::CreateChannel(options.get("--server", ""), credentials));
}

// A clear word for a missing or mistyped --server, or empty when it is usable.
std::string server_problem(const Options& options) {
  if (!options.has("--server")) {
    return "--server ADDR is required: the service's gRPC address, for example --server 127.0.0.1:50051";
  }
  const std::string server = options.get("--server", "");
  if (server.find("://") != std::string::npos) {
    return "--server takes the gRPC address as host:port (for example 127.0.0.1:50051), not a URL like `" +
           server.substr(0, server.find("://") + 3) + "…`; the HTTP API is for curl and browsers";
  }
  if (server.empty()) return "--server is empty: give the service's gRPC address, for example 127.0.0.1:50051";
  return {};
}

void prepare(grpc::ClientContext& context, const Options& options) {
  int timeout_ms = std::atoi(options.get("--timeout-ms", "10000").c_str());
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
  if (options.has("--client-id")) context.AddMetadata("x-client-id", options.get("--client-id", ""));
}

int report_failure(const char* command, const grpc::Status& status, Io io) {
  io.err << "triage " << command << ": " << status_code_name(status.error_code()) << ": " << status.error_message()
         << "\n";
  return status.error_code() == grpc::StatusCode::INVALID_ARGUMENT ? exit_invalid_input : exit_failure;
}

}  // namespace

int run_call(const std::vector<std::string>& args, Io io) {
  Options options;
  int code = exit_ok;
  if (!parse_command_line(args, call_spec, options, io, code)) return code;
  if (std::string problem = server_problem(options); !problem.empty()) {
    io.err << "triage call: " << problem << "\n" << call_spec.usage;
    return exit_failure;
  }
  if (!options.has("--intake")) {
    io.err << "triage call: --intake FILE is required (a JSON intake, or - for standard input)\n" << call_spec.usage;
    return exit_failure;
  }
  std::string text, error;
  if (!read_input(options.get("--intake", ""), io.in, text)) {
    io.err << "triage call: cannot read the intake file `" << options.get("--intake", "") << "`: " << read_error()
           << "\n";
    return exit_invalid_input;
  }
  std::vector<RawAnswer> raw;
  v1::EvaluateRequest request;
  if (!parse_intake_json(text, raw, error) || !to_request(raw, request, error)) {
    if (error.find("unexpected text after the JSON value") != std::string::npos) {
      error += " (`triage call` sends one intake; for one intake per line use `triage eval --intake FILE.jsonl`)";
    }
    io.err << "triage call: " << error << "\n";
    return exit_invalid_input;
  }
  request.set_request_id(options.get("--request-id", ""));
  auto stub = connect(options, error);
  if (!stub) {
    io.err << "triage call: " << error << "\n";
    return exit_failure;
  }
  grpc::ClientContext context;
  prepare(context, options);
  v1::Decision decision;
  grpc::Status status = stub->Evaluate(&context, request, &decision);
  if (!status.ok()) return report_failure("call", status, io);
  io.out << decision_to_json(decision) << "\n";
  return exit_ok;
}

int run_reload(const std::vector<std::string>& args, Io io) {
  Options options;
  int code = exit_ok;
  if (!parse_command_line(args, reload_spec, options, io, code)) return code;
  if (std::string problem = server_problem(options); !problem.empty()) {
    io.err << "triage reload: " << problem << "\n" << reload_spec.usage;
    return exit_failure;
  }
  std::string error;
  auto stub = connect(options, error);
  if (!stub) {
    io.err << "triage reload: " << error << "\n";
    return exit_failure;
  }
  grpc::ClientContext context;
  prepare(context, options);
  v1::ReloadRulesRequest request;
  request.set_allow_rollback(options.flag("--allow-rollback"));
  v1::ReloadResult result;
  grpc::Status status = stub->ReloadRules(&context, request, &result);
  if (!status.ok()) return report_failure("reload", status, io);
  io.out << to_json(result) << "\n";
  for (const auto& d : result.diagnostics()) io.err << render(from_proto(d), SourceSet{});
  return result.reloaded() ? exit_ok : exit_failure;
}

}  // namespace triage::cli

namespace triage::cli {

int run_loadgen(const std::vector<std::string>& args, Io io) {
  Options parsed;
  int code = exit_ok;
  if (!parse_command_line(args, loadgen_spec, parsed, io, code)) return code;
  LoadOptions options;
  if (parsed.has("--server")) options.target = parsed.get("--server", "");
  if (parsed.has("--concurrency")) options.concurrency = std::max(1, std::atoi(parsed.get("--concurrency", "").c_str()));
  if (parsed.has("--duration")) options.duration_seconds = std::atof(parsed.get("--duration", "").c_str());
  if (parsed.has("--rate")) options.rate = std::atof(parsed.get("--rate", "").c_str());
  if (parsed.has("--batch")) options.batch = std::max(0, std::atoi(parsed.get("--batch", "").c_str()));
  std::string intakes_folder = parsed.get("--intakes", "rules/examples");
  std::vector<v1::EvaluateRequest> requests;
  std::error_code error_code;
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(intakes_folder, error_code)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::string text, error;
    std::vector<RawAnswer> raw;
    v1::EvaluateRequest request;
    if (!read_input(file, io.in, text) || !parse_intake_json(text, raw, error) || !to_request(raw, request, error)) {
      io.err << "triage loadgen: cannot use " << file << ": " << error << "\n";
      return exit_invalid_input;
    }
    requests.push_back(std::move(request));
  }
  if (requests.empty()) {
    io.err << "triage loadgen: no *.json intakes in " << intakes_folder << "\n";
    return exit_failure;
  }
  LoadReport report = run_load(options, requests);
  io.out << to_json(options, report) << "\n";
  return report.errors.empty() ? exit_ok : exit_failure;
}

}  // namespace triage::cli
