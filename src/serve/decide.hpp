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
#include "serve/service_metrics.hpp"
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
  std::string trace_id;  // W3C trace id of the call (util/traceparent.hpp); written to the decision's log line
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::chrono::system_clock::time_point deadline = std::chrono::system_clock::time_point::max();
  // Set by a transport that could not read this intake of a batch at all (not an intake object):
  // the item is refused as invalid_argument with this message. Unused by decide().
  std::string unreadable;
};

// Many intakes in one call: `items` carry their answers and their own request_id (may be empty);
// who asked, the batch's request_id and the deadline are the batch's.
struct DecideBatchCall {
  std::vector<DecideCall> items;
  std::string request_id;
  std::string client;
  std::string trace_id;  // the batch's trace id, given to every item
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

  // Decides every item as decide() does, each logged as its own record with its own decision_id,
  // and fills `response.results` in the items' order: a Decision, or an error for an item whose
  // answers were refused (invalid_argument) or whose record could not be written (unavailable).
  // `done` runs exactly once: at once with a non-ok status when the batch as a whole is refused
  // (too many items, a long request_id, a passed deadline; `response` is then empty), otherwise
  // with ok after the last item's record is committed (or has failed). An item without its own
  // request_id gets "<batch request_id>#<index>" when the batch has one. `response` must outlive
  // `done`.
  void decide_batch(DecideBatchCall call, v1::EvaluateBatchResponse& response, Done done);

  // The ruleset calls start with; replaced atomically, calls in flight keep theirs.
  std::shared_ptr<const ServedRuleset> served() const { return std::atomic_load(&served_); }
  void serve(std::shared_ptr<const ServedRuleset> next) { std::atomic_store(&served_, std::move(next)); }

  const std::shared_ptr<EventLog>& log() const { return log_; }

  // Counts decisions (outcome, urgency, red flags, latency) in `metrics` from now on. Call before
  // serving; `metrics` must outlive the Decider. Null: nothing is counted.
  void set_metrics(ServiceMetrics* metrics) { metrics_ = metrics; }
  ServiceMetrics* metrics() const { return metrics_; }

  // What a decision's log line says that only the reply holds: taken before the reply is sent,
  // since the transport may free it as soon as the call is finished.
  struct DecidedLine {
    v1::Outcome outcome = v1::OUTCOME_UNSPECIFIED;
    v1::Urgency urgency = v1::URGENCY_UNSPECIFIED;
    bool has_urgency = false;
    std::chrono::microseconds latency{0};
  };

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
  ServiceMetrics* metrics_ = nullptr;

  // Validates `call` and decides it with `ruleset`: fills `response` and `record` and returns ok;
  // otherwise the refusal (logged), with nothing filled.
  DecideStatus prepare(DecideCall& call, const CompiledRuleset& ruleset, v1::Decision& response, AuditRecord& record);
  // Logs a refusal without repeating anything the patient answered.
  void log_refusal(int grpc_code, const std::string& client, const std::string& request_id,
                   const std::string& reason) const;
  // After a record's commit, before the reply: the audit health, the decision's metrics (or the
  // failure's log line) and `line`. True when the record is committed.
  bool committed(bool ok, const std::string& error, const v1::Decision& response, const std::string& client,
                 const std::string& decision_id, const std::string& trace_id,
                 std::chrono::steady_clock::time_point started, DecidedLine& line) const;
};

// The longest request_id and client id accepted (characters).
constexpr std::size_t max_request_id_characters = 128;
constexpr std::size_t max_answers = 1024;          // answers in one request (docs/limits.md)
constexpr std::size_t max_reported_problems = 20;  // problems named when answers are refused
constexpr std::size_t max_client_id_characters = 128;
constexpr std::size_t max_batch_intakes = 256;  // intakes in one EvaluateBatch (docs/limits.md)
// A batch's own request_id: room for "#255" within max_request_id_characters.
constexpr std::size_t max_batch_request_id_characters = max_request_id_characters - 4;

}  // namespace triage
