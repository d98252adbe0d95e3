#pragma once
// The values of a fact that the ruleset's tests can tell apart. Fact domains are finite once the
// comparisons are known: two ints on the same side of every compared constant, or two sets that
// agree on every bit any test or technique looks at, decide every condition alike. Enumerating one
// value per class is therefore exact.
#include <vector>

#include "compile/compiled.hpp"

namespace triage {

// One representative per class, "no"/"none"/lowest first. For ints: the range ends and every
// compared constant with its neighbours; for enums: each value; for sets: every subset of the bits
// that atoms test, plus the technique `needs`/`targets` bits for the plan's equipment and area facts.
std::vector<model::FactValue> value_classes(const CompiledRuleset& ruleset, int fact);

// Set facts with more tested values than this are not enumerated exhaustively (2^16 subsets).
inline constexpr int max_exact_set_bits = 16;

// False when value_classes(fact) had to leave classes out (a set fact with too many tested values);
// the analysis then reports that it cannot verify the rules.
bool value_classes_exact(const CompiledRuleset& ruleset, int fact);

}  // namespace triage
