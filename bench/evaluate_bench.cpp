// Google Benchmark micro-benchmarks. Run: build/triage_bench (from the repository root, so
// `rules/` is found) or TRIAGE_RULES=DIR build/triage_bench.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "analyze/analyze.hpp"
#include "generated_rules.hpp"
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

void BM_EvaluateShipped(benchmark::State& state, const char* example) { evaluate_example(state, example); }

// Evaluation plus building the Decision message, what a request pays before the audit log.
void BM_EvaluateShippedToProto(benchmark::State& state) {
  auto ruleset = shipped();
  triage::Answers answers = intake("self_care_lower_back.json");
  for (auto _ : state) {
    auto decision = triage::to_decision_proto(*ruleset, triage::evaluate(*ruleset, answers), "id", 0, "");
    benchmark::DoNotOptimize(decision);
  }
}

// Generated rulesets of N rules over 40 facts, evaluated on 256 generated intakes in turn. `refer`:
// every intake fires a red flag, so only the red flags run. `plan`: no red flag fires and every
// intake gets a self-care plan, so the suitability rules, the plan builder and the orderings run.
// Setup checks that every intake takes the path named, so the figure cannot measure a shortcut.
void BM_EvaluateGenerated(benchmark::State& state, triage::bench::GeneratedPath path) {
  auto loaded = triage::load_ruleset_from_texts(
      {{"generated.rules", triage::bench::generated_ruleset(static_cast<int>(state.range(0)), 42, path)}});
  if (!loaded.ruleset) {
    state.SkipWithError("the generated ruleset does not load");
    return;
  }
  std::vector<triage::Answers> intakes;
  double planned = 0, fired = 0, reasons = 0;
  const auto expected = path == triage::bench::GeneratedPath::plan ? triage::Outcome::self_care : triage::Outcome::refer;
  for (const auto& json : triage::bench::generated_intakes(256)) {
    std::vector<triage::RawAnswer> raw;
    std::string error;
    triage::parse_intake_json(json, raw, error);
    intakes.push_back(triage::validate_answers(*loaded.ruleset, raw).answers);
    triage::Evaluation evaluation = triage::evaluate(*loaded.ruleset, intakes.back());
    if (evaluation.outcome != expected) {
      state.SkipWithError("a generated intake does not take the path this benchmark names");
      return;
    }
    planned += static_cast<double>(evaluation.plan.size() + evaluation.excluded.size());
    fired += static_cast<double>(evaluation.fired_rules.size());
    reasons += static_cast<double>(evaluation.exclusion_reasons.size());
  }
  std::size_t i = 0;
  for (auto _ : state) {
    triage::Evaluation evaluation = triage::evaluate(*loaded.ruleset, intakes[i++ % intakes.size()]);
    benchmark::DoNotOptimize(evaluation);
  }
  state.counters["rules"] = static_cast<double>(state.range(0));
  // Per intake: rules whose condition held, techniques placed or left out and the reasons given for
  // leaving them out (0 on the refer path): the size of what a decision must write.
  state.counters["fired"] = fired / static_cast<double>(intakes.size());
  state.counters["techniques"] = planned / static_cast<double>(intakes.size());
  state.counters["reasons"] = reasons / static_cast<double>(intakes.size());
}

// Parse and check (and compile) a generated ruleset of N rules.
void BM_ParseCheckGenerated(benchmark::State& state) {
  std::string text = triage::bench::generated_ruleset(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto loaded = triage::load_ruleset_from_texts({{"generated.rules", text}});
    if (!loaded.ruleset) state.SkipWithError("the generated ruleset does not load");
    benchmark::DoNotOptimize(loaded);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
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

BENCHMARK_CAPTURE(BM_EvaluateShipped, refer, "emergency_cauda_equina.json");
BENCHMARK_CAPTURE(BM_EvaluateShipped, incomplete, "incomplete_few_answers.json");
BENCHMARK_CAPTURE(BM_EvaluateShipped, self_care, "self_care_lower_back.json");
BENCHMARK_CAPTURE(BM_EvaluateShipped, self_care_buttock, "self_care_buttock_pain.json");
BENCHMARK(BM_EvaluateShippedToProto);
BENCHMARK_CAPTURE(BM_EvaluateGenerated, refer, triage::bench::GeneratedPath::refer)->Arg(100)->Arg(500)->Arg(2000);
BENCHMARK_CAPTURE(BM_EvaluateGenerated, plan, triage::bench::GeneratedPath::plan)->Arg(100)->Arg(500)->Arg(2000);
BENCHMARK(BM_ParseCheckGenerated)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseCheckAnalyzeShipped)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseCheckShipped)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
