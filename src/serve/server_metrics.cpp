#include "serve/server_metrics.hpp"

#include "metrics/process.hpp"
#include "serve/build_info.hpp"

namespace triage {
namespace {

std::vector<metrics::Sample> one(double value) { return {{{}, value}}; }

}  // namespace

void add_server_metrics(metrics::Registry& registry, AuditLog& audit, ServingHealth& health, Decider& decider,
                        const central::BackgroundShipper* shipper) {
  using metrics::Kind;
  registry.callback("triage_audit_queue_depth", "Audit records waiting for the writer (not yet in a transaction).",
                    Kind::gauge, [&audit] { return one(static_cast<double>(audit.queue_depth())); });
  registry.callback("triage_audit_healthy", "1 while the audit log's last write succeeded, else 0.", Kind::gauge,
                    [&audit] { return one(audit.healthy() ? 1 : 0); });
  registry.callback("triage_serving", "1 while the health status is SERVING (gRPC health, /readyz), else 0.",
                    Kind::gauge, [&health] { return one(health.serving() ? 1 : 0); });
  registry.callback("triage_ruleset_info", "Always 1; the labels name the ruleset being served.", Kind::gauge,
                    [&decider] {
                      const v1::RulesetInfo& info = decider.served()->info;
                      return std::vector<metrics::Sample>{
                          {{{"hash", info.ruleset_hash()}, {"version", info.version()}, {"status", info.status()}},
                           1}};
                    });
  registry.callback("triage_ruleset_loaded_timestamp_seconds", "When the served ruleset was loaded (Unix time).",
                    Kind::gauge, [&decider] {
                      const auto& loaded = decider.served()->info.loaded_at();
                      return one(static_cast<double>(loaded.seconds()) + loaded.nanos() / 1e9);
                    });
  if (shipper) {
    registry.callback("triage_shipping_lag_records",
                      "Audit records not yet shipped to the central PostgreSQL store.", Kind::gauge,
                      [shipper] { return one(static_cast<double>(shipper->lag_records())); });
    registry.callback("triage_shipping_seconds_since_success",
                      "Seconds since the last successful shipping round to the central store.", Kind::gauge,
                      [shipper] { return one(shipper->seconds_since_success()); });
    registry.callback("triage_shipping_ok", "1 when the last shipping round succeeded, else 0.", Kind::gauge,
                      [shipper] { return one(shipper->last_round_ok() ? 1 : 0); });
  }
  add_build_info(registry);
  metrics::add_process_metrics(registry);
}

}  // namespace triage
