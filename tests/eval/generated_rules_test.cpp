// The evaluator's decisions on the benchmarks' generated rulesets (bench/generated_rules.cpp), pinned
// by digest: a change made for speed must not change a single decision. The digests were taken with
// the evaluator before the plan path was optimised (issue 16). When the generator itself changes, the
// digests change with it: take them again from the evaluator on main, not from the changed one.
#include <catch2/catch.hpp>

#include <random>

#include "generated_rules.hpp"
#include "support.hpp"
#include "util/sha256.hpp"

namespace triage {
namespace {

void append_list(std::string& out, const char* name, const std::vector<int>& list) {
  out += name;
  for (int item : list) out += ' ' + std::to_string(item);
  out += '\n';
}

// Every field of an Evaluation as text.
std::string describe(const Evaluation& e) {
  std::string out = "outcome " + std::to_string(static_cast<int>(e.outcome)) + " urgency " +
                    std::to_string(static_cast<int>(e.urgency)) + '\n';
  append_list(out, "red_flags", e.red_flags);
  append_list(out, "missing", e.missing);
  append_list(out, "refine", e.refine);
  for (const auto& entry : e.plan) {
    out += "plan " + std::to_string(entry.technique) + " areas " + std::to_string(entry.matched_areas) + '\n';
    append_list(out, " include", entry.include_rules);
    append_list(out, " caution", entry.caution_rules);
  }
  for (const auto& exclusion : e.excluded) {
    out += "excluded " + std::to_string(exclusion.technique);
    for (std::uint32_t k = exclusion.first; k < exclusion.first + exclusion.count; ++k) {
      const auto& reason = e.exclusion_reasons.at(k);
      out += " (" + std::to_string(static_cast<int>(reason.kind)) + ' ' + std::to_string(reason.rule) + ' ' +
             std::to_string(reason.detail) + ')';
    }
    out += '\n';
  }
  append_list(out, "cautions", e.cautions);
  append_list(out, "fired", e.fired_rules);
  return out;
}

struct Summary {
  std::string digest;
  int self_care = 0, refer = 0, incomplete = 0;
};

// 256 full intakes, then the same with each answer dropped at random (p = 0.3), so that incomplete
// decisions, defaults and `refine` are covered too.
Summary decide_all(bench::GeneratedPath path, int rules) {
  auto ruleset = test::load_texts({{"generated.rules", bench::generated_ruleset(rules, 42, path)}});
  Summary summary;
  Sha256 digest;
  std::mt19937 rng(16);
  std::bernoulli_distribution drop(0.3);
  auto decide = [&](const Answers& answers) {
    Evaluation evaluation = evaluate(*ruleset, answers);
    summary.self_care += evaluation.outcome == Outcome::self_care;
    summary.refer += evaluation.outcome == Outcome::refer;
    summary.incomplete += evaluation.outcome == Outcome::incomplete;
    digest.update(describe(evaluation));
  };
  for (const auto& json : bench::generated_intakes(256)) {
    Answers answers = test::answers_from_json(*ruleset, json);
    decide(answers);
    for (std::size_t f = 0; f < ruleset->model->facts.size(); ++f) {
      if (drop(rng)) answers.known.reset(f);
    }
    decide(answers);
  }
  summary.digest = digest.hex_digest();
  return summary;
}

}  // namespace

TEST_CASE("generated rulesets: the decisions are those of the evaluator before it was optimised",
          "[eval][generated]") {
  struct Case {
    bench::GeneratedPath path;
    int rules;
    const char* digest;
  };
  const Case cases[] = {
      {bench::GeneratedPath::refer, 100, "3c8c550d4fc1a1690a4f69addb1178e1e3fbbdc93b291778b50a970f8143710d"},
      {bench::GeneratedPath::refer, 500, "028e1bcaf10f61e722a2aa0ff6226f860a90f80df78ac93c7170da4770f4e6f7"},
      {bench::GeneratedPath::refer, 2000, "df382658f4fc25fb6341e1f9acbb0108ea1de99d421c617821805911538b7ffc"},
      {bench::GeneratedPath::plan, 100, "911239ae587ae3940da6e2623cc98abe96646980fe519d14c7e10c1d9beef9f0"},
      {bench::GeneratedPath::plan, 500, "1d6875384547889f745ce73ff999a6621ae64f7eff62bbd3ec39ee406fa2912b"},
      {bench::GeneratedPath::plan, 2000, "f9941334d4185ca0bd97e7adc18c0c1837b8dbb17cf3f044365ac4e1b471a478"},
  };
  for (const auto& c : cases) {
    bool plan = c.path == bench::GeneratedPath::plan;
    CAPTURE(plan, c.rules);
    Summary summary = decide_all(c.path, c.rules);
    CAPTURE(summary.self_care, summary.refer, summary.incomplete);
    // The full intakes take the path the benchmark names (the partial ones may not).
    CHECK((plan ? summary.self_care : summary.refer) >= 256);
    CHECK(summary.digest == c.digest);
  }
}

}  // namespace triage
