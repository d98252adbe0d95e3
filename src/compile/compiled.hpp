#pragma once
// The evaluation form of a checked ruleset: facts by index, conditions as flat postfix programs over
// a table of atomic tests, technique properties as bit masks. Built once per ruleset; the request
// path reads it without parsing, tree walking or string lookups. Immutable; share freely.
#include <bitset>
#include <cstdint>
#include <memory>
#include <vector>

#include "model/ruleset.hpp"

namespace triage {

using model::max_tags;
using model::max_techniques;
using TechniqueSet = std::bitset<max_techniques>;

// One test of one fact; evaluates to true, false or unknown.
struct Atom {
  enum class Kind : std::uint8_t { fact_true, eq, ne, lt, le, gt, ge, mask_any, mask_all, mask_none };
  Kind kind = Kind::fact_true;
  std::uint16_t fact = 0;
  std::int64_t operand = 0;
};

// An atom as one range test, the form the request path computes every atom in without a branch on
// its kind: the atom holds when (value & mask) - low <= span in unsigned arithmetic (value & mask
// lies in [low, low + span]), the reverse when `negate` is 1. See CompiledRuleset::atom_tests.
struct AtomTest {
  std::uint64_t mask = ~std::uint64_t{0};
  std::uint64_t low = 0;
  std::uint64_t span = 0;
  std::uint16_t fact = 0;
  std::uint8_t negate = 0;
};

// One step of a postfix program. `and_`/`or_` combine the top `count` values.
struct Op {
  enum class Code : std::uint8_t { atom, always, not_, and_, or_ };
  Code code = Code::always;
  std::uint32_t arg = 0;  // atom index, or operand count
};

// A condition: the ops in [begin, end).
struct Program {
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
};

// A two-input gate of the conditions' circuit (CompiledRuleset::gates). Inputs are references:
// (slot << 1) | negate, where slot 0 is the constant true, slots 1..atoms.size() the atoms, and the
// gates follow. Truth in a slot is two bits, 1 true, 2 false, 0 unknown, so Kleene and/or are bit
// operations: `keep` 1 is and (true if both true, false if either false), 2 is or.
struct Gate {
  std::uint32_t left = 0;
  std::uint32_t right = 0;
  std::uint8_t keep = 1;
};

// A rule's effect of one kind as the request path reads it: its rule, and its techniques as ranges
// of CompiledRuleset::effect_techniques, so applying effects reads two flat arrays and never
// follows a rule to its effects.
struct EffectRef {
  std::uint32_t rule = 0;
  std::uint32_t first_begin = 0;  // avoid, include, caution on, order (first): [first_begin, first_end)
  std::uint32_t first_end = 0;
  std::uint32_t second_end = 0;   // order between techniques, the ones after: [first_end, second_end)
  std::int16_t first_phase = -1;  // order between phases
  std::int16_t second_phase = -1;
};

struct CompiledTechnique {
  int phase = 0;
  std::uint64_t tags = 0;     // bit per tag
  std::uint64_t needs = 0;    // equipment bits
  std::uint64_t targets = 0;  // pain-area bits
};

struct CompiledEffect {
  model::Effect::Kind kind = model::Effect::Kind::avoid;
  TechniqueSet techniques;   // avoid, include, caution on, order (first)
  TechniqueSet second;       // order between techniques: the ones that come after
  int first_phase = -1;      // order between phases
  int second_phase = -1;
  bool general = false;      // caution without a target
};

struct CompiledRule {
  Program condition;
  std::vector<CompiledEffect> effects;
  model::FactSet depends_on;  // the declared facts its condition reads, derived facts expanded
};

struct CompiledRedFlag {
  Program condition;
  model::Tier tier = model::Tier::routine;
  model::FactSet depends_on;  // the declared facts its condition reads, derived facts expanded
};

struct CompiledRuleset {
  std::shared_ptr<const model::Ruleset> model;
  std::vector<Atom> atoms;
  std::vector<AtomTest> atom_tests;  // per atom: the same test as a range test
  std::vector<Op> ops;
  std::size_t max_stack = 0;
  std::vector<CompiledRedFlag> red_flags;
  std::vector<CompiledRule> rules;
  std::vector<CompiledTechnique> techniques;
  std::vector<model::FactValue> defaults;  // per fact; meaningful where has_default is set
  model::FactSet has_default;
  model::FactSet red_flag_facts;           // facts any red flag depends on
  model::FactSet rule_facts;               // facts any suitability rule depends on
  std::vector<TechniqueSet> requirement_exempt;  // per plan requirement: techniques exempt from it
  // Declared facts in questionnaire order: section by section when the rules have sections, else
  // red-flag questions first (most urgent first), then the rest in declaration order.
  std::vector<int> question_order;
  std::vector<model::Tier> question_tier;  // per fact: the most urgent red flag that reads it
  model::FactSet declared_facts;           // the facts a kiosk asks (not derived)
  // Per fact: the atoms that test it, and the conditions that read it (rules by index, then red
  // flags at rules.size() + index), so that a question's effect is found without scanning all.
  std::vector<std::vector<std::uint32_t>> fact_atoms;
  std::vector<std::vector<std::uint32_t>> fact_readers;

  // The request path's form of the same conditions: every program as a circuit of gates over the
  // atoms (see Gate), run in one pass without a stack or a branch per operator. Red flags come
  // first: their atoms are atoms[0, red_flag_atoms) and their gates gates[0, red_flag_gates), so a
  // referral computes nothing the suitability rules alone need.
  std::vector<Gate> gates;
  std::size_t red_flag_atoms = 0;
  std::size_t red_flag_gates = 0;
  std::vector<std::uint32_t> red_flag_roots;  // per red flag: the reference to its truth
  std::vector<std::uint32_t> rule_roots;      // per rule
  // The rules' effects by kind, in rule order then effect order (the order the plan builder
  // reports them in), so each kind is applied in one loop. Cautions without a target and orders
  // between phases have lists of their own (caution_effects and order_effects hold the others),
  // so no loop branches on an effect's form.
  std::vector<EffectRef> avoid_effects, include_effects, caution_effects, order_effects;
  std::vector<EffectRef> general_caution_effects, phase_order_effects;
  std::vector<int> effect_techniques;  // the technique lists of the effects above, as indices
  // The avoid rules by technique: avoid_rules_by_technique[avoid_technique_begin[t],
  // avoid_technique_begin[t + 1]) are the rules whose avoid effects leave technique t out, in rule
  // order, each rule once, so the request path writes exclusion reasons technique by technique,
  // without sorting and without a test for repeats.
  std::vector<std::uint32_t> avoid_technique_begin;  // techniques.size() + 1 entries
  std::vector<std::uint32_t> avoid_rules_by_technique;
};

// The range test that holds exactly when `atom` does, for every value of its fact.
AtomTest range_test(const Atom& atom);

// Lowers a checked ruleset (which must have no errors) into its evaluation form.
std::shared_ptr<const CompiledRuleset> compile(std::shared_ptr<const model::Ruleset> ruleset);

}  // namespace triage
