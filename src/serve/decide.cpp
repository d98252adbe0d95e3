#include "serve/decide.hpp"

#include <algorithm>

#include "api/answers_proto.hpp"
#include "api/decision_proto.hpp"
#include "api/decision_record.hpp"
#include "eval/evaluator.hpp"
#include "util/json_text.hpp"

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

void Decider::log_refusal(int grpc_code, const std::string& client, const std::string& request_id,
                          const std::string& reason) const {
  log_->warn("refused", {{"code", std::to_string(grpc_code), true},
                         {"client", client},
                         {"request_id", request_id.substr(0, max_request_id_characters)},
                         {"reason", reason}});
}

DecideStatus Decider::prepare(DecideCall& call, const CompiledRuleset& ruleset, v1::Decision& response,
                              AuditRecord& record) {
  auto refuse = [&](std::string message, const std::string& logged_reason, std::vector<IntakeError> errors = {}) {
    log_refusal(3, call.client, call.request_id, logged_reason);
    return DecideStatus{DecideCode::invalid_argument, std::move(message), std::move(errors)};
  };
  if (!call.unreadable.empty()) return refuse(call.unreadable, "unreadable intake");
  // Client-chosen labels are stored in the audit record, logged, exported and shipped: one bad byte
  // would make all of those invalid (and PostgreSQL refuses it), so they are refused here, for
  // every protocol alike.
  if (!printable_utf8(call.request_id)) {
    return refuse("request_id must be UTF-8 text without control characters", "request_id not printable UTF-8");
  }
  if (!printable_utf8(call.client)) {
    return refuse("the client id (X-Client-Id, or the x-client-id metadata) must be UTF-8 text without control characters",
                  "client id not printable UTF-8");
  }
  std::size_t id_characters = utf8_length(call.request_id);
  if (id_characters > max_request_id_characters) {
    return refuse("request_id is " + std::to_string(id_characters) + " characters; at most " +
                      std::to_string(max_request_id_characters) + " are allowed",
                  "request_id too long");
  }
  if (call.raw.size() > max_answers) {
    return refuse("the request has " + std::to_string(call.raw.size()) + " answers; at most " +
                      std::to_string(max_answers) + " are allowed",
                  "too many answers");
  }
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
    return refuse(message, "invalid answers for " + facts, std::move(errors));
  }
  Evaluation evaluation = evaluate(ruleset, intake.answers);
  record.decision_id = new_decision_id();
  record.decided_at_micros = now_micros();
  record.client = call.client;
  record.request_id = call.request_id;
  record.trace_id = call.trace_id;
  record.ruleset_hash = ruleset.model->hash;
  fill_decision(ruleset, evaluation, record.decision_id, record.decided_at_micros, call.request_id, response);
  record.answers = canonical_answers_json(std::move(call.raw));
  record.decision = decision_record_json(ruleset, evaluation);
  return DecideStatus{};
}

bool Decider::committed(bool ok, const std::string& error, const v1::Decision& response, const std::string& client,
                        const std::string& decision_id, const std::string& trace_id,
                        std::chrono::steady_clock::time_point started, DecidedLine& line) const {
  on_audit_health_(ok);
  if (!ok) {
    if (metrics_) metrics_->unlogged();
    log_->error("audit_write_failed",
                {{"decision_id", decision_id}, {"client", client}, {"trace_id", trace_id}, {"error", error}});
    return false;
  }
  auto elapsed = std::chrono::steady_clock::now() - started;
  // The counters are a few relaxed atomics and must count the call before its reply is seen
  // (a scrape right after a reply counts it); the log line is formatted after the reply.
  if (metrics_) metrics_->decided(response, std::chrono::duration<double>(elapsed).count());
  line.latency = std::chrono::duration_cast<std::chrono::microseconds>(elapsed);
  line.outcome = response.outcome();
  line.has_urgency = response.has_urgency();
  line.urgency = response.urgency();
  return true;
}

namespace {

// The decision's log line, written after the reply so that formatting it never delays one. Takes
// the EventLog itself (the completion holds it), not the Decider: once the reply is out, the
// caller may stop and destroy the Decider while this line is still being written.
void log_decided(const EventLog& log, const Decider::DecidedLine& line, const std::string& client,
                 const std::string& decision_id, const std::string& request_id, const std::string& trace_id) {
  std::vector<LogField> fields{{"decision_id", decision_id},
                               {"outcome", v1::Outcome_Name(line.outcome)},
                               {"latency_us", std::to_string(line.latency.count()), true},
                               {"client", client},
                               {"request_id", request_id}};
  if (!trace_id.empty()) fields.push_back({"trace_id", trace_id});
  if (line.has_urgency) fields.insert(fields.begin() + 2, {"urgency", v1::Urgency_Name(line.urgency)});
  log.info("decision", fields);
}

}  // namespace

namespace {
constexpr const char* unlogged_message =
    "the decision could not be written to the audit log, so it was not returned; retry later";
}  // namespace

