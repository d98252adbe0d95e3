#pragma once
// Synthetic rulesets for scaling benchmarks: `rules` rules over 40 facts, deterministic by seed.
#include <string>
#include <utility>
#include <vector>

namespace triage::bench {

// Which way the generated intakes go. `refer`: a tenth of the rules are red flags, and on the
// generated intakes some always fires, so every decision is a referral and the suitability rules
// never run. `plan`: those rules are general cautions instead (one red flag is left that no intake
// can fire), and the rules also order techniques and phases, so every decision builds a plan.
enum class GeneratedPath { refer, plan };

// One file's text: 40 facts (bools, ints, enums, sets), 4 tags, 40 techniques, a plan, and `rules`
// rules (see GeneratedPath). Conditions combine 1-4 tests with and/or/not.
std::string generated_ruleset(int rules, unsigned seed = 42, GeneratedPath path = GeneratedPath::refer);

// `count` intakes answering every fact (JSON), deterministic by seed.
std::vector<std::string> generated_intakes(int count, unsigned seed = 7);

}  // namespace triage::bench
