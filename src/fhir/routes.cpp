#include "fhir/routes.hpp"

#include <cctype>
#include <chrono>

#include "api/answers_proto.hpp"
#include "api/decision_proto.hpp"
#include "eval/evaluator.hpp"
#include "fhir/capability.hpp"
#include "fhir/guidance.hpp"
#include "fhir/next_question.hpp"
#include "fhir/questionnaire.hpp"
#include "fhir/response.hpp"
#include "intake/intake.hpp"
#include "util/json_text.hpp"

namespace triage::fhir {
namespace {

constexpr std::size_t max_depth = 64;
constexpr const char* fhir_json = "application/fhir+json";
constexpr const char* plain_json = "application/json";

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

std::string header(const Headers& headers, std::string_view name) {
  std::string wanted = lower(name);
  for (const auto& [key, value] : headers) {
    if (lower(key) == wanted) return value;
  }
  return "";
}

// Deepest nesting of arrays and objects in `text` (strings skipped), so deep input is refused before
// any recursive walk sees it.
std::size_t nesting(std::string_view text) {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

// Resources and errors may quote the request path, which need not be UTF-8: such bytes become U+FFFD
// (dump() would throw).
std::string dumped(const Json& json) { return json.dump(-1, ' ', false, Json::error_handler_t::replace); }

HttpResult fhir_result(int status, const Json& resource) { return {status, fhir_json, dumped(resource), {}, {}}; }

HttpResult fhir_error(int status, const std::string& code, const std::string& message, const std::string& path = "") {
  return fhir_result(status, operation_outcome({{code, message, path}}));
}

HttpResult cds_result(int status, const Json& body) { return {status, plain_json, dumped(body), {}, {}}; }

HttpResult cds_error(int status, const std::string& message) { return cds_result(status, {{"error", message}}); }

// The body as JSON; an error result when it is not (bad media type, too deep, not JSON).
bool parse_body(std::string_view body, const Headers& headers, Json& out, HttpResult& error, bool fhir) {
  std::string type = lower(header(headers, "content-type"));
  if (!type.empty() && type.find("json") == std::string::npos) {
    error = fhir ? fhir_error(415, "not-supported", "send application/fhir+json (or application/json)")
                 : cds_error(415, "send application/json");
    return false;
  }
  if (nesting(body) > max_depth) {
    error = fhir ? fhir_error(400, "too-costly", "the JSON nests deeper than 64 levels")
                 : cds_error(400, "the JSON nests deeper than 64 levels");
    return false;
  }
  out = Json::parse(body.begin(), body.end(), nullptr, false);
  if (out.is_discarded()) {
    error = fhir ? fhir_error(400, "structure", "the body is not JSON") : cds_error(400, "the body is not JSON");
    return false;
  }
  return true;
}

DecisionSubject about(const ResponseAnswers& answers) {
  DecisionSubject out;
  out.subject = answers.subject;
  out.encounter = answers.encounter;
  if (!answers.id.empty()) out.response_reference = "QuestionnaireResponse/" + answers.id;
  out.request_id = to_evaluate_request(answers).request_id();
  return out;
}

struct Read {
  std::shared_ptr<const CompiledRuleset> ruleset;
  v1::Questionnaire questionnaire;
  ResponseAnswers answers;
};

// Reads and checks the response in `body`; false with a 400 OperationOutcome in `error`.
bool read_checked(const Json& response, FhirService& service, Read& read) {
  read.ruleset = service.ruleset();
  read.questionnaire = to_questionnaire(*read.ruleset);
  read.answers = read_response(response, read.questionnaire, service.names);
  if (read.answers.issues.empty()) check_answers(*read.ruleset, read.answers);
  return read.answers.issues.empty();
}

HttpResult decide_error(const Decided& decided) {
  return fhir_error(decided.status, decided.status >= 500 ? "transient" : "invalid", decided.error);
}

using Reply = std::function<void(HttpResult)>;

HttpResult malformed(bool fhir, const std::exception& e) {
  return fhir ? fhir_error(400, "structure", std::string("malformed input: ") + e.what())
              : cds_error(400, std::string("malformed input: ") + e.what());
}

void post_fhir_operation(std::string_view body, const Headers& headers, FhirService& service, bool next,
                         std::string_view client, Reply reply) {
  // The input and what was read from it stay alive until the decision comes back.
  struct State {
    Json input;
    const Json* response = nullptr;
    Read read;
  };
  auto state = std::make_shared<State>();
  HttpResult error;
  if (!parse_body(body, headers, state->input, error, true)) return reply(std::move(error));
  std::vector<Issue> issues;
  state->response = unwrap_response(state->input, issues);
  if (state->response == nullptr) return reply(fhir_result(400, operation_outcome(issues)));
  if (!read_checked(*state->response, service, state->read)) {
    return reply(fhir_result(400, operation_outcome(state->read.answers.issues)));
  }
  const CompiledRuleset& ruleset = *state->read.ruleset;
  std::string who = client.empty() ? "fhir" : "fhir:" + std::string(client);
  service.decide(ruleset, to_evaluate_request(state->read.answers), who,
                 [state, next, names = service.names, reply = std::move(reply)](Decided decided) {
                   if (!decided.ok) return reply(decide_error(decided));
                   const Read& read = state->read;
                   HttpResult result;
                   try {
                     DecisionSubject subject = about(read.answers);
                     subject.response = *state->response;
                     result = next ? fhir_result(200, next_question(*state->response, read.questionnaire, decided.decision, names))
                                   : fhir_result(200, decision_bundle(decided.decision, read.questionnaire, subject, names));
                   } catch (const nlohmann::json::exception& e) {
                     result = malformed(true, e);
                   }
                   reply(std::move(result));
                 });
}

std::int64_t now_seconds(const FhirService& service) {
  if (service.now_seconds) return service.now_seconds();
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Checks the bearer token; fills `result` (401) and returns false when refused.
bool authorized(const Headers& headers, const std::string& service_id, const std::string& path, FhirService& service,
                cds::JwtResult& jwt, HttpResult& result) {
  auto unauthorized = [&](const std::string& code, const std::string& message) {
    result = cds_error(401, message);
    result.headers.push_back({"WWW-Authenticate", "Bearer error=\"invalid_token\", error_description=\"" + code + "\""});
    return false;
  };
  if (!service.verifier) return unauthorized("not_configured", "no trusted CDS clients are configured (--cds-jwks)");
  std::string authorization = header(headers, "authorization");
  if (lower(authorization.substr(0, 7)) != "bearer ") {
    return unauthorized("missing_token", "an `Authorization: Bearer <JWT>` header is required");
  }
  std::string token = authorization.substr(7);
  std::string endpoint = service.base_url + "/cds-services/" + service_id;
  std::int64_t now = now_seconds(service);
  jwt = service.verifier->verify(token, endpoint, now);
  if (jwt.status == cds::JwtStatus::wrong_audience && path != endpoint.substr(service.base_url.size())) {
    // The feedback endpoint may also be named as the audience.
    jwt = service.verifier->verify(token, service.base_url + path, now);
  }
  if (jwt.status != cds::JwtStatus::ok) return unauthorized(cds::jwt_status_name(jwt.status), jwt.message);
  return true;
}

HttpResult unreadable_card(const Read& read, const FhirNames& names) {
  std::string detail = "The latest back-pain QuestionnaireResponse could not be read:\n\n";
  for (const auto& issue : read.answers.issues) detail += "- `" + issue.expression + "`: " + issue.message + "\n";
  Json card = {{"uuid", new_uuid()},
               {"summary", "Back-pain questionnaire on file could not be read; triage not done"},
               {"detail", detail},
               {"indicator", "warning"},
               {"source", {{"label", "Back-pain triage rules " + read.ruleset->model->hash.substr(0, 19)}}}};
  return cds_result(200, {{"cards", Json::array({std::move(card)})}});
}

// Decides from the QuestionnaireResponse `response` (from the prefetch or the fhirServer) and
// replies with its card.
void decide_hook(const cds::HookRequest& request, const Json& response, FhirService& service,
                 const cds::JwtResult& jwt, Reply reply) {
  auto read = std::make_shared<Read>();
  if (!read_checked(response, service, *read)) return reply(unreadable_card(*read, service.names));
  std::string client = jwt.issuer + (jwt.subject.empty() ? "" : "#" + jwt.subject);
  v1::EvaluateRequest evaluate = to_evaluate_request(read->answers);
  if (evaluate.request_id().empty() && request.hook_instance.size() <= 128) evaluate.set_request_id(request.hook_instance);
  DecisionSubject subject = about(read->answers);
  if (subject.subject.is_null() && request.context.contains("patientId") && request.context["patientId"].is_string()) {
    subject.subject = {{"reference", "Patient/" + request.context["patientId"].get<std::string>()}};
  }
  if (subject.encounter.is_null() && request.context.contains("encounterId") && request.context["encounterId"].is_string()) {
    subject.encounter = {{"reference", "Encounter/" + request.context["encounterId"].get<std::string>()}};
  }
  const CompiledRuleset& ruleset = *read->ruleset;
  service.decide(ruleset, evaluate, client,
                 [read, subject = std::move(subject), names = service.names, reply = std::move(reply)](Decided decided) {
                   if (!decided.ok) return reply(cds_error(decided.status, decided.error));
                   HttpResult result;
                   try {
                     Json referral;
                     if (decided.decision.outcome() == v1::refer) referral = referral_request(decided.decision, subject, names);
                     Json card = cds::decision_card(decided.decision, read->questionnaire, referral, names);
                     result = cds_result(200, {{"cards", Json::array({std::move(card)})}});
                   } catch (const nlohmann::json::exception& e) {
                     result = malformed(false, e);
                   }
                   reply(std::move(result));
                 });
}

// No response the hook may decide from: no cards when there was none, else a card saying that
// what was on file was not used (another patient's, or withdrawn) and a warning in the log,
// neither with any answer in it.
HttpResult nothing_usable(const cds::ResponseChoice& choice, const FhirService& service) {
  if (choice.other_patient == 0 && choice.not_decidable == 0) return cds_result(200, {{"cards", Json::array()}});
  std::string label = "Back-pain triage rules";
  if (auto ruleset = service.ruleset ? service.ruleset() : nullptr) label += " " + ruleset->model->hash.substr(0, 19);
  HttpResult result = cds_result(200, {{"cards", Json::array({cds::ignored_response_card(choice, label)})}});
  result.log_note = "questionnaire responses not used: " + std::to_string(choice.other_patient) + " about another patient, " +
                    std::to_string(choice.not_decidable) + " entered-in-error or stopped";
  return result;
}

// The hook came without its prefetch but with a fhirServer the operator allows: fetch the
// patient's latest response with the prefetch's own search, then decide as with a prefetch.
void fetch_and_decide(std::shared_ptr<cds::HookRequest> request, FhirService& service, const cds::JwtResult& jwt,
                      Reply reply) {
  const Json& context = request->context;
  if (!context.contains("patientId") || !context["patientId"].is_string() ||
      context["patientId"].get<std::string>().empty()) {
    return reply(cds_error(400, "`context.patientId` is required to query the fhirServer"));
  }
  std::string server = request->fhir_server;
  while (!server.empty() && server.back() == '/') server.pop_back();
  std::string url = server + "/" + cds::response_search(service.names, context["patientId"].get<std::string>());
  service.fetch(url, request->fhir_access_token, [request, &service, jwt, reply = std::move(reply)](Fetched fetched) {
    if (!fetched.ok) {
      HttpResult failed = cds_error(fetched.status, "fhirServer: " + fetched.error);
      failed.log_note = "fhirServer: " + fetched.error;
      return reply(std::move(failed));
    }
    Reply fallback = reply;
    try {
      Json bundle;
      if (nesting(fetched.body) <= max_depth) bundle = Json::parse(fetched.body, nullptr, false);
      if (!bundle.is_object() || string_member(bundle, "resourceType") != "Bundle" || string_member(bundle, "type") != "searchset" ||
          (bundle.contains("entry") && !bundle["entry"].is_array())) {
        HttpResult refused = cds_error(502, "fhirServer: the answer to the QuestionnaireResponse search is not a searchset Bundle");
        refused.log_note = "fhirServer answer is not a searchset Bundle";
        return reply(std::move(refused));
      }
      cds::ResponseChoice choice = cds::choose_response(bundle, cds::hook_patient(request->context));
      if (choice.response.is_null()) return reply(nothing_usable(choice, service));
      decide_hook(*request, choice.response, service, jwt, std::move(reply));
    } catch (const nlohmann::json::exception& e) {
      fallback(malformed(false, e));
    }
  });
}

void post_hook(const std::string& service_id, std::string_view body, const Headers& headers, FhirService& service,
               const cds::JwtResult& jwt, Reply reply) {
  Json input;
  HttpResult error;
  if (!parse_body(body, headers, input, error, false)) return reply(std::move(error));
  std::string why;
  auto request = cds::parse_hook_request(input, service_id, why);
  if (!request) return reply(cds_error(400, why));
  if (request->response.is_null()) {
    if (request->prefetch_given && !input["prefetch"]["questionnaireResponse"].is_null()) {
      // The search found no usable response: nothing to say, or why what it found was not used.
      return reply(nothing_usable({Json(), request->other_patient, request->not_decidable}, service));
    }
    if (request->fhir_server.empty()) {
      return reply(cds_error(412, "prefetch `questionnaireResponse` is missing and no fhirServer was given"));
    }
    std::string as_called;
    if (!service.fetch || !cds::fhir_server_allowed(request->fhir_server, service.fhir_servers, why, &as_called)) {
      return reply(cds_error(412, "prefetch `questionnaireResponse` is missing and the fhirServer is not queried: " +
                                      (service.fetch ? why : std::string("this server fetches from no FHIR server"))));
    }
    request->fhir_server = as_called;  // the parsed, normalised URL the allow-list accepted
    return fetch_and_decide(std::make_shared<cds::HookRequest>(std::move(*request)), service, jwt, std::move(reply));
  }
  decide_hook(*request, request->response, service, jwt, std::move(reply));
}

void post_feedback(const std::string& service_id, std::string_view body, const Headers& headers,
                   FhirService& service, const cds::JwtResult& jwt, Reply reply) {
  Json input;
  HttpResult error;
  if (!parse_body(body, headers, input, error, false)) return reply(std::move(error));
  std::vector<std::string> errors;
  auto entries = cds::parse_feedback(input, service.names.override_reason_system(), errors);
  if (!errors.empty()) {
    std::string message;
    for (const auto& e : errors) message += (message.empty() ? "" : "; ") + e;
    return reply(cds_error(400, message));
  }
  if (!service.record_feedback) return reply(cds_error(501, "this server does not store feedback"));
  std::vector<FeedbackRecord> records;
  records.reserve(entries.size());
  for (auto& entry : entries) records.push_back({service_id, jwt.issuer, jwt.subject, std::move(entry)});
  // Entries before a refused one stay stored; a retried post stores nothing twice.
  service.record_feedback(std::move(records), [reply = std::move(reply)](FeedbackResult result) {
    switch (result.status) {
      case FeedbackStored::stored:
      case FeedbackStored::duplicate:
        return reply(cds_result(200, Json::object()));
      case FeedbackStored::unknown_card:
        return reply(cds_error(404, result.error));
      case FeedbackStored::other_issuer:
        return reply(cds_error(403, result.error));
      case FeedbackStored::failed:
        return reply(cds_error(503, result.error));
    }
  });
}

// The query parameters of `target`, percent-decoded ('+' is a space), in order.
std::vector<std::pair<std::string, std::string>> query_parameters(std::string_view target) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t question = target.find('?');
  if (question == std::string_view::npos) return out;
  auto decode = [](std::string_view text) {
    std::string value;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '+') {
        value += ' ';
      } else if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
                 std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
        value += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        value += text[i];
      }
    }
    return value;
  };
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    std::size_t equals = pair.find('=');
    out.emplace_back(decode(pair.substr(0, equals)), equals == std::string_view::npos ? "" : decode(pair.substr(equals + 1)));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

// 406 when the client asks for a format other than JSON: `_format=xml` (or a FHIR XML type), or an
// Accept header that names XML and neither JSON nor a wildcard. This server speaks FHIR JSON only.
bool wants_other_format(std::string_view target, const Headers& headers, std::string& asked) {
  for (const auto& [name, value] : query_parameters(target)) {
    if (name != "_format") continue;
    std::string format = lower(value);
    if (format != "json" && format != "application/json" && format != "application/fhir+json") {
      asked = "_format=" + value;
      return true;
    }
  }
  std::string accept = lower(header(headers, "accept"));
  if (!accept.empty() && accept.find("json") == std::string::npos && accept.find("*/*") == std::string::npos &&
      accept.find("application/*") == std::string::npos) {
    asked = "Accept: " + header(headers, "accept");
    return true;
  }
  return false;
}

// GET /fhir/Questionnaire?url=<canonical>[|version]: a searchset Bundle with the served
// Questionnaire when the url names it (or no url is given), else an empty one.
Json questionnaire_search(std::string_view target, FhirService& service) {
  bool match = true;
  for (const auto& [name, value] : query_parameters(target)) {
    if (name == "url") match = value.substr(0, value.find('|')) == service.names.questionnaire_url();
  }
  Json bundle = {{"resourceType", "Bundle"}, {"type", "searchset"}, {"total", match ? 1 : 0}};
  if (match) {
    Json questionnaire = to_fhir_questionnaire(to_questionnaire(*service.ruleset()), service.names);
    bundle["entry"] = Json::array({{{"fullUrl", service.base_url + "/fhir/Questionnaire/" + questionnaire_id},
                                    {"resource", std::move(questionnaire)},
                                    {"search", {{"mode", "match"}}}}});
  }
  return bundle;
}

void route(std::string_view method, std::string_view target, const Headers& headers, std::string_view body,
           FhirService& service, std::string_view client, Reply& reply) {
  std::string path(target.substr(0, target.find('?')));
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const bool get = method == "GET";
  const bool post = method == "POST";
  auto wrong_method = [&](const char* allowed) {
    HttpResult r = path.starts_with("/fhir") ? fhir_error(405, "not-supported", "use " + std::string(allowed))
                                             : cds_error(405, "use " + std::string(allowed));
    r.headers.push_back({"Allow", allowed});
    return r;
  };
  if (std::string asked; path.starts_with("/fhir") && wants_other_format(target, headers, asked)) {
    return reply(fhir_error(406, "not-supported", "this server answers FHIR JSON only (application/fhir+json), not " +
                                                       valid_utf8(asked.substr(0, 120))));
  }
  if (path == "/fhir/Questionnaire") {
    if (!get) return reply(wrong_method("GET"));
    return reply(fhir_result(200, questionnaire_search(target, service)));
  }
  if (path == "/fhir/metadata") {
    if (!get) return reply(wrong_method("GET"));
    return reply(fhir_result(200, capability_statement(service.names, service.ruleset()->model->hash, service.loaded_at,
                                                 service.base_url.empty() ? "" : service.base_url + "/fhir")));
  }
  if (path == std::string("/fhir/Questionnaire/") + questionnaire_id) {
    if (!get) return reply(wrong_method("GET"));
    return reply(fhir_result(200, to_fhir_questionnaire(to_questionnaire(*service.ruleset()), service.names)));
  }
  if (path == "/fhir/OperationDefinition/evaluate") {
    if (!get) return reply(wrong_method("GET"));
    return reply(fhir_result(200, evaluate_operation_definition(service.names, service.loaded_at)));
  }
  if (path == "/fhir/Questionnaire/$next-question" ||
      path == std::string("/fhir/Questionnaire/") + questionnaire_id + "/$next-question") {
    if (!post) return reply(wrong_method("POST"));
    return post_fhir_operation(body, headers, service, true, client, std::move(reply));
  }
  if (path == "/fhir/QuestionnaireResponse/$evaluate") {
    if (!post) return reply(wrong_method("POST"));
    return post_fhir_operation(body, headers, service, false, client, std::move(reply));
  }
  if (path.starts_with("/fhir")) return reply(fhir_error(404, "not-found", "no such FHIR resource or operation: " + path));

  if (path == "/cds-services") {
    if (!get) return reply(wrong_method("GET"));
    return reply(cds_result(200, cds::discovery(service.names)));
  }
  const std::string prefix = "/cds-services/";
  if (path.starts_with(prefix)) {
    std::string rest = path.substr(prefix.size());
    bool feedback = rest.ends_with("/feedback");
    std::string id = feedback ? rest.substr(0, rest.size() - 9) : rest;
    if (cds::hook_of(id).empty()) return reply(cds_error(404, "no CDS service `" + id + "`"));
    if (!post) return reply(wrong_method("POST"));
    cds::JwtResult jwt;
    HttpResult refused;
    if (!authorized(headers, id, path, service, jwt, refused)) return reply(std::move(refused));
    if (feedback) return post_feedback(id, body, headers, service, jwt, std::move(reply));
    return post_hook(id, body, headers, service, jwt, std::move(reply));
  }
  return reply(cds_error(404, "not found: " + path));
}

}  // namespace

