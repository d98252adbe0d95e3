#pragma once
// The service's metric families (docs/operations.md lists them), created once on a registry and
// updated from the request path through pre-resolved counters: no lock is taken per request. A
// red flag first seen after a reload is registered once under the registry's lock; every later
// count of it is a lookup in an immutable table.
#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_log.hpp"
#include "metrics/registry.hpp"
#include "triage/v1/triage.pb.h"

namespace triage {

// The gRPC methods counted by triage_requests_total{protocol="grpc"}.
enum class GrpcMethod { evaluate, evaluate_batch, get_questionnaire, get_ruleset, reload_rules, count };

// Thread-safety: every member may be called from any thread. Must outlive every caller.
class ServiceMetrics {
 public:
  // Registers every family on `registry` (which must outlive this object).
  explicit ServiceMetrics(metrics::Registry& registry);

  metrics::Registry& registry() { return registry_; }

  // A decision whose record is committed: counts it by outcome and urgency, each fired red flag
  // by its rule id, and its end-to-end latency (from the call's arrival to the commit).
  void decided(const v1::Decision& decision, double seconds);
  // A decision that could not be written to the audit log (never returned to the client).
  void unlogged() { unlogged_.inc(); }

  // The HTTP route label for a request path: a fixed set of names ("/v1/evaluate", "/kiosk/",
  // "/fhir/", "other"), never the raw path, so clients cannot create series.
  static int http_route(std::string_view path);
  // The label of a route number from http_route().
  static const char* http_route_name(int route);
  // One HTTP request answered with `status` on route `route` (http_route()).
  void http_request(int route, unsigned status);
  // One gRPC call finished with `code` (grpc::StatusCode's number, 0..16).
  void grpc_request(GrpcMethod method, int code);

  // A reload attempt's result.
  void reloaded(bool ok) { (ok ? reload_ok_ : reload_failed_).inc(); }

  // The audit log's own measurements (commit latency, group-commit size, write failures).
  AuditMetrics audit_metrics();

 private:
  using FlagTable = std::map<std::string, metrics::Counter*, std::less<>>;
  metrics::Counter& flag_counter(const std::string& rule);

  metrics::Registry& registry_;
  // [outcome][urgency] by the proto enums' numbers.
  std::array<std::array<metrics::Counter*, 4>, 4> decisions_{};
  metrics::Histogram& decision_seconds_;
  metrics::Counter& unlogged_;
  metrics::Histogram& audit_commit_seconds_;
  metrics::Histogram& audit_batch_records_;
  metrics::Counter& audit_failures_;
  metrics::Counter& audit_records_;
  metrics::Counter& reload_ok_;
  metrics::Counter& reload_failed_;
  // [route][status index]; see service_metrics.cpp for the status codes.
  std::vector<std::vector<metrics::Counter*>> http_;
  std::array<std::array<metrics::Counter*, 17>, static_cast<int>(GrpcMethod::count)> grpc_{};
  // Red flags: an immutable table read without a lock; replaced (copy, add, publish) under
  // flags_mutex_ when a new rule id appears. Old tables are kept until destruction, so a reader
  // holding one never sees it freed.
  std::atomic<const FlagTable*> flags_{nullptr};
  std::mutex flags_mutex_;
  std::vector<std::unique_ptr<FlagTable>> flag_tables_;
};

}  // namespace triage