void Decider::decide(DecideCall call, v1::Decision& response, Done done) {
  if (call.deadline <= std::chrono::system_clock::now() &&
      utf8_length(call.request_id) <= max_request_id_characters) {
    log_refusal(4, call.client, call.request_id, "deadline passed");
    return done(DecideStatus{DecideCode::deadline_exceeded, "the deadline passed before the call was decided", {}});
  }
  std::shared_ptr<const ServedRuleset> served = this->served();
  AuditRecord record;
  DecideStatus status = prepare(call, *served->ruleset, response, record);
  if (status.code != DecideCode::ok) return done(status);
  std::string decision_id = record.decision_id;
  // Reported from the audit writer once the batch holding this decision is durable.
  audit_.append(std::move(record), [this, &response, started = call.started, client = std::move(call.client),
                                    decision_id, request_id = std::move(call.request_id),
                                    trace_id = std::move(call.trace_id), log = log_,
                                    done = std::move(done)](bool ok, const std::string& error) {
    DecidedLine line;
    if (!committed(ok, error, response, client, decision_id, trace_id, started, line)) {
      response.Clear();
      return done(DecideStatus{DecideCode::unavailable, unlogged_message, {}});
    }
    done(DecideStatus{});  // the reply (and the Decider) may be gone from here on
    log_decided(*log, line, client, decision_id, request_id, trace_id);
  });
}

namespace {

// One batch in flight: finished by whoever brings `left` to zero (the caller once every item is
// handed over, or the completion of the last record).
struct BatchState {
  std::atomic<std::size_t> left;
  Decider::Done done;
  explicit BatchState(std::size_t items, Decider::Done finish) : left(items + 1), done(std::move(finish)) {}
  void item_finished() {
    if (--left == 0) done(DecideStatus{});
  }
};

void set_error(v1::EvaluateBatchItem& item, const char* code, const DecideStatus& status) {
  auto* error = item.mutable_error();
  error->set_code(code);
  error->set_message(status.message);
  for (const auto& problem : status.errors) {
    auto* detail = error->add_details();
    detail->set_fact(problem.fact);
    detail->set_message(problem.message);
  }
}

}  // namespace

void Decider::decide_batch(DecideBatchCall call, v1::EvaluateBatchResponse& response, Done done) {
  auto refuse = [&](DecideCode code, int grpc_code, std::string message, const std::string& reason) {
    log_refusal(grpc_code, call.client, call.request_id, reason);
    done(DecideStatus{code, std::move(message), {}});
  };
  if (!printable_utf8(call.request_id) || !printable_utf8(call.client)) {
    return refuse(DecideCode::invalid_argument, 3,
                  "the batch's request_id and client id must be UTF-8 text without control characters",
                  "batch label not printable UTF-8");
  }
  std::size_t id_characters = utf8_length(call.request_id);
  if (id_characters > max_batch_request_id_characters) {
    return refuse(DecideCode::invalid_argument, 3,
                  "the batch's request_id is " + std::to_string(id_characters) + " characters; at most " +
                      std::to_string(max_batch_request_id_characters) + " are allowed",
                  "batch request_id too long");
  }
  if (call.items.size() > max_batch_intakes) {
    return refuse(DecideCode::invalid_argument, 3,
                  "the batch has " + std::to_string(call.items.size()) + " intakes; at most " +
                      std::to_string(max_batch_intakes) + " are allowed",
                  "too many intakes");
  }
  if (call.deadline <= std::chrono::system_clock::now()) {
    return refuse(DecideCode::deadline_exceeded, 4, "the deadline passed before the call was decided",
                  "deadline passed");
  }
  std::shared_ptr<const ServedRuleset> served = this->served();
  const CompiledRuleset& ruleset = *served->ruleset;
  // Every result exists before the first record is handed to the log: completions (on the log's
  // thread) then only touch their own element, never the list.
  std::vector<v1::EvaluateBatchItem*> results;
  results.reserve(call.items.size());
  response.mutable_results()->Reserve(static_cast<int>(call.items.size()));
  for (std::size_t i = 0; i < call.items.size(); ++i) results.push_back(response.add_results());
  auto state = std::make_shared<BatchState>(call.items.size(), std::move(done));
  for (std::size_t i = 0; i < call.items.size(); ++i) {
    DecideCall& item = call.items[i];
    item.client = call.client;
    item.started = call.started;
    if (item.request_id.empty() && !call.request_id.empty()) item.request_id = call.request_id + "#" + std::to_string(i);
    v1::EvaluateBatchItem& result = *results[i];
    v1::Decision& decision = *result.mutable_decision();
    AuditRecord record;
    DecideStatus status = prepare(item, ruleset, decision, record);
    if (status.code != DecideCode::ok) {
      set_error(result, "invalid_argument", status);
      state->item_finished();
      continue;
    }
    std::string decision_id = record.decision_id;
    audit_.append(std::move(record), [this, state, &result, started = call.started, client = item.client, decision_id,
                                      request_id = std::move(item.request_id),
                                      trace_id = call.trace_id, log = log_](bool ok, const std::string& error) {
      DecidedLine line;
      bool logged = committed(ok, error, result.decision(), client, decision_id, trace_id, started, line);
      if (!logged) set_error(result, "unavailable", DecideStatus{DecideCode::unavailable, unlogged_message, {}});
      state->item_finished();  // the last item's reply (and the Decider) may be gone from here on
      if (logged) log_decided(*log, line, client, decision_id, request_id, trace_id);
    });
  }
  state->item_finished();
}

}  // namespace triage
