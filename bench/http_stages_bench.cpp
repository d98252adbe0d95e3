// The HTTP path's own stages, each alone: reading an intake's JSON into raw answers and writing a
// decision's JSON reply. Run: build/triage_bench --benchmark_filter=Http (from the repository root).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "api/decision_json.hpp"
#include "api/decision_proto.hpp"
#include "eval/evaluator.hpp"
#include "intake/intake.hpp"
#include "ruleset/loader.hpp"

namespace {

std::string rules_folder() {
  const char* folder = std::getenv("TRIAGE_RULES");
  return folder != nullptr ? folder : "rules";
}

std::string example(const std::string& name) {
  std::ifstream in(rules_folder() + "/examples/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The intake's JSON body to raw answers, as POST /v1/evaluate reads it.
void BM_HttpIntakeJson(benchmark::State& state, const char* name) {
  const std::string body = example(name);
  for (auto _ : state) {
    std::vector<triage::RawAnswer> raw;
    std::string error, request_id;
    if (!triage::parse_intake_json(body, raw, error, &request_id)) state.SkipWithError("the example does not parse");
    benchmark::DoNotOptimize(raw);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}

// A decision's JSON reply from its Decision message, as POST /v1/evaluate writes it.
void BM_HttpDecisionJson(benchmark::State& state, const char* name) {
  auto ruleset = triage::load_ruleset(rules_folder()).ruleset;
  if (!ruleset) {
    state.SkipWithError("the shipped rules did not load");
    return;
  }
  std::vector<triage::RawAnswer> raw;
  std::string error;
  triage::parse_intake_json(example(name), raw, error);
  auto answers = triage::validate_answers(*ruleset, raw).answers;
  auto decision = triage::to_decision_proto(*ruleset, triage::evaluate(*ruleset, answers),
                                            "0b7c1c4e-4f7a-4d38-9a53-0c1f6f0f6a11", 1764800000000000, "kiosk-7");
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string json = triage::decision_to_json(decision);
    bytes = json.size();
    benchmark::DoNotOptimize(json);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
}

}  // namespace

BENCHMARK_CAPTURE(BM_HttpIntakeJson, self_care, "self_care_lower_back.json");
BENCHMARK_CAPTURE(BM_HttpIntakeJson, emergency, "emergency_cauda_equina.json");
BENCHMARK_CAPTURE(BM_HttpDecisionJson, self_care, "self_care_lower_back.json");
BENCHMARK_CAPTURE(BM_HttpDecisionJson, emergency, "emergency_cauda_equina.json");