bool is_fhir_target(std::string_view target) {
  return target.starts_with("/fhir/") || target == "/fhir" || target.starts_with("/cds-services");
}

void handle_fhir_async(std::string_view method, std::string_view target, const Headers& headers,
                       std::string_view body, FhirService& service, std::function<void(HttpResult)> reply,
                       std::string_view client) {
  const bool fhir = target.starts_with("/fhir");
  // Kept for the error path: route() hands `reply` on (moved) only once it can no longer throw.
  Reply fallback = reply;
  try {
    route(method, target, headers, body, service, client, reply);
  } catch (const nlohmann::json::exception& e) {
    // A member of an unexpected JSON type deep inside an input.
    fallback(malformed(fhir, e));
  }
}

HttpResult handle_fhir(std::string_view method, std::string_view target, const Headers& headers, std::string_view body,
                       FhirService& service, std::string_view client) {
  std::promise<HttpResult> promise;
  auto result = promise.get_future();
  handle_fhir_async(method, target, headers, body, service,
                    [&promise](HttpResult reply) { promise.set_value(std::move(reply)); }, client);
  return result.get();
}

Decided decide_locally(const CompiledRuleset& ruleset, const v1::EvaluateRequest& request) {
  Decided out;
  std::vector<IntakeError> errors;
  std::vector<RawAnswer> raw = raw_answers(request, errors);
  IntakeResult intake = validate_answers(ruleset, raw);
  for (const auto& e : intake.errors) errors.push_back(e);
  if (!errors.empty()) {
    out.status = 400;
    for (const auto& e : errors) out.error += (out.error.empty() ? "invalid answer: " : "; ") + e.message;
    return out;
  }
  Evaluation evaluation = evaluate(ruleset, intake.answers);
  out.decision = to_decision_proto(ruleset, evaluation, new_decision_id(), now_micros(), request.request_id());
  out.ok = true;
  out.status = 200;
  return out;
}

}  // namespace triage::fhir
