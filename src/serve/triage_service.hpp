#pragma once
// TriageService on the gRPC callback API. Handlers never block: Evaluate decides in the calling
// thread (microseconds), hands the record to the audit log and finishes the call from the log's
// completion, after the commit.
#include <atomic>
#include <chrono>
#include <memory>

#include "serve/arena_allocator.hpp"
#include "serve/decide.hpp"
#include "serve/event_log.hpp"
#include "triage/v1/triage.grpc.pb.h"

namespace triage {

class TriageService final : public v1::TriageService::CallbackService {
 public:
  // Runs a reload for the ReloadRules RPC (on its own thread) and returns its result.
  using Reloader = std::function<v1::ReloadResult(const std::string& trigger)>;
  // Decides whether the caller may use admin RPCs.
  using AdminCheck = std::function<bool(const grpc::ServerContextBase&)>;

  // Decisions go through `decider` (shared with the HTTP listener), which must outlive the service.
  TriageService(Decider& decider, std::shared_ptr<EventLog> log, Reloader reloader, AdminCheck is_admin);

  grpc::ServerUnaryReactor* Evaluate(grpc::CallbackServerContext* context, const v1::EvaluateRequest* request,
                                     v1::Decision* response) override;
  grpc::ServerUnaryReactor* GetQuestionnaire(grpc::CallbackServerContext* context,
                                             const v1::GetQuestionnaireRequest* request,
                                             v1::Questionnaire* response) override;
  grpc::ServerUnaryReactor* GetRuleset(grpc::CallbackServerContext* context, const v1::GetRulesetRequest* request,
                                       v1::RulesetInfo* response) override;
  grpc::ServerUnaryReactor* ReloadRules(grpc::CallbackServerContext* context, const v1::ReloadRulesRequest* request,
                                        v1::ReloadResult* response) override;

 private:
  Decider& decider_;
  std::shared_ptr<EventLog> log_;
  EvaluateArenaAllocator allocator_;
  std::atomic<bool> reload_running_{false};
  Reloader reloader_;
  AdminCheck is_admin_;
};

// Who called: the client certificate's subject under TLS, else the `x-client-id` metadata, else
// the peer address.
std::string client_identity(const grpc::ServerContextBase& context);

}  // namespace triage
