#pragma once
// The one path from a patient's answers to a logged decision, shared by the gRPC and HTTP
// transports: validate, decide with the served ruleset, append the record to the audit log, and
// report only after the commit. A transport turns the outcome into its own status codes.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "audit/audit_log.hpp"
#include "compile/compiled.hpp"
#include "intake/intake.hpp"
#include "serve/event_log.hpp"
#include "triage/v1/triage.pb.h"

namespace triage {

// What is being served; replaced as a whole (calls keep the snapshot they started with).
struct ServedRuleset {
  std::shared_ptr<const CompiledRuleset> ruleset;
  v1::RulesetInfo info;
  v1::Questionnaire questionnaire;
};

// How a decide call ended. `ok` only after the decision's record is durable in the audit log.
enum class DecideCode { ok, invalid_argument, deadline_exceeded, unavailable };

struct DecideStatus {
  DecideCode code = DecideCode::ok;
  std::string message;              // for the client; empty when ok
  std::vector<IntakeError> errors;  // invalid_argument: every refused answer, by fact
};

// One call's input: answers as they arrived, problems found while reading them, who asked.
struct DecideCall {
  std::vector<RawAnswer> raw;
  std::vector<IntakeError> errors;  // answers the transport could not even read ("`x` has no value")
  std::string request_id;
  std::string client;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::chrono::system_clock::time_point deadline = std::chrono::system_clock::time_point::max();
};

// Thread-safety: every member may be called from any thread.
class Decider {
 public:
  using Done = std::function<void(const DecideStatus&)>;

  // `on_audit_health` is told after each write whether the audit log works.
  Decider(std::shared_ptr<const ServedRuleset> served, AuditLog& audit, std::shared_ptr<EventLog> log,
          std::function<void(bool)> on_audit_health);

  // Validates the answers, decides, fills `response` and appends the record. `done` runs exactly
  // once: at once (on the calling thread) when the call is refused, otherwise on the audit log's
  // completion thread after the commit (`response` is then cleared when the write failed).
  // `response` must outlive `done`.
  void decide(DecideCall call, v1::Decision& response, Done done);

  // The ruleset calls start with; replaced atomically, calls in flight keep theirs.
  std::shared_ptr<const ServedRuleset> served() const { return std::atomic_load(&served_); }
  void serve(std::shared_ptr<const ServedRuleset> next) { std::atomic_store(&served_, std::move(next)); }

  const std::shared_ptr<EventLog>& log() const { return log_; }

  // Live state added to the served ruleset's info (the audit log's shipping). Set before serving:
  // not synchronised with ruleset_info(). `fill` must be thread-safe.
  void set_status(std::function<void(v1::RulesetInfo&)> fill) { status_ = std::move(fill); }
  // What GetRuleset and GET /v1/ruleset answer: the served ruleset's info and the live state.
  v1::RulesetInfo ruleset_info() const {
    v1::RulesetInfo info = served()->info;
    if (status_) status_(info);
    return info;
  }

 private:
  std::shared_ptr<const ServedRuleset> served_;
  AuditLog& audit_;
  std::shared_ptr<EventLog> log_;
  std::function<void(bool)> on_audit_health_;
  std::function<void(v1::RulesetInfo&)> status_;
};

// The longest request_id and client id accepted (characters).
constexpr std::size_t max_request_id_characters = 128;
constexpr std::size_t max_answers = 1024;          // answers in one request (docs/limits.md)
constexpr std::size_t max_reported_problems = 20;  // problems named when answers are refused
constexpr std::size_t max_client_id_characters = 128;

}  // namespace triage
