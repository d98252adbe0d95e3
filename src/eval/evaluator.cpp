#include "eval/evaluator.hpp"

#include <algorithm>
#include <array>

#include "eval/order.hpp"

namespace triage {
namespace {

Truth from_bool(bool value) { return value ? Truth::true_ : Truth::false_; }

Truth test_atom(const Atom& atom, model::FactValue value) {
  auto bits = static_cast<std::uint64_t>(value);
  auto mask = static_cast<std::uint64_t>(atom.operand);
  switch (atom.kind) {
    case Atom::Kind::fact_true: return from_bool(value != 0);
    case Atom::Kind::eq: return from_bool(value == atom.operand);
    case Atom::Kind::ne: return from_bool(value != atom.operand);
    case Atom::Kind::lt: return from_bool(value < atom.operand);
    case Atom::Kind::le: return from_bool(value <= atom.operand);
    case Atom::Kind::gt: return from_bool(value > atom.operand);
    case Atom::Kind::ge: return from_bool(value >= atom.operand);
    case Atom::Kind::mask_any: return from_bool((bits & mask) != 0);
    case Atom::Kind::mask_all: return from_bool((bits & mask) == mask);
    case Atom::Kind::mask_none: return from_bool((bits & mask) == 0);
  }
  return Truth::unknown;
}

// The answers with defaults filled in; `known` grows by the defaulted facts.
struct Effective {
  std::vector<model::FactValue> values;
  model::FactSet known;
};

Effective apply_defaults(const CompiledRuleset& ruleset, const Answers& answers) {
  Effective effective{answers.values, answers.known};
  model::FactSet defaulted = ruleset.has_default & ~answers.known;
  for (std::size_t i = 0; i < effective.values.size(); ++i) {
    if (defaulted.test(i)) effective.values[i] = ruleset.defaults[i];
  }
  effective.known |= defaulted;
  return effective;
}

class PlanBuilder {
 public:
  PlanBuilder(const CompiledRuleset& ruleset, const Effective& facts, const std::vector<Truth>& atoms, Evaluation& out)
      : ruleset_(ruleset), model_(*ruleset.model), facts_(facts), atoms_(atoms), out_(out),
        reasons_(model_.techniques.size()), include_rules_(model_.techniques.size()),
        caution_rules_(model_.techniques.size()) {}

  void build() {
    apply_rules();
    exclude_unsuitable();
    std::vector<std::vector<int>> by_phase = order_candidates();
    select(by_phase);
    for (std::size_t t = 0; t < model_.techniques.size(); ++t) {
      if (!reasons_[t].empty()) out_.excluded.push_back({static_cast<int>(t), reasons_[t]});
    }
  }

 private:
  // Caution wins: avoid, caution and order apply unless their condition is known false; include
  // applies only when its condition is known true.
  void apply_rules() {
    for (std::size_t r = 0; r < ruleset_.rules.size(); ++r) {
      const auto& rule = ruleset_.rules[r];
      Truth truth = run_program(ruleset_, rule.condition, atoms_.data());
      if (truth == Truth::false_) continue;
      if (truth == Truth::true_) out_.fired_rules.push_back(static_cast<int>(r));
      for (const auto& effect : rule.effects) {
        switch (effect.kind) {
          case model::Effect::Kind::avoid:
            for_each(effect.techniques, [&](int t) { reasons_[t].push_back({ExclusionReason::Kind::rule, static_cast<int>(r), 0}); });
            break;
          case model::Effect::Kind::include:
            if (truth == Truth::true_) for_each(effect.techniques, [&](int t) { include_rules_[t].push_back(static_cast<int>(r)); });
            break;
          case model::Effect::Kind::caution:
            if (effect.general) out_.cautions.push_back(static_cast<int>(r));
            else for_each(effect.techniques, [&](int t) { caution_rules_[t].push_back(static_cast<int>(r)); });
            break;
          case model::Effect::Kind::order:
            if (effect.first_phase >= 0) {
              phase_edges_.push_back({effect.first_phase, effect.second_phase});
            } else {
              for_each(effect.techniques, [&](int a) {
                for_each(effect.second, [&](int b) { technique_edges_.push_back({a, b}); });
              });
            }
            break;
        }
      }
    }
  }

