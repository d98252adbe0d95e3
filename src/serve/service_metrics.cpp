#include "serve/service_metrics.hpp"

#include <google/protobuf/descriptor.h>

namespace triage {
namespace {

// HTTP routes by label; a path is matched exactly, or by prefix for names ending in '/'.
constexpr std::string_view http_routes[] = {
    "/v1/evaluate", "/v1/evaluate-batch", "/v1/questionnaire", "/v1/ruleset",
    "/triage.v1.TriageService/Evaluate", "/triage.v1.TriageService/EvaluateBatch",
    "/triage.v1.TriageService/GetQuestionnaire", "/triage.v1.TriageService/GetRuleset",
    "/healthz", "/readyz", "/metrics", "/", "/kiosk/", "/fhir/", "/cds-services", "other"};
constexpr int route_count = static_cast<int>(std::size(http_routes));

// The status codes this server answers; anything else is counted as "other".
constexpr unsigned http_statuses[] = {200, 204, 301, 302, 304, 400, 401, 403, 404, 405, 408,
                                      409, 413, 415, 422, 429, 431, 500, 502, 503, 504};
constexpr int status_count = static_cast<int>(std::size(http_statuses));

constexpr const char* grpc_methods[] = {"/triage.v1.TriageService/Evaluate",
                                        "/triage.v1.TriageService/EvaluateBatch",
                                        "/triage.v1.TriageService/GetQuestionnaire",
                                        "/triage.v1.TriageService/GetRuleset",
                                        "/triage.v1.TriageService/ReloadRules"};
constexpr const char* grpc_codes[] = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
                                      "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
                                      "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL",
                                      "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};

constexpr const char* requests_help = "Requests answered, by protocol, route (HTTP) or method (gRPC) and status code.";

std::vector<double> batch_bounds() { return {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}; }

}  // namespace

ServiceMetrics::ServiceMetrics(metrics::Registry& registry)
    : registry_(registry),
      decision_seconds_(registry.histogram(
          "triage_decision_duration_seconds",
          "Time from a decision request's arrival to its audit record's commit (what the client waits for).", {},
          metrics::latency_seconds_bounds())),
      unlogged_(registry.counter("triage_decisions_unlogged_total",
                                 "Decisions refused with UNAVAILABLE / 503 because their audit record could not be "
                                 "written.")),
      audit_commit_seconds_(registry.histogram("triage_audit_commit_duration_seconds",
                                               "Time from handing a record to the audit log to its durable commit.",
                                               {}, metrics::latency_seconds_bounds())),
      audit_batch_records_(registry.histogram("triage_audit_group_commit_records",
                                              "Records committed per audit log transaction (group commit).", {},
                                              batch_bounds())),
      audit_failures_(registry.counter("triage_audit_write_failures_total",
                                       "Audit log transactions that failed (their decisions were not returned).")),
      audit_records_(registry.counter("triage_audit_records_committed_total", "Audit records committed.")),
      reload_ok_(registry.counter("triage_ruleset_reloads_total", "Ruleset reload attempts, by result.",
                                  {{"result", "success"}})),
      reload_failed_(registry.counter("triage_ruleset_reloads_total", "Ruleset reload attempts, by result.",
                                      {{"result", "failure"}})) {
  const auto* outcomes = v1::Outcome_descriptor();
  const auto* urgencies = v1::Urgency_descriptor();
  for (int outcome = 1; outcome < 4; ++outcome) {
    for (int urgency = 0; urgency < 4; ++urgency) {
      // A referral always has an urgency; the other outcomes never do.
      bool possible = (outcome == v1::refer) == (urgency != 0);
      const auto* value = urgencies->FindValueByNumber(urgency);
      decisions_[outcome][urgency] = &registry.counter(
          "triage_decisions_total", "Decisions returned (committed to the audit log), by outcome and urgency.",
          {{"outcome", outcomes->FindValueByNumber(outcome)->name()}, {"urgency", urgency == 0 ? "none" : value->name()}},
          !possible);
    }
  }
  http_.resize(route_count);
  for (int route = 0; route < route_count; ++route) {
    for (int status = 0; status <= status_count; ++status) {
      std::string code = status < status_count ? std::to_string(http_statuses[status]) : "other";
      http_[route].push_back(&registry.counter("triage_requests_total", requests_help,
                                               {{"protocol", "http"}, {"route", std::string(http_routes[route])},
                                                {"code", code}},
                                               true));
    }
  }
  for (int method = 0; method < static_cast<int>(GrpcMethod::count); ++method) {
    for (int code = 0; code < 17; ++code) {
      grpc_[method][code] = &registry.counter(
          "triage_requests_total", requests_help,
          {{"protocol", "grpc"}, {"route", grpc_methods[method]}, {"code", grpc_codes[code]}}, true);
    }
  }
  flag_tables_.push_back(std::make_unique<FlagTable>());
  flags_.store(flag_tables_.back().get());
  registry.counter("triage_red_flags_total", "Red flags fired in returned decisions, by rule id.",
                   {{"rule", "none"}}, true);
}

metrics::Counter& ServiceMetrics::flag_counter(const std::string& rule) {
  const FlagTable* table = flags_.load(std::memory_order_acquire);
  if (auto found = table->find(rule); found != table->end()) return *found->second;
  std::lock_guard<std::mutex> lock(flags_mutex_);
  table = flags_.load(std::memory_order_acquire);
  if (auto found = table->find(rule); found != table->end()) return *found->second;
  auto next = std::make_unique<FlagTable>(*table);
  metrics::Counter& counter = registry_.counter("triage_red_flags_total",
                                                "Red flags fired in returned decisions, by rule id.", {{"rule", rule}});
  (*next)[rule] = &counter;
  flags_.store(next.get(), std::memory_order_release);
  flag_tables_.push_back(std::move(next));
  return counter;
}

void ServiceMetrics::decided(const v1::Decision& decision, double seconds) {
  decision_seconds_.observe(seconds);
  int outcome = decision.outcome();
  int urgency = decision.urgency();
  if (outcome >= 1 && outcome < 4 && urgency >= 0 && urgency < 4) decisions_[outcome][urgency]->inc();
  for (const auto& flag : decision.red_flags()) flag_counter(flag.rule()).inc();
}

int ServiceMetrics::http_route(std::string_view path) {
  path = path.substr(0, path.find('?'));
  for (int route = 0; route < route_count - 1; ++route) {
    std::string_view name = http_routes[route];
    if (path == name) return route;
    if (name.size() > 1 && name.back() == '/' && path.substr(0, name.size()) == name) return route;
    if (name == "/kiosk/" && path == "/kiosk") return route;
    if (name == "/fhir/" && path == "/fhir") return route;
    if (name == "/cds-services" && path.substr(0, name.size()) == name) return route;
  }
  return route_count - 1;
}

const char* ServiceMetrics::http_route_name(int route) {
  if (route < 0 || route >= route_count) route = route_count - 1;
  return http_routes[route].data();  // each name is a string literal: NUL-terminated
}

void ServiceMetrics::http_request(int route, unsigned status) {
  if (route < 0 || route >= route_count) route = route_count - 1;
  int index = status_count;
  for (int i = 0; i < status_count; ++i) {
    if (http_statuses[i] == status) index = i;
  }
  http_[route][index]->inc();
}

void ServiceMetrics::grpc_request(GrpcMethod method, int code) {
  if (code < 0 || code > 16) code = 2;  // UNKNOWN
  grpc_[static_cast<int>(method)][code]->inc();
}

AuditMetrics ServiceMetrics::audit_metrics() {
  return AuditMetrics{&audit_commit_seconds_, &audit_batch_records_, &audit_failures_, &audit_records_};
}

}  // namespace triage
