#include "serve/triage_service.hpp"

#include <grpc/grpc_security_constants.h>

#include "api/answers_proto.hpp"
#include "serve/admin.hpp"
#include "util/json_text.hpp"
#include "serve/reloader.hpp"
#include "util/traceparent.hpp"

namespace triage {
namespace {

// The call's trace context: the caller's `traceparent` metadata continued (or a new trace),
// returned to the caller in the initial metadata.
TraceContext trace_call(grpc::CallbackServerContext* context) {
  const auto& metadata = context->client_metadata();
  auto found = metadata.find("traceparent");
  std::string_view header, state;
  if (found != metadata.end()) header = std::string_view(found->second.data(), found->second.size());
  if (auto given = metadata.find("tracestate"); given != metadata.end()) {
    state = std::string_view(given->second.data(), given->second.size());
  }
  TraceContext trace = continue_trace(header, state);
  context->AddInitialMetadata("traceparent", traceparent(trace));
  if (!trace.state.empty()) context->AddInitialMetadata("tracestate", trace.state);
  return trace;
}

grpc::Status to_grpc_status(const DecideStatus& status) {
  static constexpr grpc::StatusCode codes[] = {grpc::StatusCode::OK, grpc::StatusCode::INVALID_ARGUMENT,
                                               grpc::StatusCode::DEADLINE_EXCEEDED, grpc::StatusCode::UNAVAILABLE};
  return status.code == DecideCode::ok ? grpc::Status::OK
                                       : grpc::Status(codes[static_cast<int>(status.code)], status.message);
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
    std::string value(cut_utf8(std::string_view(id->second.data(), id->second.size()), max_client_id_characters));
    return "id:" + value;
  }
  return "peer:" + context.peer();
}

TriageService::TriageService(Decider& decider, std::shared_ptr<EventLog> log, Reloader& reloader, AdminPolicy admins)
    : decider_(decider), log_(std::move(log)), reloader_(reloader), admins_(std::move(admins)) {
  SetMessageAllocatorFor_Evaluate(&allocator_);
}

bool TriageService::is_admin(const grpc::ServerContextBase& context) const {
  if (!admins_.tls) return true;
  auto auth = context.auth_context();
  if (!auth || !auth->IsPeerAuthenticated()) return false;
  // The certificate itself, parsed attribute by attribute (never the subject's text).
  auto pem = auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (pem.empty()) return false;
  auto subject = certificate_subject(std::string_view(pem.front().data(), pem.front().size()));
  return subject && triage::is_admin(subject_names(*subject), admins_.admin_subjects);
}

void TriageService::finish(grpc::ServerUnaryReactor* reactor, GrpcMethod method, const grpc::Status& status) {
  if (ServiceMetrics* metrics = decider_.metrics()) metrics->grpc_request(method, static_cast<int>(status.error_code()));
  reactor->Finish(status);
}

bool TriageService::wait_idle(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(idle_mutex_);
  return idle_.wait_until(lock, deadline, [this] { return in_flight_.load() == 0; });
}

void TriageService::call_finished() {
  // The last call out wakes a shutdown waiting in wait_idle (under the mutex: no lost wake-up).
  if (--in_flight_ == 0 && draining_) {
    std::lock_guard<std::mutex> lock(idle_mutex_);
    idle_.notify_all();
  }
}

grpc::ServerUnaryReactor* TriageService::ReloadRules(grpc::CallbackServerContext* context,
                                                     const v1::ReloadRulesRequest* request, v1::ReloadResult* response) {
  auto* reactor = context->DefaultReactor();
  trace_call(context);
  std::string client = client_identity(*context);
  constexpr GrpcMethod method = GrpcMethod::reload_rules;
  if (!is_admin(*context)) {
    log_->warn("reload_refused", {{"client", client}, {"reason", "not an admin"}});
    finish(reactor, method,
           grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        "ReloadRules needs an admin client certificate (see --admin-subjects)"));
    return reactor;
  }
  if (request->allow_rollback()) log_->warn("reload_rollback_allowed", {{"client", client}});
  // Checking a candidate can take a while: the reloader's worker runs it, off the gRPC callback
  // threads, and finishes the call.
  bool posted = reloader_.post("rpc", [this, reactor, response](const v1::ReloadResult* result) {
    if (!result) {
      finish(reactor, method, grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is stopping"));
      return;
    }
    *response = *result;
    finish(reactor, method, grpc::Status::OK);
  }, request->allow_rollback());
  if (!posted) {
    finish(reactor, method,
           draining_ ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is stopping")
                     : grpc::Status(grpc::StatusCode::ABORTED, "a reload is already running; try again when it ends"));
  }
  return reactor;
}

grpc::ServerUnaryReactor* TriageService::Evaluate(grpc::CallbackServerContext* context,
                                                  const v1::EvaluateRequest* request, v1::Decision* response) {
  auto* reactor = context->DefaultReactor();
  TraceContext trace = trace_call(context);
  if (draining_) {
    finish(reactor, GrpcMethod::evaluate,
           grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is stopping; retry on another"));
    return reactor;
  }
  ++in_flight_;  // until the Decider's completion finishes the call
  DecideCall call;
  call.trace_id = std::move(trace.trace_id);
  call.client = client_identity(*context);
  call.request_id = request->request_id();
  call.deadline = context->deadline();
  call.raw = raw_answers(*request, call.errors);
  decider_.decide(std::move(call), *response, [this, reactor](const DecideStatus& status) {
    finish(reactor, GrpcMethod::evaluate, to_grpc_status(status));
    call_finished();
  });
  return reactor;
}

grpc::ServerUnaryReactor* TriageService::EvaluateBatch(grpc::CallbackServerContext* context,
                                                       const v1::EvaluateBatchRequest* request,
                                                       v1::EvaluateBatchResponse* response) {
  auto* reactor = context->DefaultReactor();
  TraceContext trace = trace_call(context);
  if (draining_) {
    finish(reactor, GrpcMethod::evaluate_batch,
           grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is stopping; retry on another"));
    return reactor;
  }
  ++in_flight_;  // until the Decider's completion finishes the call
  DecideBatchCall call;
  call.trace_id = std::move(trace.trace_id);
  call.client = client_identity(*context);
  call.request_id = request->request_id();
  call.deadline = context->deadline();
  if (static_cast<std::size_t>(request->intakes_size()) <= max_batch_intakes) {  // else refused as a whole
    call.items.resize(static_cast<std::size_t>(request->intakes_size()));
    for (int i = 0; i < request->intakes_size(); ++i) {
      DecideCall& item = call.items[static_cast<std::size_t>(i)];
      item.request_id = request->intakes(i).request_id();
      item.raw = raw_answers(request->intakes(i), item.errors);
    }
  } else {
    call.items.resize(static_cast<std::size_t>(request->intakes_size()));
  }
  decider_.decide_batch(std::move(call), *response, [this, reactor](const DecideStatus& status) {
    finish(reactor, GrpcMethod::evaluate_batch, to_grpc_status(status));
    call_finished();
  });
  return reactor;
}

grpc::ServerUnaryReactor* TriageService::GetQuestionnaire(grpc::CallbackServerContext* context,
                                                          const v1::GetQuestionnaireRequest*,
                                                          v1::Questionnaire* response) {
  trace_call(context);
  *response = decider_.served()->questionnaire;
  auto* reactor = context->DefaultReactor();
  finish(reactor, GrpcMethod::get_questionnaire, grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* TriageService::GetRuleset(grpc::CallbackServerContext* context,
                                                    const v1::GetRulesetRequest*, v1::RulesetInfo* response) {
  trace_call(context);
  *response = decider_.ruleset_info();
  auto* reactor = context->DefaultReactor();
  finish(reactor, GrpcMethod::get_ruleset, grpc::Status::OK);
  return reactor;
}

}  // namespace triage
