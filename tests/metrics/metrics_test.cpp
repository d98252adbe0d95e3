// The exposition as Prometheus reads it (counters, cumulative histogram buckets with +Inf equal to
// the count, escaped label values, series hidden until they count), the service's route labels
// and decision counting, and W3C traceparent handling. The real Prometheus server reads the same
// text in tests/metrics/prometheus_test.py.
#include <catch2/catch.hpp>

#include <set>
#include <sstream>
#include <thread>

#include "metrics/process.hpp"
#include "metrics/registry.hpp"
#include "serve/service_metrics.hpp"
#include "util/traceparent.hpp"

namespace triage {
namespace {

// The exposition's sample lines (no # lines).
std::vector<std::string> samples(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') lines.push_back(line);
  }
  return lines;
}

bool has_line(const std::string& text, const std::string& line) {
  for (const auto& each : samples(text)) {
    if (each == line) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("counters and histograms are exposed as Prometheus reads them", "[metrics]") {
  metrics::Registry registry;
  auto& counter = registry.counter("demo_events_total", "Events.", {{"kind", "a"}});
  counter.inc();
  counter.inc(2);
  auto& histogram = registry.histogram("demo_duration_seconds", "Durations.", {}, {0.1, 1});
  histogram.observe(0.05);
  histogram.observe(0.1);  // on a bound: counted in that bucket ("less than or equal")
  histogram.observe(0.5);
  histogram.observe(7);
  std::string text = registry.exposition();
  INFO(text);
  CHECK(text.find("# TYPE demo_events_total counter") != std::string::npos);
  CHECK(text.find("# HELP demo_events_total Events.") != std::string::npos);
  CHECK(has_line(text, "demo_events_total{kind=\"a\"} 3"));
  CHECK(text.find("# TYPE demo_duration_seconds histogram") != std::string::npos);
  CHECK(has_line(text, "demo_duration_seconds_bucket{le=\"0.1\"} 2"));
  CHECK(has_line(text, "demo_duration_seconds_bucket{le=\"1\"} 3"));
  CHECK(has_line(text, "demo_duration_seconds_bucket{le=\"+Inf\"} 4"));
  CHECK(has_line(text, "demo_duration_seconds_count 4"));
  CHECK(has_line(text, "demo_duration_seconds_sum 7.65"));
  int infinity_lines = 0;
  for (const auto& line : samples(text)) infinity_lines += line.find("+Inf") != std::string::npos ? 1 : 0;
  CHECK(infinity_lines == 1);
}

TEST_CASE("a hidden series appears once it counts; label values are escaped", "[metrics]") {
  metrics::Registry registry;
  auto& quiet = registry.counter("demo_total", "Demo.", {{"code", "404"}}, true);
  CHECK(registry.exposition().find("demo_total{") == std::string::npos);
  quiet.inc();
  CHECK(has_line(registry.exposition(), "demo_total{code=\"404\"} 1"));
  registry.counter("demo_total", "Demo.", {{"code", "a\"b\\c\nd"}}).inc();
  CHECK(has_line(registry.exposition(), "demo_total{code=\"a\\\"b\\\\c\\nd\"} 1"));
  // The same name and labels give the same counter.
  CHECK(&registry.counter("demo_total", "Demo.", {{"code", "404"}}) == &quiet);
}

TEST_CASE("counting from many threads loses nothing", "[metrics]") {
  metrics::Registry registry;
  auto& counter = registry.counter("demo_total", "Demo.");
  auto& histogram = registry.histogram("demo_seconds", "Demo.", {}, metrics::latency_seconds_bounds());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        counter.inc();
        histogram.observe(0.001);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(counter.value() == 40000);
  CHECK(histogram.snapshot().count == 40000);
  CHECK(histogram.snapshot().sum == Approx(40.0));
}

TEST_CASE("callback families and the process metrics are read at scrape time", "[metrics]") {
  metrics::Registry registry;
  double depth = 3;
  registry.callback("demo_depth", "Depth.", metrics::Kind::gauge, [&] { return std::vector<metrics::Sample>{{{}, depth}}; });
  metrics::add_process_metrics(registry);
  CHECK(has_line(registry.exposition(), "demo_depth 3"));
  depth = 5;
  std::string text = registry.exposition();
  CHECK(has_line(text, "demo_depth 5"));
  CHECK(text.find("# TYPE process_cpu_seconds_total counter") != std::string::npos);
  metrics::ProcessState state = metrics::read_process_state();
  CHECK(state.resident_bytes > 1e6);
  CHECK(state.open_fds >= 3);
  CHECK(state.start_time_seconds > 1.6e9);
}

TEST_CASE("HTTP route labels are a fixed set, never the raw path", "[metrics][serve]") {
  auto name = [](std::string_view path) { return std::string(ServiceMetrics::http_route_name(ServiceMetrics::http_route(path))); };
  CHECK(name("/v1/evaluate") == "/v1/evaluate");
  CHECK(name("/v1/evaluate?x=1") == "/v1/evaluate");
  CHECK(name("/v1/evaluate-batch") == "/v1/evaluate-batch");
  CHECK(name("/kiosk/app.js") == "/kiosk/");
  CHECK(name("/fhir/Questionnaire/back-pain") == "/fhir/");
  CHECK(name("/cds-services/back-pain-triage") == "/cds-services");
  CHECK(name("/metrics") == "/metrics");
  CHECK(name("/") == "/");
  CHECK(name("/patient/1234") == "other");
  CHECK(name("/v1/evaluatex") == "other");
}

TEST_CASE("decisions are counted by outcome, urgency and red flag; requests by route and code", "[metrics][serve]") {
  metrics::Registry registry;
  ServiceMetrics metrics(registry);
  v1::Decision refer;
  refer.set_outcome(v1::refer);
  refer.set_urgency(v1::emergency);
  refer.add_red_flags()->set_rule("red_flag:cauda_equina");
  metrics.decided(refer, 0.002);
  metrics.decided(refer, 0.004);
  v1::Decision self_care;
  self_care.set_outcome(v1::self_care);
  metrics.decided(self_care, 0.001);
  metrics.http_request(ServiceMetrics::http_route("/v1/evaluate"), 200);
  metrics.http_request(ServiceMetrics::http_route("/nowhere"), 404);
  metrics.http_request(ServiceMetrics::http_route("/v1/evaluate"), 418);
  metrics.grpc_request(GrpcMethod::evaluate, 14);
  std::string text = registry.exposition();
  INFO(text);
  CHECK(has_line(text, "triage_decisions_total{outcome=\"refer\",urgency=\"emergency\"} 2"));
  CHECK(has_line(text, "triage_decisions_total{outcome=\"self_care\",urgency=\"none\"} 1"));
  CHECK(has_line(text, "triage_decisions_total{outcome=\"incomplete\",urgency=\"none\"} 0"));
  CHECK(text.find("outcome=\"self_care\",urgency=\"urgent\"") == std::string::npos);  // impossible: hidden
  CHECK(has_line(text, "triage_red_flags_total{rule=\"red_flag:cauda_equina\"} 2"));
  CHECK(has_line(text, "triage_decision_duration_seconds_count 3"));
  CHECK(has_line(text, "triage_requests_total{protocol=\"http\",route=\"/v1/evaluate\",code=\"200\"} 1"));
  CHECK(has_line(text, "triage_requests_total{protocol=\"http\",route=\"other\",code=\"404\"} 1"));
  CHECK(has_line(text, "triage_requests_total{protocol=\"http\",route=\"/v1/evaluate\",code=\"other\"} 1"));
  CHECK(has_line(text, "triage_requests_total{protocol=\"grpc\",route=\"/triage.v1.TriageService/Evaluate\",code=\"UNAVAILABLE\"} 1"));
}

TEST_CASE("traceparent: a valid header keeps its trace id, anything else starts a new trace", "[trace]") {
  const std::string header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  TraceContext continued = continue_trace(header);
  CHECK(continued.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(continued.flags == "01");
  CHECK(continued.span_id.size() == 16);
  CHECK(continued.span_id != "00f067aa0ba902b7");
  std::string returned = traceparent(continued);
  CHECK(returned.substr(0, 36) == "00-4bf92f3577b34da6a3ce929d0e0e4736-");
  CHECK(returned.size() == 55);
  CHECK(continue_trace(returned).trace_id == continued.trace_id);
  // A later version may carry more fields after a dash.
  CHECK(continue_trace("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra").trace_id ==
        "4bf92f3577b34da6a3ce929d0e0e4736");
  // tracestate is passed on with a valid traceparent only, and only when it is short printable text.
  CHECK(continue_trace(header, "congo=t61rcWkgMzE").state == "congo=t61rcWkgMzE");
  CHECK(continue_trace("garbage", "congo=t61rcWkgMzE").state.empty());
  CHECK(continue_trace(header, std::string(513, 'a')).state.empty());
  CHECK(continue_trace(header, "a=\x01").state.empty());
  std::set<std::string> fresh;
  for (const std::string bad : {"", "garbage", "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                                "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                                "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                                "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
                                "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01"}) {
    TraceContext made = continue_trace(bad);
    INFO(bad);
    CHECK(made.trace_id != "4bf92f3577b34da6a3ce929d0e0e4736");
    CHECK(made.trace_id.size() == 32);
    CHECK(made.trace_id.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(made.flags == "00");
    fresh.insert(made.trace_id);
  }
  CHECK(fresh.size() == 8);  // each a new random trace
}

}  // namespace triage
