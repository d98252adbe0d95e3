#include <algorithm>
#include <limits>
#include <map>
#include <tuple>

#include "compile/compiled.hpp"

namespace triage {
namespace {

class Compiler {
 public:
  explicit Compiler(const model::Ruleset& ruleset, CompiledRuleset& out) : ruleset_(ruleset), out_(out) {}

  // Emits the postfix program of a condition; derived facts are inlined, so evaluation needs no
  // second pass and a derived fact costs what its definition costs.
  Program emit(const model::Cond& cond, model::FactSet* depends_on) {
    Program program{static_cast<std::uint32_t>(out_.ops.size()), 0};
    emit_node(cond, depends_on);
    program.end = static_cast<std::uint32_t>(out_.ops.size());
    // The evaluator's stack must hold the deepest point of any program.
    std::size_t depth = 0;
    for (std::uint32_t i = program.begin; i < program.end; ++i) {
      const Op& op = out_.ops[i];
      if (op.code == Op::Code::atom || op.code == Op::Code::always) ++depth;
      if (op.code == Op::Code::and_ || op.code == Op::Code::or_) depth -= op.arg - 1;
      out_.max_stack = std::max(out_.max_stack, depth);
    }
    return program;
  }

 private:
  void emit_node(const model::Cond& cond, model::FactSet* depends_on) {
    using Kind = model::Cond::Kind;
    switch (cond.kind) {
      case Kind::always:
        out_.ops.push_back({Op::Code::always, 0});
        return;
      case Kind::derived:
        emit_node(ruleset_.facts[cond.fact].definition, depends_on);
        return;
      case Kind::not_:
        emit_node(cond.children.front(), depends_on);
        out_.ops.push_back({Op::Code::not_, 1});
        return;
      case Kind::and_:
      case Kind::or_: {
        for (const auto& child : cond.children) emit_node(child, depends_on);
        out_.ops.push_back({cond.kind == Kind::and_ ? Op::Code::and_ : Op::Code::or_,
                            static_cast<std::uint32_t>(cond.children.size())});
        return;
      }
      default:
        break;
    }
    if (depends_on != nullptr) depends_on->set(static_cast<std::size_t>(cond.fact));
    Atom atom;
    atom.fact = static_cast<std::uint16_t>(cond.fact);
    atom.operand = cond.number;
    switch (cond.kind) {
      case Kind::fact_true: atom.kind = Atom::Kind::fact_true; break;
      case Kind::compare: atom.kind = static_cast<Atom::Kind>(static_cast<int>(Atom::Kind::eq) + static_cast<int>(cond.op)); break;
      case Kind::mask_any: atom.kind = Atom::Kind::mask_any; break;
      case Kind::mask_all: atom.kind = Atom::Kind::mask_all; break;
      case Kind::mask_none: atom.kind = Atom::Kind::mask_none; break;
      default: break;
    }
    out_.ops.push_back({Op::Code::atom, intern(atom)});
  }

  // Atoms are shared: the same test in many rules is computed once per request.
  std::uint32_t intern(const Atom& atom) {
    auto key = std::make_tuple(static_cast<int>(atom.kind), atom.fact, atom.operand);
    auto [it, inserted] = atom_index_.emplace(key, static_cast<std::uint32_t>(out_.atoms.size()));
    if (inserted) out_.atoms.push_back(atom);
    return it->second;
  }

