#pragma once
// TriageService on the gRPC callback API. Handlers never block: Evaluate decides in the calling
// thread (microseconds), hands the record to the audit log and finishes the call from the log's
// completion, after the commit.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "serve/arena_allocator.hpp"
#include "serve/decide.hpp"
#include "serve/event_log.hpp"
#include "triage/v1/triage.grpc.pb.h"

namespace triage {

class Reloader;

// Who may call the admin RPCs: anyone without TLS (a local, trusted deployment); under TLS a client
// whose certificate subject or common name is listed.
struct AdminPolicy {
  bool tls = false;
  std::vector<std::string> admin_subjects;
};

class TriageService final : public v1::TriageService::CallbackService {
 public:
  // Decisions go through `decider` (shared with the HTTP listener); ReloadRules posts to
  // `reloader`. Both must outlive the service.
  TriageService(Decider& decider, std::shared_ptr<EventLog> log, Reloader& reloader, AdminPolicy admins);

  grpc::ServerUnaryReactor* Evaluate(grpc::CallbackServerContext* context, const v1::EvaluateRequest* request,
                                     v1::Decision* response) override;
  grpc::ServerUnaryReactor* GetQuestionnaire(grpc::CallbackServerContext* context,
                                             const v1::GetQuestionnaireRequest* request,
                                             v1::Questionnaire* response) override;
  grpc::ServerUnaryReactor* GetRuleset(grpc::CallbackServerContext* context, const v1::GetRulesetRequest* request,
                                       v1::RulesetInfo* response) override;
  grpc::ServerUnaryReactor* ReloadRules(grpc::CallbackServerContext* context, const v1::ReloadRulesRequest* request,
                                        v1::ReloadResult* response) override;

  // True when the caller may use admin RPCs.
  bool is_admin(const grpc::ServerContextBase& context) const;

 private:
  Decider& decider_;
  std::shared_ptr<EventLog> log_;
  EvaluateArenaAllocator allocator_;
  Reloader& reloader_;
  AdminPolicy admins_;
};

// Who called: the client certificate's subject under TLS, else the `x-client-id` metadata, else
// the peer address.
std::string client_identity(const grpc::ServerContextBase& context);

}  // namespace triage
