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
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "util/files.hpp"
#include "loadgen/loadgen.hpp"
#include "serve/config.hpp"
#include "serve/server.hpp"
#include "serve/status_names.hpp"
#include "triage/v1/triage.grpc.pb.h"

namespace triage::cli {

int run_serve(const std::vector<std::string>& args, Io io) {
  ServeConfig config;
  std::string error;
  if (!load_serve_config(args, config, error)) {
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
  Options options = parse_options(args, {"--server", "--intake", "--request-id", "--client-id", "--tls-ca",
                                         "--tls-cert", "--tls-key", "--timeout-ms"});
  if (!options.error.empty() || !options.has("--server") || !options.has("--intake")) {
    if (!options.error.empty()) io.err << "triage call: " << options.error << "\n";
    io.err << "usage: triage call --server ADDR --intake FILE|- [--request-id ID] [--client-id ID]\n"
              "                   [--tls-ca FILE [--tls-cert FILE --tls-key FILE]] [--timeout-ms N]\n";
    return exit_failure;
  }
  std::string text, error;
  if (!read_input(options.get("--intake", ""), io.in, text)) {
    io.err << "triage call: cannot read the intake file `" << options.get("--intake", "") << "`\n";
    return exit_invalid_input;
  }
  std::vector<RawAnswer> raw;
  v1::EvaluateRequest request;
  if (!parse_intake_json(text, raw, error) || !to_request(raw, request, error)) {
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
  Options options = parse_options(args, {"--server", "--client-id", "--tls-ca", "--tls-cert", "--tls-key",
                                         "--timeout-ms"});
  if (!options.error.empty() || !options.has("--server")) {
    if (!options.error.empty()) io.err << "triage reload: " << options.error << "\n";
    io.err << "usage: triage reload --server ADDR [--tls-ca FILE --tls-cert FILE --tls-key FILE]\n";
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
  v1::ReloadResult result;
  grpc::Status status = stub->ReloadRules(&context, {}, &result);
  if (!status.ok()) return report_failure("reload", status, io);
  io.out << to_json(result) << "\n";
  for (const auto& d : result.diagnostics()) {
    io.err << d.file() << ":" << d.line() << ":" << d.column() << ": " << d.severity() << ": " << d.message() << "\n";
    if (!d.hint().empty()) io.err << "  hint: " << d.hint() << "\n";
  }
  return result.reloaded() ? exit_ok : exit_failure;
}

}  // namespace triage::cli

namespace triage::cli {

int run_loadgen(const std::vector<std::string>& args, Io io) {
  LoadOptions options;
  std::string intakes_folder = "rules/examples";
  for (std::size_t i = 0; i + 1 < args.size(); i += 2) {
    const std::string& name = args[i];
    const std::string& value = args[i + 1];
    if (name == "--target") options.target = value;
    else if (name == "--concurrency") options.concurrency = std::max(1, std::atoi(value.c_str()));
    else if (name == "--duration") options.duration_seconds = std::atof(value.c_str());
    else if (name == "--rate") options.rate = std::atof(value.c_str());
    else if (name == "--intakes") intakes_folder = value;
    else {
      io.err << "triage loadgen: unknown option " << name << "\n";
      return exit_failure;
    }
  }
  if (args.size() % 2 != 0) {
    io.err << "usage: triage loadgen --target ADDR [--concurrency N] [--duration S] [--rate R] [--intakes DIR]\n";
    return exit_failure;
  }
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
