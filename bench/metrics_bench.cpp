// What counting and tracing add to one decision (issue 26): the service's per-decision metric
// updates, a histogram observation, a traceparent continued and written, and one scrape.
#include <benchmark/benchmark.h>

#include "metrics/registry.hpp"
#include "serve/service_metrics.hpp"
#include "util/traceparent.hpp"

namespace {

// Outcome, urgency, two red flags and the end-to-end latency of one referral.
void BM_MetricsDecided(benchmark::State& state) {
  triage::metrics::Registry registry;
  triage::ServiceMetrics metrics(registry);
  triage::v1::Decision decision;
  decision.set_outcome(triage::v1::refer);
  decision.set_urgency(triage::v1::urgent);
  decision.add_red_flags()->set_rule("flag_fever_or_chills");
  decision.add_red_flags()->set_rule("flag_night_pain");
  for (auto _ : state) metrics.decided(decision, 0.0021);
}
BENCHMARK(BM_MetricsDecided);

// One HTTP request counted by route and status.
void BM_MetricsHttpRequest(benchmark::State& state) {
  triage::metrics::Registry registry;
  triage::ServiceMetrics metrics(registry);
  for (auto _ : state) metrics.http_request(triage::ServiceMetrics::http_route("/v1/evaluate"), 200);
}
BENCHMARK(BM_MetricsHttpRequest);

// A caller's traceparent continued and the reply's header written.
void BM_TraceparentContinue(benchmark::State& state) {
  for (auto _ : state) {
    auto context = triage::continue_trace("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    benchmark::DoNotOptimize(triage::traceparent(context));
  }
}
BENCHMARK(BM_TraceparentContinue);

// One scrape of the service's families (off the request path).
void BM_MetricsExposition(benchmark::State& state) {
  triage::metrics::Registry registry;
  triage::ServiceMetrics metrics(registry);
  for (auto _ : state) benchmark::DoNotOptimize(registry.exposition());
}
BENCHMARK(BM_MetricsExposition);

}  // namespace
