#pragma once
// TriageService on the gRPC callback API. Handlers never block: Evaluate decides in the calling
// thread (microseconds), hands the record to the audit log and finishes the call from the log's
// completion, after the commit.
#include <atomic>
#include <chrono>
#include <memory>

#include "audit/audit_log.hpp"
#include "compile/compiled.hpp"
#include "serve/arena_allocator.hpp"
#include "serve/event_log.hpp"
#include "triage/v1/triage.grpc.pb.h"

namespace triage {

// What is being served; replaced as a whole (calls keep the snapshot they started with).
struct ServedRuleset {
  std::shared_ptr<const CompiledRuleset> ruleset;
  v1::RulesetInfo info;
  v1::Questionnaire questionnaire;
};

class TriageService final : public v1::TriageService::CallbackService {
 public:
  // Runs a reload for the ReloadRules RPC (on its own thread) and returns its result.
  using Reloader = std::function<v1::ReloadResult(const std::string& trigger)>;
  // Decides whether the caller may use admin RPCs.
  using AdminCheck = std::function<bool(const grpc::ServerContextBase&)>;

  // `on_audit_health` is told after each write whether the audit log works.
  TriageService(std::shared_ptr<const ServedRuleset> served, AuditLog& audit, std::shared_ptr<EventLog> log,
                std::function<void(bool)> on_audit_health, Reloader reloader, AdminCheck is_admin);

  grpc::ServerUnaryReactor* Evaluate(grpc::CallbackServerContext* context, const v1::EvaluateRequest* request,
                                     v1::Decision* response) override;
  grpc::ServerUnaryReactor* GetQuestionnaire(grpc::CallbackServerContext* context,
                                             const v1::GetQuestionnaireRequest* request,
                                             v1::Questionnaire* response) override;
  grpc::ServerUnaryReactor* GetRuleset(grpc::CallbackServerContext* context, const v1::GetRulesetRequest* request,
                                       v1::RulesetInfo* response) override;
  grpc::ServerUnaryReactor* ReloadRules(grpc::CallbackServerContext* context, const v1::ReloadRulesRequest* request,
                                        v1::ReloadResult* response) override;

  // The ruleset calls start with; replaced atomically, calls in flight keep theirs.
  std::shared_ptr<const ServedRuleset> served() const { return std::atomic_load(&served_); }
  void serve(std::shared_ptr<const ServedRuleset> next) { std::atomic_store(&served_, std::move(next)); }

 private:
  std::shared_ptr<const ServedRuleset> served_;
  AuditLog& audit_;
  std::shared_ptr<EventLog> log_;
  std::function<void(bool)> on_audit_health_;
  EvaluateArenaAllocator allocator_;
  std::atomic<bool> reload_running_{false};
  Reloader reloader_;
  AdminCheck is_admin_;
};

// Who called: the client certificate's subject under TLS, else the `x-client-id` metadata, else
// the peer address.
std::string client_identity(const grpc::ServerContextBase& context);

}  // namespace triage
