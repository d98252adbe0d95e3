#include "analyze/value_classes.hpp"

#include <algorithm>
#include <set>

namespace triage {

namespace {

// The values of a set fact that some test or technique looks at, as a mask.
std::uint64_t relevant_mask(const CompiledRuleset& ruleset, int fact_index) {
  std::uint64_t relevant = 0;
  for (const Atom& atom : ruleset.atoms) {
    if (atom.fact == fact_index) relevant |= static_cast<std::uint64_t>(atom.operand);
  }
  const auto& plan = ruleset.model->plan;
  for (const auto& technique : ruleset.techniques) {
    if (fact_index == plan.equipment_fact) relevant |= technique.needs;
    if (fact_index == plan.area_fact) relevant |= technique.targets;
  }
  return relevant;
}

// The same values as positions, lowest first.
std::vector<int> relevant_bits(const CompiledRuleset& ruleset, int fact_index) {
  std::uint64_t relevant = relevant_mask(ruleset, fact_index);
  std::vector<int> bits;
  for (int b = 0; b < 64; ++b) {
    if ((relevant >> b) & 1U) bits.push_back(b);
  }
  return bits;
}

}  // namespace

std::vector<model::FactValue> interval_starts(const CompiledRuleset& ruleset, int fact_index,
                                              const std::vector<bool>& only_atoms) {
  const model::Fact& fact = ruleset.model->facts[fact_index];
  // Every comparison cuts the range between two neighbouring values (`n >= 8` between 7 and 8,
  // `n <= 55` between 55 and 56; `=`/`!=` on both sides of its constant). Values with no cut
  // between them satisfy every comparison alike, so the lowest value of each interval stands for
  // it: one class per interval, not three values per constant.
  std::set<model::FactValue> starts{fact.low};
  auto cut_before = [&](model::FactValue v) {
    if (v > fact.low && v <= fact.high) starts.insert(v);
  };
  for (std::size_t i = 0; i < ruleset.atoms.size(); ++i) {
    const Atom& atom = ruleset.atoms[i];
    if (atom.fact != fact_index || (!only_atoms.empty() && !only_atoms[i])) continue;
    switch (atom.kind) {
      case Atom::Kind::lt: case Atom::Kind::ge: cut_before(atom.operand); break;
      case Atom::Kind::le: case Atom::Kind::gt: cut_before(atom.operand + 1); break;
      default: cut_before(atom.operand); cut_before(atom.operand + 1); break;
    }
  }
  return {starts.begin(), starts.end()};
}

bool value_classes_exact(const CompiledRuleset& ruleset, int fact) {
  return ruleset.model->facts[fact].type != model::FactType::set ||
         static_cast<int>(relevant_bits(ruleset, fact).size()) <= max_exact_set_bits;
}

std::vector<model::FactValue> value_classes(const CompiledRuleset& ruleset, int fact_index) {
  const model::Fact& fact = ruleset.model->facts[fact_index];
  std::vector<model::FactValue> values;
  switch (fact.type) {
    case model::FactType::boolean: return {0, 1};
    case model::FactType::integer: return interval_starts(ruleset, fact_index, {});
    case model::FactType::enumeration:
      for (std::size_t i = 0; i < fact.values.size(); ++i) values.push_back(model::FactValue{1} << i);
      return values;
    case model::FactType::set: {
      std::vector<int> bits = relevant_bits(ruleset, fact_index);
      // A class must be an answer a patient can give: with `min_choices`, a subset of the tested
      // values that is too small is filled up with values nothing looks at (which changes no
      // decision), lowest first; one that cannot be filled up is no answer at all and is left out.
      std::uint64_t relevant = relevant_mask(ruleset, fact_index);
      std::vector<int> spare;
      for (std::size_t v = 0; v < fact.values.size(); ++v) {
        if (!((relevant >> v) & 1U)) spare.push_back(static_cast<int>(v));
      }
      if (static_cast<int>(bits.size()) > max_exact_set_bits) bits.resize(max_exact_set_bits);
      // Subsets by size, so searches try "few" before "many".
      std::vector<std::uint64_t> subsets;
      for (std::uint64_t subset = 0; subset < (std::uint64_t{1} << bits.size()); ++subset) subsets.push_back(subset);
      std::stable_sort(subsets.begin(), subsets.end(), [](std::uint64_t a, std::uint64_t b) {
        return __builtin_popcountll(a) < __builtin_popcountll(b);
      });
      for (std::uint64_t subset : subsets) {
        std::uint64_t value = 0;
        for (std::size_t k = 0; k < bits.size(); ++k) {
          if ((subset >> k) & 1U) value |= std::uint64_t{1} << bits[k];
        }
        std::size_t short_by = static_cast<std::size_t>(std::max(0, fact.min_choices - __builtin_popcountll(subset)));
        if (short_by > spare.size()) continue;
        for (std::size_t k = 0; k < short_by; ++k) value |= std::uint64_t{1} << spare[k];
        values.push_back(static_cast<model::FactValue>(value));
      }
      return values;
    }
  }
  return values;
}

}  // namespace triage
