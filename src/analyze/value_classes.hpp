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

}  // namespace triage
