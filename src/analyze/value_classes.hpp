#pragma once
// The values of a fact that the ruleset's tests can tell apart. Fact domains are finite once the
// comparisons are known: two ints on the same side of every compared constant, or two sets that
// agree on every bit any test or technique looks at, decide every condition alike. Enumerating one
// value per class is therefore exact.
#include <vector>

#include "compile/compiled.hpp"

namespace triage {

// One representative per class, "no"/"none"/lowest first, each a valid answer (within the int
// range, one enum value, a set with at least `min_choices` values): every witness intake the
// analysis builds from them is one a patient could give. For ints: the lowest value of each
// interval the compared constants cut the range into; for enums: each value; for sets: every
// subset of the bits that atoms test, plus the technique `needs`/`targets` bits for the plan's
// equipment and area facts, filled up to `min_choices` with untested values (subsets that cannot
// be filled up are left out).
std::vector<model::FactValue> value_classes(const CompiledRuleset& ruleset, int fact);

// For an int fact: the lowest value of each interval that the comparisons in `only_atoms` (a flag
// per ruleset atom; empty for every atom) cut its range into, in increasing order. An interval runs
// from its start to the next start less one (the last to the fact's upper bound).
std::vector<model::FactValue> interval_starts(const CompiledRuleset& ruleset, int fact, const std::vector<bool>& only_atoms);

// Set facts with more tested values than this are not enumerated exhaustively (2^16 subsets).
inline constexpr int max_exact_set_bits = 16;

// False when value_classes(fact) had to leave classes out (a set fact with too many tested values);
// the analysis then reports that it cannot verify the rules.
bool value_classes_exact(const CompiledRuleset& ruleset, int fact);

}  // namespace triage
