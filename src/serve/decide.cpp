#include "serve/decide.hpp"

#include <algorithm>

#include "api/answers_proto.hpp"
#include "api/decision_proto.hpp"
#include "api/decision_record.hpp"
#include "eval/evaluator.hpp"

namespace triage {
namespace {

// Characters, not bytes: the API promises 128 characters.
std::size_t utf8_length(const std::string& text) {
  std::size_t count = 0;
  for (char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return count;
}

}  // namespace

Decider::Decider(std::shared_ptr<const ServedRuleset> served, AuditLog& audit, std::shared_ptr<EventLog> log,
                 std::function<void(bool)> on_audit_health)
    : served_(std::move(served)), audit_(audit), log_(std::move(log)), on_audit_health_(std::move(on_audit_health)) {}

void Decider::decide(DecideCall call, v1::Decision& response, Done done) {
  // The log line says why without repeating anything the patient answered.
  auto refuse = [&](DecideCode code, int grpc_code, std::string message, const std::string& logged_reason,
                    std::vector<IntakeError> errors = {}) {
    log_->warn("refused", {{"code", std::to_string(grpc_code), true},
                           {"client", call.client},
                           {"request_id", call.request_id.substr(0, max_request_id_characters)},
                           {"reason", logged_reason}});
    done(DecideStatus{code, std::move(message), std::move(errors)});
  };
  std::size_t id_characters = utf8_length(call.request_id);
  if (id_characters > max_request_id_characters) {
    return refuse(DecideCode::invalid_argument, 3,
                  "request_id is " + std::to_string(id_characters) + " characters; at most " +
                      std::to_string(max_request_id_characters) + " are allowed",
                  "request_id too long");
  }
  if (call.deadline <= std::chrono::system_clock::now()) {
    return refuse(DecideCode::deadline_exceeded, 4, "the deadline passed before the call was decided",
                  "deadline passed");
  }
  if (call.raw.size() > max_answers) {
    return refuse(DecideCode::invalid_argument, 3,
                  "the request has " + std::to_string(call.raw.size()) + " answers; at most " +
                      std::to_string(max_answers) + " are allowed",
                  "too many answers");
  }
  std::shared_ptr<const ServedRuleset> served = this->served();
  const CompiledRuleset& ruleset = *served->ruleset;
  IntakeResult intake = validate_answers(ruleset, call.raw);
  std::vector<IntakeError> errors = std::move(call.errors);
  errors.insert(errors.end(), intake.errors.begin(), intake.errors.end());
  if (!errors.empty()) {
    // The first problems and a count: the whole list can outgrow what clients accept in a status
    // (a gRPC status message travels in metadata, limited to 8 KiB by default).
    std::string message = "invalid answer: " + errors.front().message;
    std::string facts = errors.front().fact;
    std::size_t shown = std::min(errors.size(), max_reported_problems);
    for (std::size_t i = 1; i < shown; ++i) {
      message += "; " + errors[i].message;
      facts += "," + errors[i].fact;
    }
    if (errors.size() > shown) {
      std::string more = " (and " + std::to_string(errors.size() - shown) + " more problems)";
      message += more;
      facts += more;
      errors.resize(shown);
    }
    return refuse(DecideCode::invalid_argument, 3, message, "invalid answers for " + facts, std::move(errors));
  }
  Evaluation evaluation = evaluate(ruleset, intake.answers);
  AuditRecord record;
  record.decision_id = new_decision_id();
  record.decided_at_micros = now_micros();
  record.client = call.client;
  record.request_id = call.request_id;
  record.ruleset_hash = ruleset.model->hash;
  fill_decision(ruleset, evaluation, record.decision_id, record.decided_at_micros, call.request_id, response);
  record.answers = canonical_answers_json(std::move(call.raw));
  record.decision = decision_record_json(ruleset, evaluation);
  std::string decision_id = record.decision_id;
  // Reported from the audit writer once the batch holding this decision is durable.
  audit_.append(std::move(record), [this, &response, started = call.started, client = std::move(call.client),
                                    decision_id, request_id = std::move(call.request_id),
                                    done = std::move(done)](bool ok, const std::string& error) {
    on_audit_health_(ok);
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
    if (!ok) {
      log_->error("audit_write_failed", {{"decision_id", decision_id}, {"client", client}, {"error", error}});
      response.Clear();
      done(DecideStatus{DecideCode::unavailable,
                        "the decision could not be written to the audit log, so it was not returned; retry later",
                        {}});
      return;
    }
    std::vector<LogField> fields{{"decision_id", decision_id},
                                 {"outcome", v1::Outcome_Name(response.outcome())},
                                 {"latency_us", std::to_string(micros.count()), true},
                                 {"client", client},
                                 {"request_id", request_id}};
    if (response.has_urgency()) fields.insert(fields.begin() + 2, {"urgency", v1::Urgency_Name(response.urgency())});
    log_->info("decision", fields);
    done(DecideStatus{});
  });
}

}  // namespace triage