  // Missing equipment and untargeted techniques; unknown equipment or areas count as none.
  void exclude_unsuitable() {
    const auto& plan = model_.plan;
    auto set_value = [&](int fact) -> std::uint64_t {
      if (fact < 0 || !facts_.known.test(static_cast<std::size_t>(fact))) return 0;
      return static_cast<std::uint64_t>(facts_.values[fact]);
    };
    std::uint64_t equipment = set_value(plan.equipment_fact);
    std::uint64_t areas = set_value(plan.area_fact);
    areas_ = areas;
    for (std::size_t t = 0; t < ruleset_.techniques.size(); ++t) {
      const auto& technique = ruleset_.techniques[t];
      if (std::uint64_t missing = technique.needs & ~equipment) {
        reasons_[t].push_back({ExclusionReason::Kind::missing_equipment, -1, missing});
      }
      if (plan.targeted[technique.phase] && include_rules_[t].empty() && (technique.targets & areas) == 0) {
        reasons_[t].push_back({ExclusionReason::Kind::not_targeted, -1, 0});
      }
    }
  }

  std::vector<std::vector<int>> order_candidates() {
    std::size_t phases = model_.plan.phases.size();
    std::vector<int> phase_order(phases);
    for (std::size_t p = 0; p < phases; ++p) phase_order[p] = static_cast<int>(p);
    phase_order_ = stable_topological_order(phase_order, phase_edges_);
    std::vector<std::vector<int>> by_phase(phases);
    for (std::size_t t = 0; t < ruleset_.techniques.size(); ++t) {
      if (reasons_[t].empty()) by_phase[ruleset_.techniques[t].phase].push_back(static_cast<int>(t));
    }
    for (auto& candidates : by_phase) candidates = stable_topological_order(candidates, technique_edges_);
    return by_phase;
  }

  void select(std::vector<std::vector<int>>& by_phase) {
    const auto& plan = model_.plan;
    int total = 0;
    for (int phase : phase_order_) {
      auto& candidates = by_phase[phase];
      for (std::size_t i = 0; i < candidates.size(); ++i) {
        int t = candidates[i];
        if (static_cast<int>(i) >= plan.max_per_phase) {
          reasons_[t].push_back({ExclusionReason::Kind::phase_limit, -1, 0});
        } else if (total >= plan.max_total) {
          reasons_[t].push_back({ExclusionReason::Kind::total_limit, -1, 0});
        } else {
          ++total;
          continue;
        }
        candidates[i] = -1;
      }
      candidates.erase(std::remove(candidates.begin(), candidates.end(), -1), candidates.end());
    }
    for (const auto& requirement : plan.requirements) {
      if (!by_phase[requirement.trigger].empty() && by_phase[requirement.needed].empty()) {
        for (int t : by_phase[requirement.trigger]) {
          reasons_[t].push_back({ExclusionReason::Kind::requirement, -1, static_cast<std::uint64_t>(requirement.needed)});
        }
        by_phase[requirement.trigger].clear();
      }
    }
    for (int phase : phase_order_) {
      for (int t : by_phase[phase]) out_.plan.push_back({t, include_rules_[t], caution_rules_[t], ruleset_.techniques[t].targets & areas_});
    }
  }

  template <typename F>
  void for_each(const TechniqueSet& set, F f) {
    for (std::size_t t = 0; t < ruleset_.techniques.size(); ++t) {
      if (set.test(t)) f(static_cast<int>(t));
    }
  }

