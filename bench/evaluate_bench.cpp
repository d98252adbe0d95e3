// Google Benchmark micro-benchmarks. Run: build/triage_bench (from the repository root, so
// `rules/` is found) or TRIAGE_RULES=DIR build/triage_bench.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "analyze/analyze.hpp"
#include "api/decision_proto.hpp"
#include "eval/evaluator.hpp"
#include "intake/intake.hpp"
#include "ruleset/loader.hpp"

namespace {

std::string rules_folder() {
  const char* folder = std::getenv("TRIAGE_RULES");
  return folder != nullptr ? folder : "rules";
}

std::shared_ptr<const triage::CompiledRuleset> shipped() {
  static auto ruleset = triage::load_ruleset(rules_folder()).ruleset;
  return ruleset;
}

triage::Answers intake(const std::string& name) {
  std::ifstream in(rules_folder() + "/examples/" + name);
  std::stringstream text;
  text << in.rdbuf();
  std::vector<triage::RawAnswer> raw;
  std::string error;
  triage::parse_intake_json(text.str(), raw, error);
  return triage::validate_answers(*shipped(), raw).answers;
}

void evaluate_example(benchmark::State& state, const std::string& name) {
  auto ruleset = shipped();
  if (!ruleset) {
    state.SkipWithError("the shipped rules did not load");
    return;
  }
  triage::Answers answers = intake(name);
  for (auto _ : state) {
    triage::Evaluation evaluation = triage::evaluate(*ruleset, answers);
    benchmark::DoNotOptimize(evaluation);
  }
}

void BM_EvaluateShipped_Refer(benchmark::State& state) { evaluate_example(state, "emergency_cauda_equina.json"); }
void BM_EvaluateShipped_Incomplete(benchmark::State& state) { evaluate_example(state, "incomplete_few_answers.json"); }
void BM_EvaluateShipped_SelfCare(benchmark::State& state) { evaluate_example(state, "self_care_lower_back.json"); }

// Evaluation plus building the Decision message, what a request pays before the audit log.
void BM_EvaluateShipped_SelfCareToProto(benchmark::State& state) {
  auto ruleset = shipped();
  triage::Answers answers = intake("self_care_lower_back.json");
  for (auto _ : state) {
    auto decision = triage::to_decision_proto(*ruleset, triage::evaluate(*ruleset, answers), "id", 0, "");
    benchmark::DoNotOptimize(decision);
  }
}

void BM_ParseCheckShipped(benchmark::State& state) {
  for (auto _ : state) {
    auto loaded = triage::load_ruleset(rules_folder());
    benchmark::DoNotOptimize(loaded);
  }
}

// Parse, check, compile and the whole safety analysis of the shipped rules (`triage check`).
void BM_ParseCheckAnalyzeShipped(benchmark::State& state) {
  for (auto _ : state) {
    auto loaded = triage::load_ruleset(rules_folder());
    auto report = triage::analyze(*loaded.ruleset);
    benchmark::DoNotOptimize(report);
  }
}

}  // namespace

BENCHMARK(BM_ParseCheckAnalyzeShipped)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EvaluateShipped_Refer);
BENCHMARK(BM_EvaluateShipped_Incomplete);
BENCHMARK(BM_EvaluateShipped_SelfCare);
BENCHMARK(BM_EvaluateShipped_SelfCareToProto);
BENCHMARK(BM_ParseCheckShipped)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
