#include "serve/triage_service.hpp"

#include <thread>

#include "api/answers_proto.hpp"
#include "api/decision_record.hpp"
#include "api/decision_proto.hpp"
#include "eval/evaluator.hpp"
#include "intake/intake.hpp"

namespace triage {
namespace {

constexpr std::size_t max_request_id = 128;
constexpr std::size_t max_client_id = 128;

std::string outcome_name(const v1::Decision& decision) { return v1::Outcome_Name(decision.outcome()); }

// Characters, not bytes: the API promises 128 characters.
std::size_t utf8_length(const std::string& text) {
  std::size_t count = 0;
  for (char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return count;
}

}  // namespace

std::string client_identity(const grpc::ServerContextBase& context) {
  auto auth = context.auth_context();
  if (auth && auth->IsPeerAuthenticated()) {
    for (const char* property : {"x509_subject", "x509_common_name"}) {
      auto values = auth->FindPropertyValues(property);
      if (!values.empty()) return "cert:" + std::string(values.front().data(), values.front().size());
    }
  }
  const auto& metadata = context.client_metadata();
  auto id = metadata.find("x-client-id");
  if (id != metadata.end()) {
    std::string value(id->second.data(), std::min(id->second.size(), max_client_id));
    return "id:" + value;
  }
  return "peer:" + context.peer();
}

TriageService::TriageService(std::shared_ptr<const ServedRuleset> served, AuditLog& audit,
                             std::shared_ptr<EventLog> log, std::function<void(bool)> on_audit_health,
                             Reloader reloader, AdminCheck is_admin)
    : served_(std::move(served)),
      audit_(audit),
      log_(std::move(log)),
      on_audit_health_(std::move(on_audit_health)),
      reloader_(std::move(reloader)),
      is_admin_(std::move(is_admin)) {
  SetMessageAllocatorFor_Evaluate(&allocator_);
}

grpc::ServerUnaryReactor* TriageService::ReloadRules(grpc::CallbackServerContext* context,
                                                     const v1::ReloadRulesRequest*, v1::ReloadResult* response) {
  auto* reactor = context->DefaultReactor();
  std::string client = client_identity(*context);
  if (!is_admin_(*context)) {
    log_->warn("reload_refused", {{"client", client}, {"reason", "not an admin"}});
    reactor->Finish(grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                                 "ReloadRules needs an admin client certificate (see --admin-subjects)"));
    return reactor;
  }
  // Checking a candidate can take a while; keep it off the gRPC callback threads, one at a time.
  bool expected = false;
  if (!reload_running_.compare_exchange_strong(expected, true)) {
    reactor->Finish(grpc::Status(grpc::StatusCode::ABORTED, "a reload is already running; try again when it ends"));
    return reactor;
  }
  std::thread([this, reactor, response, client] {
    *response = reloader_("rpc");
    reload_running_ = false;
    reactor->Finish(grpc::Status::OK);
  }).detach();
  return reactor;
}

grpc::ServerUnaryReactor* TriageService::Evaluate(grpc::CallbackServerContext* context,
                                                  const v1::EvaluateRequest* request, v1::Decision* response) {
  auto* reactor = context->DefaultReactor();
  auto started = std::chrono::steady_clock::now();
  std::string client = client_identity(*context);
  // The log line says why without repeating anything the patient answered.
  auto refuse = [&](grpc::StatusCode code, const std::string& message, const std::string& logged_reason) {
    log_->warn("refused", {{"code", std::to_string(static_cast<int>(code)), true}, {"client", client},
                           {"request_id", request->request_id().substr(0, max_request_id)}, {"reason", logged_reason}});
    reactor->Finish(grpc::Status(code, message));
    return reactor;
  };
  std::size_t id_characters = utf8_length(request->request_id());
  if (id_characters > max_request_id) {
    return refuse(grpc::StatusCode::INVALID_ARGUMENT,
                  "request_id is " + std::to_string(id_characters) + " characters; at most " +
                      std::to_string(max_request_id) + " are allowed",
                  "request_id too long");
  }
  if (context->deadline() <= std::chrono::system_clock::now()) {
    return refuse(grpc::StatusCode::DEADLINE_EXCEEDED, "the deadline passed before the call was decided",
                  "deadline passed");
  }
  std::shared_ptr<const ServedRuleset> served = this->served();
  const CompiledRuleset& ruleset = *served->ruleset;
  std::vector<IntakeError> errors;
  std::vector<RawAnswer> raw = raw_answers(*request, errors);
  IntakeResult intake = validate_answers(ruleset, raw);
  errors.insert(errors.end(), intake.errors.begin(), intake.errors.end());
  if (!errors.empty()) {
    std::string message = "invalid answer: " + errors.front().message;
    std::string facts = errors.front().fact;
    for (std::size_t i = 1; i < errors.size(); ++i) {
      message += "; " + errors[i].message;
      facts += "," + errors[i].fact;
    }
    return refuse(grpc::StatusCode::INVALID_ARGUMENT, message, "invalid answers for " + facts);
  }
  Evaluation evaluation = evaluate(ruleset, intake.answers);
  AuditRecord record;
  record.decision_id = new_decision_id();
  record.decided_at_micros = now_micros();
  record.client = client;
  record.request_id = request->request_id();
  record.ruleset_hash = ruleset.model->hash;
  fill_decision(ruleset, evaluation, record.decision_id, record.decided_at_micros, request->request_id(), *response);
  record.answers = canonical_answers_json(std::move(raw));
  record.decision = decision_record_json(ruleset, evaluation);
  std::string decision_id = record.decision_id;
  // Finished from the audit writer once the batch holding this decision is durable.
  audit_.append(std::move(record), [this, reactor, response, started, client, decision_id,
                                    request_id = request->request_id()](bool ok, const std::string& error) {
    on_audit_health_(ok);
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
    if (!ok) {
      log_->error("audit_write_failed", {{"decision_id", decision_id}, {"client", client}, {"error", error}});
      response->Clear();
      reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                   "the decision could not be written to the audit log, so it was not returned; "
                                   "retry later"));
      return;
    }
    std::vector<LogField> fields{{"decision_id", decision_id},
                                 {"outcome", outcome_name(*response)},
                                 {"latency_us", std::to_string(micros.count()), true},
                                 {"client", client},
                                 {"request_id", request_id}};
    if (response->has_urgency()) fields.insert(fields.begin() + 2, {"urgency", v1::Urgency_Name(response->urgency())});
    log_->info("decision", fields);
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

grpc::ServerUnaryReactor* TriageService::GetQuestionnaire(grpc::CallbackServerContext* context,
                                                          const v1::GetQuestionnaireRequest*,
                                                          v1::Questionnaire* response) {
  *response = served()->questionnaire;
  auto* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* TriageService::GetRuleset(grpc::CallbackServerContext* context,
                                                    const v1::GetRulesetRequest*, v1::RulesetInfo* response) {
  *response = served()->info;
  auto* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace triage