  const CompiledRuleset& ruleset_;
  const model::Ruleset& model_;
  const Effective& facts_;
  const std::vector<Truth>& atoms_;
  Evaluation& out_;
  std::vector<std::vector<ExclusionReason>> reasons_;
  std::vector<std::vector<int>> include_rules_;
  std::vector<std::vector<int>> caution_rules_;
  std::vector<std::pair<int, int>> phase_edges_;
  std::vector<std::pair<int, int>> technique_edges_;
  std::vector<int> phase_order_;
  std::uint64_t areas_ = 0;
};

}  // namespace

Truth run_program(const CompiledRuleset& ruleset, const Program& program, const Truth* atoms) {
  // Conditions written by people are shallow; the compiler records the deepest stack needed.
  constexpr std::size_t inline_stack = 64;
  std::array<Truth, inline_stack> small;
  std::vector<Truth> large;
  Truth* stack = small.data();
  if (ruleset.max_stack > inline_stack) {
    large.resize(ruleset.max_stack);
    stack = large.data();
  }
  std::size_t top = 0;
  for (std::uint32_t i = program.begin; i < program.end; ++i) {
    const Op& op = ruleset.ops[i];
    switch (op.code) {
      case Op::Code::atom: stack[top++] = atoms[op.arg]; break;
      case Op::Code::always: stack[top++] = Truth::true_; break;
      case Op::Code::not_: {
        Truth& value = stack[top - 1];
        if (value != Truth::unknown) value = value == Truth::true_ ? Truth::false_ : Truth::true_;
        break;
      }
      case Op::Code::and_:
      case Op::Code::or_: {
        // and: any false -> false; or: any true -> true; otherwise unknown if any unknown.
        Truth decisive = op.code == Op::Code::and_ ? Truth::false_ : Truth::true_;
        Truth neutral = op.code == Op::Code::and_ ? Truth::true_ : Truth::false_;
        Truth result = neutral;
        for (std::uint32_t k = 0; k < op.arg; ++k) {
          Truth value = stack[top - 1 - k];
          if (value == decisive) result = decisive;
          else if (value == Truth::unknown && result != decisive) result = Truth::unknown;
        }
        top -= op.arg;
        stack[top++] = result;
        break;
      }
    }
  }
  return top == 0 ? Truth::true_ : stack[top - 1];
}

void compute_atoms(const CompiledRuleset& ruleset, const std::vector<model::FactValue>& values,
                   const model::FactSet& known, Truth* out) {
  for (std::size_t i = 0; i < ruleset.atoms.size(); ++i) {
    const Atom& atom = ruleset.atoms[i];
    out[i] = known.test(atom.fact) ? test_atom(atom, values[atom.fact]) : Truth::unknown;
  }
}

Evaluation evaluate(const CompiledRuleset& ruleset, const Answers& answers) {
  const model::Ruleset& model = *ruleset.model;
  Effective facts = apply_defaults(ruleset, answers);
  std::vector<Truth> atoms(ruleset.atoms.size());
  compute_atoms(ruleset, facts.values, facts.known, atoms.data());

  Evaluation out;
  model::Tier certain = model::Tier::none;
  model::Tier possible = model::Tier::none;
  std::vector<Truth> flags(ruleset.red_flags.size());
  for (std::size_t f = 0; f < ruleset.red_flags.size(); ++f) {
    const auto& flag = ruleset.red_flags[f];
    flags[f] = run_program(ruleset, flag.condition, atoms.data());
    if (flags[f] == Truth::true_) certain = std::max(certain, flag.tier);
    if (flags[f] != Truth::false_) possible = std::max(possible, flag.tier);
  }
  for (int tier = static_cast<int>(model::Tier::emergency); tier > 0; --tier) {
    for (std::size_t f = 0; f < flags.size(); ++f) {
      if (flags[f] == Truth::true_ && static_cast<int>(ruleset.red_flags[f].tier) == tier) {
        out.red_flags.push_back(static_cast<int>(f));
      }
    }
  }
  out.urgency = certain;

  if (possible > certain) {
    // An unanswered question could still raise the urgency or turn self-care into a referral.
    out.outcome = Outcome::incomplete;
    model::FactSet listed;
    for (int tier = static_cast<int>(possible); tier > static_cast<int>(certain); --tier) {
      model::FactSet wanted;
      for (std::size_t f = 0; f < flags.size(); ++f) {
        if (flags[f] == Truth::unknown && static_cast<int>(ruleset.red_flags[f].tier) == tier) {
          wanted |= ruleset.red_flags[f].depends_on;
        }
      }
      wanted &= ~facts.known & ~listed;
      for (std::size_t i = 0; i < model.facts.size(); ++i) {
        if (wanted.test(i)) out.missing.push_back(static_cast<int>(i));
      }
      listed |= wanted;
    }
    return out;
  }
  if (certain != model::Tier::none) {
    out.outcome = Outcome::refer;
    return out;
  }
  out.outcome = Outcome::self_care;
  PlanBuilder(ruleset, facts, atoms, out).build();
  return out;
}

}  // namespace triage
