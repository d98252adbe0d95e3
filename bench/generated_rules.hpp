#pragma once
// Synthetic rulesets for scaling benchmarks: `rules` rules over 40 facts, deterministic by seed.
#include <string>
#include <utility>
#include <vector>

namespace triage::bench {

// One file's text: 40 facts (bools, ints, enums, sets), 4 tags, 40 techniques, a plan, and `rules`
// rules of which a tenth are red flags. Conditions combine 1-4 tests with and/or/not.
std::string generated_ruleset(int rules, unsigned seed = 42);

// `count` intakes answering every fact (JSON), deterministic by seed.
std::vector<std::string> generated_intakes(int count, unsigned seed = 7);

}  // namespace triage::bench