  const model::Ruleset& ruleset_;
  CompiledRuleset& out_;
  std::map<std::tuple<int, int, std::int64_t>, std::uint32_t> atom_index_;
};

TechniqueSet techniques_matching(const model::Ruleset& ruleset, const model::Target& target) {
  TechniqueSet set;
  for (std::size_t i = 0; i < ruleset.techniques.size(); ++i) {
    const auto& technique = ruleset.techniques[i];
    bool match = false;
    switch (target.kind) {
      case model::Target::Kind::technique: match = static_cast<int>(i) == target.index; break;
      case model::Target::Kind::tag:
        match = std::find(technique.tags.begin(), technique.tags.end(), target.index) != technique.tags.end();
        break;
      case model::Target::Kind::phase: match = technique.phase == target.index; break;
      case model::Target::Kind::none: break;
    }
    if (match) set.set(i);
  }
  return set;
}

// The questionnaire order (see CompiledRuleset::question_order).
void order_questions(const model::Ruleset& rules, CompiledRuleset& out) {
  out.question_tier.assign(rules.facts.size(), model::Tier::none);
  for (std::size_t i = 0; i < rules.facts.size(); ++i) {
    if (!rules.facts[i].derived) out.declared_facts.set(i);
  }
  for (const auto& flag : out.red_flags) {
    for (std::size_t i = 0; i < rules.facts.size(); ++i) {
      if (flag.depends_on.test(i)) out.question_tier[i] = std::max(out.question_tier[i], flag.tier);
    }
  }
  if (!rules.sections.empty()) {
    for (const auto& section : rules.sections) {
      out.question_order.insert(out.question_order.end(), section.facts.begin(), section.facts.end());
    }
    return;
  }
  for (int tier = static_cast<int>(model::Tier::emergency); tier >= 0; --tier) {
    for (std::size_t i = 0; i < rules.facts.size(); ++i) {
      if (!rules.facts[i].derived && static_cast<int>(out.question_tier[i]) == tier) {
        out.question_order.push_back(static_cast<int>(i));
      }
    }
  }
}

// The circuit of one program (see Gate): returns the reference to its truth. Postfix order is kept,
// so every gate reads slots computed before it; n-ary and/or become chains (Kleene's and/or are
// associative), and a `not` flips the negate bit of the reference instead of costing a gate.
std::uint32_t emit_circuit(CompiledRuleset& out, const Program& program) {
  constexpr std::uint32_t constant_true = 0;
  const std::uint32_t first_gate_slot = static_cast<std::uint32_t>(out.atoms.size()) + 1;
  std::vector<std::uint32_t> stack;
  for (std::uint32_t i = program.begin; i < program.end; ++i) {
    const Op& op = out.ops[i];
    switch (op.code) {
      case Op::Code::atom: stack.push_back((op.arg + 1) << 1); break;
      case Op::Code::always: stack.push_back(constant_true << 1); break;
      case Op::Code::not_: stack.back() ^= 1U; break;
      case Op::Code::and_:
      case Op::Code::or_: {
        std::size_t first = stack.size() - op.arg;
        std::uint32_t result = stack[first];
        for (std::size_t k = first + 1; k < stack.size(); ++k) {
          out.gates.push_back({result, stack[k], static_cast<std::uint8_t>(op.code == Op::Code::and_ ? 1 : 2)});
          result = (first_gate_slot + static_cast<std::uint32_t>(out.gates.size() - 1)) << 1;
        }
        stack.resize(first);
        stack.push_back(result);
        break;
      }
    }
  }
  return stack.empty() ? constant_true << 1 : stack.back();
}

void emit_circuits(CompiledRuleset& out) {
  for (const auto& flag : out.red_flags) out.red_flag_roots.push_back(emit_circuit(out, flag.condition));
  out.red_flag_gates = out.gates.size();
  for (std::size_t r = 0; r < out.rules.size(); ++r) {
    out.rule_roots.push_back(emit_circuit(out, out.rules[r].condition));
    for (const CompiledEffect& effect : out.rules[r].effects) {
      EffectRef ref;
      ref.rule = static_cast<std::uint32_t>(r);
      auto append = [&](const TechniqueSet& set) {
        for (std::size_t t = 0; t < out.techniques.size(); ++t) {
          if (set.test(t)) out.effect_techniques.push_back(static_cast<int>(t));
        }
        return static_cast<std::uint32_t>(out.effect_techniques.size());
      };
      ref.first_begin = static_cast<std::uint32_t>(out.effect_techniques.size());
      ref.first_end = append(effect.techniques);
      ref.second_end = append(effect.second);
      ref.first_phase = static_cast<std::int16_t>(effect.first_phase);
      ref.second_phase = static_cast<std::int16_t>(effect.second_phase);
      switch (effect.kind) {
        case model::Effect::Kind::avoid: out.avoid_effects.push_back(ref); break;
        case model::Effect::Kind::include: out.include_effects.push_back(ref); break;
        case model::Effect::Kind::caution:
          (effect.general ? out.general_caution_effects : out.caution_effects).push_back(ref);
          break;
        case model::Effect::Kind::order:
          (effect.first_phase >= 0 ? out.phase_order_effects : out.order_effects).push_back(ref);
          break;
      }
    }
  }
}

void index_avoids_by_technique(CompiledRuleset& out) {
  // Per technique, the rules whose avoids leave it out, in rule order. A rule whose two avoids both
  // match the technique (two of its tags) is listed once: it is one reason, and both avoids apply
  // or neither (they share the rule's truth), so the request path needs no test for repeats.
  std::vector<std::vector<std::uint32_t>> by_technique(out.techniques.size());
  for (const EffectRef& ref : out.avoid_effects) {
    for (std::uint32_t k = ref.first_begin; k < ref.first_end; ++k) {
      std::vector<std::uint32_t>& rules = by_technique[static_cast<std::size_t>(out.effect_techniques[k])];
      if (rules.empty() || rules.back() != ref.rule) rules.push_back(ref.rule);
    }
  }
  out.avoid_technique_begin.assign(1, 0);
  out.avoid_rules_by_technique.clear();
  for (const auto& rules : by_technique) {
    out.avoid_rules_by_technique.insert(out.avoid_rules_by_technique.end(), rules.begin(), rules.end());
    out.avoid_technique_begin.push_back(static_cast<std::uint32_t>(out.avoid_rules_by_technique.size()));
  }
}

void index_readers(const model::Ruleset& rules, CompiledRuleset& out) {
  out.fact_atoms.assign(rules.facts.size(), {});
  out.fact_readers.assign(rules.facts.size(), {});
  for (std::size_t a = 0; a < out.atoms.size(); ++a) out.fact_atoms[out.atoms[a].fact].push_back(static_cast<std::uint32_t>(a));
  auto add = [&](const model::FactSet& depends_on, std::size_t reader) {
    for (std::size_t f = 0; f < rules.facts.size(); ++f) {
      if (depends_on.test(f)) out.fact_readers[f].push_back(static_cast<std::uint32_t>(reader));
    }
  };
  for (std::size_t r = 0; r < out.rules.size(); ++r) add(out.rules[r].depends_on, r);
  for (std::size_t f = 0; f < out.red_flags.size(); ++f) add(out.red_flags[f].depends_on, out.rules.size() + f);
}

}  // namespace

// Integer ranges are signed and never wrap: one end is the operand, the other the type's least or
// greatest value. Set tests compare the masked bits with one value.
AtomTest range_test(const Atom& atom) {
  constexpr std::int64_t least = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t greatest = std::numeric_limits<std::int64_t>::max();
  const std::int64_t operand = atom.operand;
  auto range = [&](std::int64_t low, std::int64_t high, bool negate) {
    AtomTest test;
    test.fact = atom.fact;
    test.low = static_cast<std::uint64_t>(low);
    test.span = static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low);
    test.negate = negate ? 1 : 0;
    return test;
  };
  auto masked = [&](std::uint64_t equal_to, bool negate) {
    AtomTest test = range(static_cast<std::int64_t>(equal_to), static_cast<std::int64_t>(equal_to), negate);
    test.mask = static_cast<std::uint64_t>(operand);
    return test;
  };
  switch (atom.kind) {
    case Atom::Kind::fact_true: return range(0, 0, true);
    case Atom::Kind::eq: return range(operand, operand, false);
    case Atom::Kind::ne: return range(operand, operand, true);
    case Atom::Kind::lt: return range(operand, greatest, true);   // not >= operand
    case Atom::Kind::le: return range(least, operand, false);
    case Atom::Kind::gt: return range(least, operand, true);      // not <= operand
    case Atom::Kind::ge: return range(operand, greatest, false);
    case Atom::Kind::mask_any: return masked(0, true);
    case Atom::Kind::mask_all: return masked(static_cast<std::uint64_t>(operand), false);
    case Atom::Kind::mask_none: return masked(0, false);
  }
  return range(0, 0, false);
}

