// Fuzz target: the HTTP API's Router (src/http/routes.hpp), transport-free, with a real Decider over
// the shipped rules, a real audit log in a temporary folder (on /dev/shm when there is one; replaced
// every `rotate_every` inputs so it stays small) and the FHIR/CDS Hooks routes. The input is a
// request as text: "METHOD TARGET" on the first line, then "Name: value" header lines
// (Content-Type, Connect-Timeout-Ms, Authorization) up to an empty line, then the body. The bearer
// token `$TOKEN` stands for a valid one, so CDS Hooks bodies are read too. Aborts (a finding) when a
// reply is not sent exactly once, a status is one no route documents, a JSON reply is not JSON, or
// a /v1/ or Connect error lacks its code and message.
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "api/decision_proto.hpp"
#include "audit/audit_log.hpp"
#include "fuzz_cds_key.hpp"
#include "http/fhir_service.hpp"
#include "http/routes.hpp"
#include "ruleset/loader.hpp"
#include "serve/decide.hpp"
#include "serve/event_log.hpp"

namespace {

namespace fs = std::filesystem;
using triage::fhir::Json;

constexpr int rotate_every = 20000;  // inputs per audit log

// One Router over a fresh audit log; the log's folder is removed with it.
struct Server {
  fs::path folder;
  std::unique_ptr<triage::AuditLog> audit;
  std::unique_ptr<triage::Decider> decider;
  std::shared_ptr<triage::fhir::FhirService> fhir;
  std::unique_ptr<triage::http_api::Router> router;

  Server(const std::shared_ptr<const triage::ServedRuleset>& served, const std::string& jwks_file,
         const std::map<std::string, triage::http_api::StaticFile>& kiosk) {
    fs::path base = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    folder = base / ("triage-fuzz-http-" + triage::new_decision_id());
    fs::create_directories(folder);
    std::string error;
    audit = triage::AuditLog::open((folder / "audit.db").string(), error, 5000, true);
    if (!audit || !audit->fault().empty()) std::abort();
    auto sink = std::make_shared<spdlog::sinks::null_sink_mt>();
    auto log = std::make_shared<triage::EventLog>(std::make_shared<spdlog::logger>("fuzz", sink), false);
    decider = std::make_unique<triage::Decider>(served, *audit, log, [](bool) {});
    triage::http_api::FhirOptions options;
    options.base_url = "https://triage.fuzz";
    options.cds_jwks_file = jwks_file;
    fhir = triage::http_api::make_fhir_service(*decider, *audit, options, error);
    if (!fhir) std::abort();
    fhir->now_seconds = [] { return triage::fuzz::CdsKey::now; };
    router = std::make_unique<triage::http_api::Router>(*decider, [] { return true; }, kiosk, fhir);
  }
  ~Server() {
    router.reset();
    fhir.reset();
    decider.reset();
    audit->close();
    std::error_code ignored;
    fs::remove_all(folder, ignored);
  }
};

struct State {
  triage::fuzz::CdsKey key;
  std::shared_ptr<triage::ServedRuleset> served = std::make_shared<triage::ServedRuleset>();
  std::map<std::string, triage::http_api::StaticFile> kiosk;
  fs::path jwks_file;
  std::string hook_token;
  std::string encounter_token;
  std::unique_ptr<Server> server;
  int handled = 0;

  State() {
    triage::LoadResult loaded = triage::load_ruleset(std::string(TRIAGE_SOURCE_DIR) + "/rules");
    if (!loaded.ruleset) std::abort();
    served->ruleset = loaded.ruleset;
    served->info.set_ruleset_hash(loaded.ruleset->model->hash);
    served->questionnaire = triage::to_questionnaire(*loaded.ruleset);
    kiosk = triage::http_api::load_static_files(std::string(TRIAGE_SOURCE_DIR) + "/web/kiosk");
    jwks_file = fs::temp_directory_path() / ("triage-fuzz-http-jwks-" + triage::new_decision_id() + ".json");
    {
      std::ofstream out(jwks_file);
      out << key.jwks();
    }
    hook_token = key.token("https://triage.fuzz/cds-services/back-pain-triage");
    encounter_token = key.token("https://triage.fuzz/cds-services/back-pain-triage-encounter");
  }
  ~State() {
    server.reset();
    std::error_code ignored;
    fs::remove(jwks_file, ignored);
  }

  triage::http_api::Router& router() {
    if (!server || handled++ % rotate_every == 0) {
      server.reset();
      server = std::make_unique<Server>(served, jwks_file.string(), kiosk);
    }
    server->fhir->verifier = key.fresh_verifier();  // so the one valid token passes once per input
    return *server->router;
  }
};

State& state() {
  static State s;
  return s;
}

void require(bool condition) {
  if (!condition) std::abort();
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return text;
}

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) text.pop_back();
  std::size_t start = text.find_first_not_of(' ');
  return start == std::string::npos ? "" : text.substr(start);
}

// The request the bytes describe.
triage::http_api::Request request_of(const std::string& text, const State& s) {
  triage::http_api::Request request;
  request.client = "id:fuzz";
  std::size_t start = 0;
  auto next_line = [&](std::string& line) {
    if (start > text.size()) return false;
    std::size_t end = text.find('\n', start);
    line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? text.size() + 1 : end + 1;
    return true;
  };
  std::string line;
  if (!next_line(line)) return request;
  line = trim(line);
  std::size_t space = line.find(' ');
  request.method = line.substr(0, space);
  request.target = space == std::string::npos ? "" : trim(line.substr(space + 1));
  while (next_line(line)) {
    line = trim(line);
    if (line.empty()) break;
    std::size_t colon = line.find(':');
    std::string name = lower(trim(line.substr(0, colon)));
    std::string value = colon == std::string::npos ? "" : trim(line.substr(colon + 1));
    if (name == "content-type") request.content_type = value;
    if (name == "connect-timeout-ms") request.connect_timeout = value;
    if (name == "content-encoding") request.content_encoding = value;
    if (name == "authorization") {
      if (value == "Bearer $TOKEN") {
        value = "Bearer " + (request.target.find("-encounter") != std::string::npos ? s.encounter_token : s.hook_token);
      }
      request.authorization = value;
    }
  }
  if (start <= text.size()) request.body = text.substr(start);
  return request;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  State& s = state();
  triage::http_api::Request request = request_of(std::string(reinterpret_cast<const char*>(data), size), s);
  triage::http_api::Router& router = s.router();
  triage::v1::Decision decision;
  std::promise<triage::http_api::Reply> promise;
  int replies = 0;
  router.handle(request, decision, [&](triage::http_api::Reply reply) {
    if (++replies == 1) promise.set_value(std::move(reply));
  });
  triage::http_api::Reply reply = promise.get_future().get();
  static const std::set<unsigned> documented{200, 308, 400, 401, 404, 405, 412, 415, 501, 503, 504};
  require(documented.count(reply.status) == 1);
  if (lower(reply.content_type).find("json") != std::string::npos) {
    Json body = Json::parse(reply.body, nullptr, false);
    require(!body.is_discarded());
    const std::string path = request.target.substr(0, request.target.find('?'));
    if (reply.status >= 400 && !triage::fhir::is_fhir_target(path)) {
      require(body.is_object() && body.contains("code") && body["code"].is_string() && body.contains("message"));
    }
  }
  require(replies == 1);
  return 0;
}
