#include "lsp/server.hpp"

#include <algorithm>
#include <filesystem>
#include <istream>
#include <ostream>

#include "lsp/framing.hpp"
#include "lsp/lenses.hpp"
#include "lsp/uri.hpp"
#include "ruletest/cases.hpp"
#include "ruletest/runner.hpp"
#include "util/files.hpp"

namespace triage::lsp {

namespace fs = std::filesystem;

namespace {

// How many analyses are kept by ruleset hash: undoing an edit, or switching between a few states
// of the rules, gets its findings without analysing again.
constexpr std::size_t kept_reports = 16;

std::string file_name(const std::string& path) { return fs::path(path).filename().string(); }

bool is_cases(const std::string& path) { return fs::path(path).extension() == ".cases"; }

// `params` that are JSON but not what the method needs, found beyond nlohmann's own type checks.
struct InvalidParams : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A well-formed request the server cannot carry out (the rules do not load, the case is gone):
// answered with RequestFailed and the reason.
struct RequestFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace

Server::Server(Send send, ServerOptions options) : send_(std::move(send)), options_(options) {
  worker_ = std::thread([this] { analysis_worker(); });
}

Server::~Server() {
  {
    std::lock_guard lock(jobs_mutex_);
    stopping_ = true;
    jobs_.clear();
  }
  jobs_changed_.notify_all();
  worker_.join();
}

void Server::send(const Json& message) {
  // Invalid UTF-8 in a rule file must not make the reply unwritable: replace it.
  std::string body = message.dump(-1, ' ', false, Json::error_handler_t::replace);
  std::lock_guard lock(send_mutex_);
  send_(body);
}

void Server::reply(const Json& id, Json result) { send({{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}}); }

void Server::reply_error(const Json& id, int code, const std::string& message) {
  send({{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}});
}

void Server::notify(const std::string& method, Json params) {
  send({{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}});
}

void Server::bad_frame(const std::string& why) { reply_error(nullptr, rpc_error::parse_error, "unreadable message header: " + why); }

void Server::handle(const std::string& body) {
  std::lock_guard lock(mutex_);
  Json message = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (message.is_discarded()) {
    reply_error(nullptr, rpc_error::parse_error, "the message is not JSON");
    return;
  }
  if (!message.is_object()) {
    reply_error(nullptr, rpc_error::invalid_request,
                message.is_array() ? "batches are not part of the Language Server Protocol" : "a message must be a JSON object");
    return;
  }
  Json id = nullptr;
  bool request = message.contains("id");
  if (request) {
    id = message["id"];
    if (!id.is_string() && !id.is_number_integer()) {
      reply_error(nullptr, rpc_error::invalid_request, "`id` must be an integer or a string");
      return;
    }
  }
  if (!message.contains("jsonrpc") || message["jsonrpc"] != "2.0") {
    if (request) reply_error(id, rpc_error::invalid_request, "`jsonrpc` must be \"2.0\"");
    return;
  }
  if (!message.contains("method") || !message["method"].is_string()) {
    // A response to a request of ours (the server sends none), or nonsense.
    if (request && !message.contains("result") && !message.contains("error")) {
      reply_error(id, rpc_error::invalid_request, "a request needs a `method` string");
    }
    return;
  }
  std::string method = message["method"];
  // `"params": null` is read as no params: clients send it for `shutdown` and `exit`.
  Json params = message.contains("params") && !message["params"].is_null() ? message["params"] : Json::object();
  if (!params.is_object() && !params.is_array()) {
    if (request) reply_error(id, rpc_error::invalid_params, "`params` must be an object or an array");
    return;
  }
  if (method == "exit") {
    exited_ = true;
    return;
  }
  if (!initialized_ && method != "initialize") {
    if (request) reply_error(id, rpc_error::server_not_initialized, "the server is not initialized yet: send `initialize` first");
    return;
  }
  if (shutdown_) {
    if (request) reply_error(id, rpc_error::invalid_request, "the server is shutting down: only `exit` is accepted");
    return;
  }
  try {
    dispatch(method, id, request, params);
  } catch (const Json::exception& e) {
    // A missing or mistyped member of `params` (nlohmann throws on .at() and get<>()).
    if (request) reply_error(id, rpc_error::invalid_params, "invalid params for `" + method + "`: " + e.what());
    else notify("window/logMessage", {{"type", 1}, {"message", "invalid params for `" + method + "`: " + e.what()}});
  } catch (const InvalidParams& e) {
    if (request) reply_error(id, rpc_error::invalid_params, "invalid params for `" + method + "`: " + e.what());
  } catch (const RequestFailed& e) {
    if (request) reply_error(id, rpc_error::request_failed, e.what());
  } catch (const std::exception& e) {
    if (request) reply_error(id, rpc_error::internal_error, std::string("internal error: ") + e.what());
  }
}

Json Server::initialize(const Json& params) {
  initialized_ = true;
  if (params.contains("capabilities")) {
    const Json& caps = params["capabilities"];
    if (caps.contains("general") && caps["general"].contains("positionEncodings") && caps["general"]["positionEncodings"].is_array()) {
      for (const auto& encoding : caps["general"]["positionEncodings"]) {
        if (encoding == "utf-8") utf16_ = false;
      }
    }
  }
  if (params.contains("initializationOptions") && params["initializationOptions"].is_object()) {
    const Json& options = params["initializationOptions"];
    if (options.contains("analysis") && options["analysis"].is_boolean()) options_.analysis = options["analysis"];
  }
  Json capabilities = {
      {"positionEncoding", utf16_ ? "utf-16" : "utf-8"},
      {"textDocumentSync", {{"openClose", true}, {"change", 1}, {"save", {{"includeText", false}}}}},
      {"hoverProvider", true},
      {"definitionProvider", true},
      {"referencesProvider", true},
      {"documentFormattingProvider", true},
      {"documentSymbolProvider", true},
      {"workspaceSymbolProvider", true},
      {"completionProvider", {{"triggerCharacters", Json::array({"{", "\""})}}},
      {"codeActionProvider", {{"codeActionKinds", Json::array({"quickfix"})}}},
      {"codeLensProvider", {{"resolveProvider", false}}},
      {"executeCommandProvider", {{"commands", command_names()}}},
  };
  return {{"capabilities", capabilities}, {"serverInfo", {{"name", "triage"}}}};
}

std::optional<Place> Server::place(const Json& params, std::string* line_before) {
  std::string uri = params.at("textDocument").at("uri").get<std::string>();
  const Json& position = params.at("position");
  Position at{position.at("line").get<std::size_t>(), position.at("character").get<std::size_t>()};
  const Document* document = workspace_.document(uri);
  std::string path = document ? document->path : uri_to_path(uri);
  std::string folder = rules_folder_of(path);
  if (folder.empty()) return std::nullopt;
  auto snapshot = workspace_.snapshot(folder);
  // A `.cases` file is no rule file of the snapshot; completion reads its own text.
  std::string_view text;
  if (const SourceFile* source = snapshot->source(file_name(path))) text = source->text();
  else if (document) text = document->text;
  else return std::nullopt;
  TextIndex index(text, utf16_);
  std::size_t offset = index.offset(at);
  if (line_before) {
    std::size_t start = index.offset({at.line, 0});
    *line_before = std::string(text.substr(start, offset - start));
  }
  Place found{snapshot.get(), file_name(path), offset, utf16_, {}};
  if (!snapshot->source(found.file)) found.text = text;  // a `.cases` file
  return found;
}

void Server::dispatch(const std::string& method, const Json& id, bool request, const Json& params) {
  if (method == "initialize") {
    if (initialized_) return reply_error(id, rpc_error::invalid_request, "`initialize` was already sent");
    return reply(id, initialize(params));
  }
  if (method == "initialized") return;
  if (method == "shutdown") {
    shutdown_ = true;
    return reply(id, nullptr);
  }
  if (method == "textDocument/didOpen" || method == "textDocument/didChange") {
    const Json& document = params.at("textDocument");
    std::string uri = document.at("uri").get<std::string>();
    long long version = document.contains("version") ? document["version"].get<long long>() : 0;
    std::string text;
    if (method == "textDocument/didOpen") {
      text = document.at("text").get<std::string>();
    } else {
      // Full sync: the last change holds the whole text.
      const Json& changes = params.at("contentChanges");
      if (!changes.is_array() || changes.empty()) throw InvalidParams("`contentChanges` is empty");
      text = changes.back().at("text").get<std::string>();
    }
    std::string folder = workspace_.open(uri, std::move(text), version);
    if (!folder.empty()) changed(folder);
    return;
  }
  if (method == "textDocument/didClose") {
    std::string folder = workspace_.close(params.at("textDocument").at("uri").get<std::string>());
    if (!folder.empty()) changed(folder);
    return;
  }
  if (method == "textDocument/didSave") {
    std::string uri = params.at("textDocument").at("uri").get<std::string>();
    const Document* document = workspace_.document(uri);
    std::string folder = rules_folder_of(document ? document->path : uri_to_path(uri));
    if (!folder.empty()) changed(folder);
    return;
  }
  if (method == "workspace/didChangeWatchedFiles") {
    std::set<std::string> folders;
    for (const auto& change : params.at("changes")) folders.insert(rules_folder_of(uri_to_path(change.at("uri").get<std::string>())));
    for (const auto& folder : folders) {
      if (!folder.empty()) changed(folder);
    }
    return;
  }
  if (!request) return;  // other notifications ($/cancelRequest, $/setTrace, ...) need nothing
  if (method == "textDocument/hover" || method == "textDocument/definition" || method == "textDocument/references" ||
      method == "textDocument/completion") {
    std::string line_before;
    auto where = place(params, &line_before);
    if (method == "textDocument/completion") {
      std::string uri = params.at("textDocument").at("uri").get<std::string>();
      const Document* document = workspace_.document(uri);
      std::string path = document ? document->path : uri_to_path(uri);
      if (is_cases(path)) return reply(id, case_completion(where ? where->snapshot : nullptr, line_before));
      if (!where) return reply(id, Json::array());
      return reply(id, completion(*where, line_before));
    }
    if (!where) return reply(id, method == "textDocument/references" ? Json::array() : Json(nullptr));
    if (method == "textDocument/hover") return reply(id, hover(*where));
    if (method == "textDocument/definition") return reply(id, definition(*where));
    bool with_declaration = true;
    if (params.contains("context") && params["context"].contains("includeDeclaration")) {
      with_declaration = params["context"]["includeDeclaration"].get<bool>();
    }
    return reply(id, references(*where, with_declaration));
  }
  if (method == "textDocument/formatting") {
    std::string uri = params.at("textDocument").at("uri").get<std::string>();
    const Document* document = workspace_.document(uri);
    std::string path = document ? document->path : uri_to_path(uri);
    if (is_cases(path)) return reply(id, Json::array());  // `triage fmt` formats rule files only
    std::string text;
    if (document) text = document->text;
    else if (!read_text_file(path, text)) return reply_error(id, rpc_error::request_failed, "cannot read " + path);
    std::string error;
    auto edits = formatting(file_name(path), text, utf16_, error);
    if (!edits) return reply_error(id, rpc_error::request_failed, error);
    return reply(id, *edits);
  }
  if (method == "textDocument/documentSymbol") {
    std::string uri = params.at("textDocument").at("uri").get<std::string>();
    const Document* document = workspace_.document(uri);
    std::string path = document ? document->path : uri_to_path(uri);
    std::string folder = rules_folder_of(path);
    if (folder.empty() || is_cases(path)) return reply(id, Json::array());
    return reply(id, document_symbols(*workspace_.snapshot(folder), file_name(path), utf16_));
  }
  if (method == "workspace/symbol") {
    std::string query = params.contains("query") ? params["query"].get<std::string>() : "";
    std::vector<std::shared_ptr<const FolderSnapshot>> kept;
    std::vector<const FolderSnapshot*> snapshots;
    for (const auto& folder : workspace_.folders()) {
      kept.push_back(workspace_.snapshot(folder));
      snapshots.push_back(kept.back().get());
    }
    return reply(id, workspace_symbols(snapshots, query, utf16_));
  }
  if (method == "textDocument/codeAction") {
    std::string uri = params.at("textDocument").at("uri").get<std::string>();
    const Json& context = params.at("context");
    // Witness intakes go to RULES/tests/witnesses.cases (as open in the editor, else as on disk).
    std::optional<CasesTarget> cases;
    const Document* document = workspace_.document(uri);
    std::string folder = rules_folder_of(document ? document->path : uri_to_path(uri));
    if (!folder.empty()) {
      std::string path = (fs::path(folder) / "tests" / "witnesses.cases").string();
      cases = CasesTarget{path_to_uri(path), std::nullopt};
      for (const auto& [open_uri, open] : workspace_.documents()) {
        if (open.path == path) cases = CasesTarget{open_uri, open.text};
      }
      std::string text;
      if (!cases->text && read_text_file(path, text)) cases->text = text;
    }
    return reply(id, code_actions(uri, context.contains("diagnostics") ? context["diagnostics"] : Json::array(), cases));
  }
  if (method == "textDocument/codeLens") {
    std::string uri = params.at("textDocument").at("uri").get<std::string>();
    const Document* document = workspace_.document(uri);
    std::string path = document ? document->path : uri_to_path(uri);
    std::string folder = rules_folder_of(path);
    if (folder.empty()) return reply(id, Json::array());
    if (!is_cases(path)) return reply(id, red_flag_lenses(*workspace_.snapshot(folder), uri, file_name(path), utf16_));
    std::string text;
    if (document) text = document->text;
    else if (!read_text_file(path, text)) return reply(id, Json::array());
    return reply(id, case_lenses(uri, file_name(path), text, utf16_));
  }
  if (method == "workspace/executeCommand") return reply(id, execute_command(params));
  reply_error(id, rpc_error::method_not_found, "unknown method `" + method + "`");
}

Json Server::execute_command(const Json& params) {
  std::string command = params.at("command").get<std::string>();
  auto names = command_names();
  if (std::find(names.begin(), names.end(), command) == names.end()) throw InvalidParams("unknown command `" + command + "`");
  const Json& arguments = params.at("arguments");
  if (!arguments.is_array() || arguments.empty() || !arguments[0].is_object()) {
    throw InvalidParams("`arguments` must hold one object");
  }
  const Json& argument = arguments[0];
  std::string uri = argument.at("uri").get<std::string>();
  const Document* document = workspace_.document(uri);
  std::string path = document ? document->path : uri_to_path(uri);
  std::string folder = rules_folder_of(path);
  if (folder.empty()) throw RequestFailed(path + " is in no rules folder (a *.rules file, or a *.cases file in RULES/tests/)");
  // The folder's rules as the editor holds them: unsaved buffers over the files on disk.
  auto snapshot = workspace_.snapshot(folder);
  if (!snapshot->loaded.ruleset) {
    std::string first;
    for (const auto& d : snapshot->loaded.diagnostics) {
      if (d.severity != Severity::error) continue;
      first = d.location.file + ":" + std::to_string(d.location.line) + ": " + d.message;
      break;
    }
    throw RequestFailed("the rules in " + folder + " do not load, so nothing can run; fix the errors first" +
                        (first.empty() ? std::string() : " (" + first + ")"));
  }
  const CompiledRuleset& ruleset = *snapshot->loaded.ruleset;
  std::optional<CommandOutcome> outcome;
  if (command == witness_command) {
    std::string flag = argument.at("flag").get<std::string>();
    outcome = show_witness(ruleset, flag);
    if (!outcome) throw RequestFailed("the rules have no red flag `" + flag + "` (renamed since the lens was shown?)");
  } else {
    if (!is_cases(path)) throw InvalidParams(path + " is not a .cases file");
    std::string text;
    if (document) text = document->text;
    else if (!read_text_file(path, text)) throw RequestFailed("cannot read " + path);
    std::string name = command == run_case_command ? argument.at("case").get<std::string>() : std::string();
    std::optional<std::size_t> line;
    if (argument.contains("line")) line = argument["line"].get<std::size_t>();
    outcome = run_case_file(ruleset, file_name(path), text, name, line);
    if (!outcome) throw RequestFailed("no case \"" + name + "\" in " + file_name(path) + " (renamed since the lens was shown?)");
  }
  notify("window/showMessage", {{"type", outcome->message_type}, {"message", outcome->message}});
  return outcome->result;
}

void Server::changed(const std::string& folder) {
  auto snapshot = workspace_.refresh(folder);
  std::uint64_t generation = ++generation_[folder];
  const AnalysisReport* report = nullptr;
  if (snapshot->loaded.ruleset && options_.analysis) {
    auto cached = reports_.find(snapshot->loaded.ruleset->model->hash);
    if (cached != reports_.end()) {
      report = cached->second.get();
    } else {
      {
        std::lock_guard lock(jobs_mutex_);
        jobs_[folder] = AnalysisJob{snapshot, generation};  // the latest change replaces one not yet started
      }
      jobs_changed_.notify_all();
    }
  }
  publish(*snapshot, report);
}

Json Server::case_diagnostics(const FolderSnapshot& snapshot, const Document& document) const {
  std::string name = file_name(document.path);
  Diagnostics diagnostics;
  if (snapshot.loaded.ruleset) {
    TestReport report = run_cases(*snapshot.loaded.ruleset, {{name, document.text}});
    diagnostics = report.diagnostics;
    for (const auto& result : report.results) {
      if (result.passed()) continue;
      std::string failures;
      for (const auto& failure : result.failures) failures += "\n- " + failure;
      diagnostics.push_back({"failing-tests", Severity::error, result.location, "case \"" + result.name + "\" fails:" + failures, {}});
    }
  } else {
    parse_cases(name, document.text, diagnostics);
  }
  TextIndex text(document.text, utf16_);
  Json out = Json::array();
  for (const auto& d : diagnostics) out.push_back(lsp_diagnostic(d, text));
  return out;
}

void Server::publish(const FolderSnapshot& snapshot, const AnalysisReport* report) {
  // Open documents keep the URI the client gave them.
  std::map<std::string, const Document*> open;  // path -> document
  for (const auto& [uri, document] : workspace_.documents()) open[document.path] = &document;
  std::map<std::string, Json> by_file;
  for (const auto& [file, diagnostics] : snapshot.diagnostics_by_file()) {
    const SourceFile* source = snapshot.source(file);
    if (!source || !snapshot.paths.count(file)) continue;
    TextIndex text(source->text(), utf16_);
    Json& list = by_file[file] = Json::array();
    for (const auto& d : diagnostics) list.push_back(lsp_diagnostic(d, text));
  }
  if (report) {
    for (const auto& finding : report->findings) {
      const std::string& file = finding.diagnostic.location.file;
      const SourceFile* source = snapshot.source(file);
      if (!source || !by_file.count(file)) continue;
      by_file[file].push_back(lsp_finding(finding, TextIndex(source->text(), utf16_)));
    }
  }
  std::set<std::string> uris;
  auto send_for = [&](const std::string& path, Json diagnostics) {
    auto document = open.find(path);
    std::string uri = document != open.end() ? document->second->uri : path_to_uri(path);
    Json params = {{"uri", uri}, {"diagnostics", std::move(diagnostics)}};
    if (document != open.end()) params["version"] = document->second->version;
    uris.insert(uri);
    notify("textDocument/publishDiagnostics", std::move(params));
  };
  for (auto& [file, diagnostics] : by_file) send_for(snapshot.paths.at(file), std::move(diagnostics));
  for (const auto& [path, document] : open) {
    if (is_cases(path) && rules_folder_of(path) == snapshot.folder) send_for(path, case_diagnostics(snapshot, *document));
  }
  // Files that had diagnostics and are gone from the folder (renamed, closed unsaved): clear them.
  auto& before = published_[snapshot.folder];
  for (const auto& uri : before) {
    if (!uris.count(uri)) notify("textDocument/publishDiagnostics", {{"uri", uri}, {"diagnostics", Json::array()}});
  }
  before = std::move(uris);
}

void Server::analysis_worker() {
  while (true) {
    AnalysisJob job;
    std::string folder;
    {
      std::unique_lock lock(jobs_mutex_);
      jobs_changed_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      folder = jobs_.begin()->first;
      job = std::move(jobs_.begin()->second);
      jobs_.erase(jobs_.begin());
      analysing_ = true;
    }
    std::shared_ptr<const AnalysisReport> report;
    try {
      report = std::make_shared<const AnalysisReport>(analyze(*job.snapshot->loaded.ruleset));
    } catch (const std::exception& e) {
      // The analysis is the engine's; if it fails, say so in the editor's log and keep serving.
      notify("window/logMessage", {{"type", 1}, {"message", std::string("triage: the safety analysis failed: ") + e.what()}});
    }
    if (report) {
      std::lock_guard lock(mutex_);
      const std::string& hash = job.snapshot->loaded.ruleset->model->hash;
      if (!reports_.count(hash)) {
        reports_[hash] = report;
        report_order_.push_back(hash);
        if (report_order_.size() > kept_reports) {
          reports_.erase(report_order_.front());
          report_order_.erase(report_order_.begin());
        }
      }
      // Publish only when no change came since: a newer job is queued for it otherwise.
      if (generation_[folder] == job.generation && !exited_) publish(*job.snapshot, report.get());
    }
    {
      std::lock_guard lock(jobs_mutex_);
      analysing_ = false;
    }
    jobs_changed_.notify_all();
  }
}

void Server::wait_for_analysis() {
  std::unique_lock lock(jobs_mutex_);
  jobs_changed_.wait(lock, [&] { return stopping_ || (jobs_.empty() && !analysing_); });
}

int run_server(std::istream& in, std::ostream& out, ServerOptions options) {
  Server server(
      [&out](const std::string& body) {
        out << frame(body);
        out.flush();
      },
      options);
  std::string body;
  while (!server.exited()) {
    FrameStatus status = read_frame(in, body);
    if (status == FrameStatus::end) break;
    if (status == FrameStatus::bad_header) server.bad_frame(body);
    else server.handle(body);
  }
  // The client went away without `exit` (or sent it before `shutdown`): LSP asks for exit code 1.
  return server.exited() ? server.exit_code() : 1;
}

}  // namespace triage::lsp