std::shared_ptr<const CompiledRuleset> compile(std::shared_ptr<const model::Ruleset> ruleset) {
  auto out = std::make_shared<CompiledRuleset>();
  const model::Ruleset& rules = *ruleset;
  Compiler compiler(rules, *out);
  out->defaults.assign(rules.facts.size(), 0);
  for (std::size_t i = 0; i < rules.facts.size(); ++i) {
    if (rules.facts[i].default_value) {
      out->defaults[i] = *rules.facts[i].default_value;
      out->has_default.set(i);
    }
  }
  for (const auto& flag : rules.red_flags) {
    CompiledRedFlag compiled;
    compiled.tier = flag.tier;
    compiled.condition = compiler.emit(flag.condition, &compiled.depends_on);
    out->red_flag_facts |= compiled.depends_on;
    out->red_flags.push_back(compiled);
  }
  out->red_flag_atoms = out->atoms.size();  // the atoms interned so far are those the red flags read
  for (const auto& technique : rules.techniques) {
    CompiledTechnique compiled;
    compiled.phase = technique.phase;
    for (int tag : technique.tags) compiled.tags |= std::uint64_t{1} << tag;
    compiled.needs = technique.needs;
    compiled.targets = technique.targets;
    out->techniques.push_back(compiled);
  }
  for (const auto& rule : rules.rules) {
    CompiledRule compiled;
    compiled.condition = compiler.emit(rule.condition, &compiled.depends_on);
    out->rule_facts |= compiled.depends_on;
    for (const auto& effect : rule.effects) {
      CompiledEffect e;
      e.kind = effect.kind;
      e.general = effect.first.kind == model::Target::Kind::none;
      if (effect.kind == model::Effect::Kind::order && effect.first.kind == model::Target::Kind::phase) {
        e.first_phase = effect.first.index;
        e.second_phase = effect.second.index;
      } else {
        e.techniques = techniques_matching(rules, effect.first);
        e.second = techniques_matching(rules, effect.second);
      }
      compiled.effects.push_back(e);
    }
    out->rules.push_back(std::move(compiled));
  }
  for (const auto& requirement : rules.plan.requirements) {
    TechniqueSet exempt;
    for (int t : requirement.exempt) exempt.set(static_cast<std::size_t>(t));
    out->requirement_exempt.push_back(exempt);
  }
  for (const Atom& atom : out->atoms) out->atom_tests.push_back(range_test(atom));
  emit_circuits(*out);
  index_avoids_by_technique(*out);
  order_questions(rules, *out);
  index_readers(rules, *out);
  out->model = std::move(ruleset);
  return out;
}

}  // namespace triage
