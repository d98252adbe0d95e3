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

int run_call(const std::vector<std::string>& args, Io io) {
  std::map<std::string, std::string> options;
  for (std::size_t i = 0; i + 1 < args.size(); i += 2) options[args[i]] = args[i + 1];
  if (args.size() % 2 != 0 || options.count("--server") == 0 || options.count("--intake") == 0) {
    io.err << "usage: triage call --server ADDR --intake FILE|- [--request-id ID] [--client-id ID]\n"
              "                   [--tls-ca FILE [--tls-cert FILE --tls-key FILE]] [--timeout-ms N]\n";
    return exit_failure;
  }
  for (const auto& [name, value] : options) {
    static const std::set<std::string> known{"--server", "--intake", "--request-id", "--client-id",
                                             "--tls-ca", "--tls-cert", "--tls-key", "--timeout-ms"};
    if (known.count(name) == 0) {
      io.err << "triage call: unknown option " << name << "\n";
      return exit_failure;
    }
  }
  std::string text, error;
  if (!read_input(options["--intake"], io.in, text)) {
    io.err << "triage call: cannot read the intake file `" << options["--intake"] << "`\n";
    return exit_invalid_input;
  }
  std::vector<RawAnswer> raw;
  v1::EvaluateRequest request;
  if (!parse_intake_json(text, raw, error) || !to_request(raw, request, error)) {
    io.err << "triage call: " << error << "\n";
    return exit_invalid_input;
  }
  request.set_request_id(options.count("--request-id") ? options["--request-id"] : "");

  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (options.count("--tls-ca")) {
    grpc::SslCredentialsOptions tls;
    if (!read_input(options["--tls-ca"], io.in, tls.pem_root_certs) ||
        (options.count("--tls-cert") && !read_input(options["--tls-cert"], io.in, tls.pem_cert_chain)) ||
        (options.count("--tls-key") && !read_input(options["--tls-key"], io.in, tls.pem_private_key))) {
      io.err << "triage call: cannot read the TLS files\n";
      return exit_failure;
    }
    credentials = grpc::SslCredentials(tls);
  }
  auto channel = grpc::CreateChannel(options["--server"], credentials);
  auto stub = v1::TriageService::NewStub(channel);
  grpc::ClientContext context;
  int timeout_ms = options.count("--timeout-ms") ? std::atoi(options["--timeout-ms"].c_str()) : 10000;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
  if (options.count("--client-id")) context.AddMetadata("x-client-id", options["--client-id"]);
  v1::Decision decision;
  grpc::Status status = stub->Evaluate(&context, request, &decision);
  if (!status.ok()) {
    io.err << "triage call: " << status_code_name(status.error_code()) << ": " << status.error_message() << "\n";
    return status.error_code() == grpc::StatusCode::INVALID_ARGUMENT ? exit_invalid_input : exit_failure;
  }
  io.out << decision_to_json(decision) << "\n";
  return exit_ok;
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
