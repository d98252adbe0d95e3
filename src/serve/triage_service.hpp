#pragma once
// TriageService on the gRPC callback API. Handlers never block: Evaluate decides in the calling
// thread (microseconds), hands the record to the audit log and finishes the call from the log's
// completion, after the commit.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
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
  // Each intake decided and logged as Evaluate does (Decider::decide_batch); finished after the
  // last commit.
  grpc::ServerUnaryReactor* EvaluateBatch(grpc::CallbackServerContext* context,
                                          const v1::EvaluateBatchRequest* request,
                                          v1::EvaluateBatchResponse* response) override;
  grpc::ServerUnaryReactor* GetQuestionnaire(grpc::CallbackServerContext* context,
                                             const v1::GetQuestionnaireRequest* request,
                                             v1::Questionnaire* response) override;
  grpc::ServerUnaryReactor* GetRuleset(grpc::CallbackServerContext* context, const v1::GetRulesetRequest* request,
                                       v1::RulesetInfo* response) override;
  grpc::ServerUnaryReactor* ReloadRules(grpc::CallbackServerContext* context, const v1::ReloadRulesRequest* request,
                                        v1::ReloadResult* response) override;

  // True when the caller may use admin RPCs.
  bool is_admin(const grpc::ServerContextBase& context) const;
  // Stopping: calls arriving from now on are refused (UNAVAILABLE, "the server is stopping").
  void begin_drain() { draining_ = true; }
  // Waits until no Evaluate call is in flight (each waits for its audit commit), or `deadline`;
  // true when idle. Woken by the last call to finish, not by polling.
  bool wait_idle(std::chrono::steady_clock::time_point deadline);

 private:
  Decider& decider_;
  std::shared_ptr<EventLog> log_;
  EvaluateArenaAllocator allocator_;
  Reloader& reloader_;
  AdminPolicy admins_;
  // Calls started and not yet finished (Evaluate waits for the audit log): shutdown waits for
  // these, not for idle client connections.
  void call_finished();
  // Counts the call (triage_requests_total) and finishes it with `status`.
  void finish(grpc::ServerUnaryReactor* reactor, GrpcMethod method, const grpc::Status& status);
  std::atomic<int> in_flight_{0};
  std::atomic<bool> draining_{false};
  std::mutex idle_mutex_;
  std::condition_variable idle_;
};

// Who called: the client certificate's subject under TLS, else the `x-client-id` metadata, else
// the peer address.
std::string client_identity(const grpc::ServerContextBase& context);

}  // namespace triage
