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

// The value of a fact as the rules see it: the answer, else the default. False when unknown.
inline bool fact_value(const CompiledRuleset& ruleset, const Answers& answers, std::size_t fact,
                       model::FactValue& value) {
  if (answers.known.test(fact)) {
    value = answers.values[fact];
    return true;
  }
  if (ruleset.has_default.test(fact)) {
    value = ruleset.defaults[fact];
    return true;
  }
  return false;
}

// Scratch space for truths (of atoms, of red flags): on the stack for rulesets of ordinary size.
class TruthBuffer {
 public:
  explicit TruthBuffer(std::size_t size) {
    if (size > inline_size) heap_.resize(size);
    data_ = size > inline_size ? heap_.data() : inline_.data();
  }
  Truth* data() { return data_; }
  const Truth* data() const { return data_; }

 private:
  static constexpr std::size_t inline_size = 512;
  std::array<Truth, inline_size> inline_;
  std::vector<Truth> heap_;
  Truth* data_;
};

// Stack space for running one program. Conditions written by people are shallow and the compiler
// records the deepest stack needed, so the space is inline unless a ruleset needs more. Left
// uninitialised on purpose: only pushed entries are read.
template <typename Entry>
class ProgramStack {
 public:
  explicit ProgramStack(std::size_t depth) {
    if (depth > inline_size) {
      large_.resize(depth);
      data_ = large_.data();
    }
  }
  Entry* data() { return data_; }

 private:
  static constexpr std::size_t inline_size = 64;
  Entry small_[inline_size];
  std::vector<Entry> large_;
  Entry* data_ = small_;
};

// Working lists of the plan builder. One set per thread is kept and reused, so a decision
// allocates only what it returns.
struct PlanScratch {
  std::vector<std::pair<int, ExclusionReason>> reasons;
  std::vector<std::pair<int, int>> includes;  // (technique, rule)
  std::vector<std::pair<int, int>> cautions;  // (technique, rule)
  std::vector<std::pair<int, int>> phase_edges;
  std::vector<std::pair<int, int>> technique_edges;
  std::vector<int> phase_order, per_phase, chosen, candidates;
  std::vector<std::uint32_t> counts, cursor;

  void clear() {
    reasons.clear();
    includes.clear();
    cautions.clear();
    phase_edges.clear();
    technique_edges.clear();
    phase_order.clear();
    per_phase.clear();
    chosen.clear();
    candidates.clear();
  }
};

// Builds the plan with few allocations: exclusion reasons, includes and cautions are collected in
// flat lists and grouped once at the end.
class PlanBuilder {
 public:
  PlanBuilder(const CompiledRuleset& ruleset, const Answers& answers, const Truth* atoms, Evaluation& out,
              PlanScratch& scratch)
      : ruleset_(ruleset),
        model_(*ruleset.model),
        answers_(answers),
        atoms_(atoms),
        out_(out),
        reasons_(scratch.reasons),
        includes_(scratch.includes),
        cautions_(scratch.cautions),
        phase_edges_(scratch.phase_edges),
        technique_edges_(scratch.technique_edges),
        scratch_(scratch) {
    scratch.clear();
    out_.excluded.reserve(ruleset.techniques.size());
    out_.exclusion_reasons.reserve(64);
  }

  void build() {
    apply_rules();
    exclude_unsuitable();
    select();
    group_exclusions();
  }

 private:
  void exclude(int technique, ExclusionReason reason) {
    reasons_.push_back({technique, reason});
    excluded_.set(static_cast<std::size_t>(technique));
  }

  template <typename F>
  static void for_each(const std::vector<int>& techniques, F f) {
    for (int t : techniques) f(t);
  }

  // Caution wins: avoid, caution and order apply unless their condition is known false; include
  // applies only when its condition is known true.
  void apply_rules() {
    for (std::size_t r = 0; r < ruleset_.rules.size(); ++r) {
      const auto& rule = ruleset_.rules[r];
      Truth truth = run_program(ruleset_, rule.condition, atoms_);
      if (truth == Truth::false_) continue;
      int rule_index = static_cast<int>(r);
      if (truth == Truth::true_) out_.fired_rules.push_back(rule_index);
      for (const auto& effect : rule.effects) {
        switch (effect.kind) {
          case model::Effect::Kind::avoid:
            for_each(effect.technique_list, [&](int t) { exclude(t, {ExclusionReason::Kind::rule, rule_index, 0}); });
            break;
          case model::Effect::Kind::include:
            if (truth == Truth::true_) {
              for_each(effect.technique_list, [&](int t) {
                includes_.push_back({t, rule_index});
                included_.set(static_cast<std::size_t>(t));
              });
            }
            break;
          case model::Effect::Kind::caution:
            if (effect.general) out_.cautions.push_back(rule_index);
            else for_each(effect.technique_list, [&](int t) { cautions_.push_back({t, rule_index}); });
            break;
          case model::Effect::Kind::order:
            if (effect.first_phase >= 0) {
              phase_edges_.push_back({effect.first_phase, effect.second_phase});
            } else {
              for_each(effect.technique_list, [&](int a) {
                for_each(effect.second_list, [&](int b) { technique_edges_.push_back({a, b}); });
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
      model::FactValue value = 0;
      if (fact < 0 || !fact_value(ruleset_, answers_, static_cast<std::size_t>(fact), value)) return 0;
      return static_cast<std::uint64_t>(value);
    };
    std::uint64_t equipment = set_value(plan.equipment_fact);
    areas_ = set_value(plan.area_fact);
    for (std::size_t t = 0; t < ruleset_.techniques.size(); ++t) {
      const auto& technique = ruleset_.techniques[t];
      if (std::uint64_t missing = technique.needs & ~equipment) {
        exclude(static_cast<int>(t), {ExclusionReason::Kind::missing_equipment, -1, missing});
      }
      if (plan.targeted[technique.phase] && !included_.test(t) && (technique.targets & areas_) == 0) {
        exclude(static_cast<int>(t), {ExclusionReason::Kind::not_targeted, -1, 0});
      }
    }
  }

  void select() {
    const auto& plan = model_.plan;
    std::size_t phases = plan.phases.size();
    std::vector<int>& phase_order = scratch_.phase_order;
    for (std::size_t p = 0; p < phases; ++p) phase_order.push_back(static_cast<int>(p));
    if (!phase_edges_.empty()) stable_topological_sort(phase_order, phase_edges_);
    // The techniques that make it into the plan, in plan order, and how many each phase has.
    std::vector<int>& chosen = scratch_.chosen;
    std::vector<int>& per_phase = scratch_.per_phase;
    per_phase.assign(phases, 0);
    std::vector<int>& candidates = scratch_.candidates;
    int total = 0;
    for (int phase : phase_order) {
      candidates.clear();
      for (std::size_t t = 0; t < ruleset_.techniques.size(); ++t) {
        if (!excluded_.test(t) && ruleset_.techniques[t].phase == phase) candidates.push_back(static_cast<int>(t));
      }
      // Technique orders are checked to lie within one phase, so only that phase needs sorting.
      bool ordered_here = false;
      for (const auto& edge : technique_edges_) ordered_here = ordered_here || ruleset_.techniques[edge.first].phase == phase;
      if (ordered_here) stable_topological_sort(candidates, technique_edges_);
      for (std::size_t i = 0; i < candidates.size(); ++i) {
        int t = candidates[i];
        if (static_cast<int>(i) >= plan.max_per_phase) {
          exclude(t, {ExclusionReason::Kind::phase_limit, -1, 0});
        } else if (total >= plan.max_total) {
          exclude(t, {ExclusionReason::Kind::total_limit, -1, 0});
        } else {
          ++total;
          ++per_phase[phase];
          chosen.push_back(t);
        }
      }
    }
    for (std::size_t r = 0; r < plan.requirements.size(); ++r) {
      const auto& requirement = plan.requirements[r];
      const TechniqueSet& exempt = ruleset_.requirement_exempt[r];
      auto triggers = [&](int t) {
        return t >= 0 && ruleset_.techniques[t].phase == requirement.trigger && !exempt.test(static_cast<std::size_t>(t));
      };
      if (per_phase[requirement.needed] > 0 || std::none_of(chosen.begin(), chosen.end(), triggers)) continue;
      for (int& t : chosen) {
        if (!triggers(t)) continue;
        exclude(t, {ExclusionReason::Kind::requirement, -1, static_cast<std::uint64_t>(requirement.needed)});
        t = -1;
        --per_phase[requirement.trigger];
      }
    }
    out_.plan.reserve(chosen.size());
    {
      for (int t : chosen) {
        if (t < 0) continue;
        PlanEntry entry{t, {}, {}, ruleset_.techniques[t].targets & areas_};
        for (const auto& [technique, rule] : includes_) {
          if (technique == t) entry.include_rules.push_back(rule);
        }
        for (const auto& [technique, rule] : cautions_) {
          if (technique == t) entry.caution_rules.push_back(rule);
        }
        out_.plan.push_back(std::move(entry));
      }
    }
  }

  // Groups the reasons by technique in catalogue order, each technique's in the order they were
  // found (a counting sort: no comparisons, no temporary buffer).
  void group_exclusions() {
    std::vector<std::uint32_t>& start = scratch_.counts;
    start.assign(ruleset_.techniques.size() + 1, 0);
    for (const auto& reason : reasons_) ++start[static_cast<std::size_t>(reason.first) + 1];
    for (std::size_t t = 0; t < ruleset_.techniques.size(); ++t) {
      // Here start[t] is where technique t's reasons begin and start[t + 1] still holds its count.
      if (start[t + 1] > 0) out_.excluded.push_back({static_cast<int>(t), start[t], start[t + 1]});
      start[t + 1] += start[t];
    }
    out_.exclusion_reasons.resize(reasons_.size());
    std::vector<std::uint32_t>& next = scratch_.cursor;
    next.assign(start.begin(), start.end() - 1);
    for (const auto& [technique, reason] : reasons_) out_.exclusion_reasons[next[technique]++] = reason;
  }

  const CompiledRuleset& ruleset_;
  const model::Ruleset& model_;
  const Answers& answers_;
  const Truth* atoms_;
  Evaluation& out_;
  std::vector<std::pair<int, ExclusionReason>>& reasons_;
  std::vector<std::pair<int, int>>& includes_;
  std::vector<std::pair<int, int>>& cautions_;
  std::vector<std::pair<int, int>>& phase_edges_;
  std::vector<std::pair<int, int>>& technique_edges_;
  PlanScratch& scratch_;
  TechniqueSet excluded_;
  TechniqueSet included_;
  std::uint64_t areas_ = 0;
};

// The facts whose answer can still change a program's truth, as bits of `slot` (a fact's bit among
// the unanswered facts the rules read). With `atoms` computed as if every unanswered fact were
// unknown, a settled (true or false) sub-condition cannot change whatever they turn out to be, so
// only the unknown atoms under unsettled nodes count. Sound for any condition (a fact it leaves out
// cannot change the truth), and exact when each fact appears once.
std::uint64_t open_facts(const CompiledRuleset& ruleset, const Program& program, const Truth* atoms,
                         const std::int8_t* slot) {
  struct Entry {
    Truth truth;
    std::uint64_t facts;
  };
  ProgramStack<Entry> space(ruleset.max_stack);
  Entry* stack = space.data();
  std::size_t top = 0;
  for (std::uint32_t i = program.begin; i < program.end; ++i) {
    const Op& op = ruleset.ops[i];
    switch (op.code) {
      case Op::Code::atom: {
        Truth truth = atoms[op.arg];
        std::int8_t bit = slot[ruleset.atoms[op.arg].fact];
        stack[top++] = {truth, truth == Truth::unknown && bit >= 0 ? std::uint64_t{1} << bit : 0};
        break;
      }
      case Op::Code::always: stack[top++] = {Truth::true_, 0}; break;
      case Op::Code::not_: {
        Truth& value = stack[top - 1].truth;
        if (value != Truth::unknown) value = value == Truth::true_ ? Truth::false_ : Truth::true_;
        break;
      }
      case Op::Code::and_:
      case Op::Code::or_: {
        Truth decisive = op.code == Op::Code::and_ ? Truth::false_ : Truth::true_;
        Entry result{op.code == Op::Code::and_ ? Truth::true_ : Truth::false_, 0};
        for (std::uint32_t k = 0; k < op.arg; ++k) {
          const Entry& child = stack[top - 1 - k];
          if (child.truth == decisive) result.truth = decisive;
          else if (child.truth == Truth::unknown && result.truth != decisive) result.truth = Truth::unknown;
          if (child.truth == Truth::unknown) result.facts |= child.facts;
        }
        if (result.truth != Truth::unknown) result.facts = 0;
        top -= op.arg;
        stack[top++] = result;
        break;
      }
    }
  }
  return top == 0 || stack[top - 1].truth != Truth::unknown ? 0 : stack[top - 1].facts;
}

// Evaluation::refine: the unanswered questions whose answer could change a self-care decision.
// The plan is a function of the truth of each rule (and red flag) and of the equipment and pain-area
// answers, so a question can change it only by unsettling one of those.
void find_refine(const CompiledRuleset& ruleset, const Answers& answers, const Truth* atoms, Evaluation& out) {
  const model::Ruleset& model = *ruleset.model;
  const model::FactSet unanswered = ruleset.declared_facts & ~answers.known;
  model::FactSet relevant;
  auto direct = [&](int fact) {
    if (fact >= 0 && unanswered.test(static_cast<std::size_t>(fact))) relevant.set(static_cast<std::size_t>(fact));
  };
  direct(model.plan.equipment_fact);
  direct(model.plan.area_fact);
  const model::FactSet read = unanswered & (ruleset.rule_facts | ruleset.red_flag_facts);
  if (read.any()) {
    // Each unanswered fact the rules read gets a bit; past 64 of them, the rest count whole.
    std::int8_t slot[model::max_facts];
    std::fill(std::begin(slot), std::end(slot), std::int8_t{-1});
    int facts[64];
    int slots = 0;
    // The atoms as if no default applied: an unanswered question is unknown, whatever its default.
    TruthBuffer open(ruleset.atoms.size());
    Truth* open_atoms = open.data();
    std::copy(atoms, atoms + ruleset.atoms.size(), open_atoms);
    // The conditions that read an unanswered fact: rules, then red flags.
    TechniqueSet readers_small;  // a bit per condition for ordinary rulesets
    std::vector<bool> readers_large;
    std::size_t conditions = ruleset.rules.size() + ruleset.red_flags.size();
    bool small = conditions <= readers_small.size();
    if (!small) readers_large.assign(conditions, false);
    model::FactSet overflow;
    for (std::size_t f = 0; f < model.facts.size(); ++f) {
      if (!read.test(f)) continue;
      if (slots < 64) {
        facts[slots] = static_cast<int>(f);
        slot[f] = static_cast<std::int8_t>(slots++);
      } else {
        overflow.set(f);
      }
      for (std::uint32_t atom : ruleset.fact_atoms[f]) open_atoms[atom] = Truth::unknown;
      for (std::uint32_t reader : ruleset.fact_readers[f]) {
        if (small) readers_small.set(reader);
        else readers_large[reader] = true;
      }
    }
    std::uint64_t bits = 0;
    for (std::size_t c = 0; c < conditions; ++c) {
      if (small ? !readers_small.test(c) : !readers_large[c]) continue;
      bool is_rule = c < ruleset.rules.size();
      const Program& condition = is_rule ? ruleset.rules[c].condition : ruleset.red_flags[c - ruleset.rules.size()].condition;
      if (run_program(ruleset, condition, open_atoms) != Truth::unknown) continue;
      bits |= open_facts(ruleset, condition, open_atoms, slot);
      if (overflow.any()) {  // conservative for the facts past 64
        relevant |= overflow & (is_rule ? ruleset.rules[c].depends_on : ruleset.red_flags[c - ruleset.rules.size()].depends_on);
      }
    }
    for (int k = 0; k < slots; ++k) {
      if ((bits >> k) & 1U) relevant.set(static_cast<std::size_t>(facts[k]));
    }
  }
  if (relevant.none()) return;
  for (int fact : ruleset.question_order) {
    if (relevant.test(static_cast<std::size_t>(fact))) out.refine.push_back(fact);
  }
}

}  // namespace

Truth run_program(const CompiledRuleset& ruleset, const Program& program, const Truth* atoms) {
  ProgramStack<Truth> space(ruleset.max_stack);
  Truth* stack = space.data();
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
  TruthBuffer truths(ruleset.atoms.size());
  Truth* atoms = truths.data();
  for (std::size_t i = 0; i < ruleset.atoms.size(); ++i) {
    const Atom& atom = ruleset.atoms[i];
    model::FactValue value = 0;
    atoms[i] = fact_value(ruleset, answers, atom.fact, value) ? test_atom(atom, value) : Truth::unknown;
  }
  model::FactSet known = answers.known | ruleset.has_default;

  Evaluation out;
  model::Tier certain = model::Tier::none;
  model::Tier possible = model::Tier::none;
  TruthBuffer flag_truths(ruleset.red_flags.size());
  Truth* flags = flag_truths.data();
  for (std::size_t f = 0; f < ruleset.red_flags.size(); ++f) {
    const auto& flag = ruleset.red_flags[f];
    flags[f] = run_program(ruleset, flag.condition, atoms);
    if (flags[f] == Truth::true_) certain = std::max(certain, flag.tier);
    if (flags[f] != Truth::false_) possible = std::max(possible, flag.tier);
  }
  for (int tier = static_cast<int>(model::Tier::emergency); tier > 0; --tier) {
    for (std::size_t f = 0; f < ruleset.red_flags.size(); ++f) {
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
      for (std::size_t f = 0; f < ruleset.red_flags.size(); ++f) {
        if (flags[f] == Truth::unknown && static_cast<int>(ruleset.red_flags[f].tier) == tier) {
          wanted |= ruleset.red_flags[f].depends_on;
        }
      }
      wanted &= ~known & ~listed;
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
  thread_local PlanScratch scratch;
  PlanBuilder(ruleset, answers, atoms, out, scratch).build();
  find_refine(ruleset, answers, atoms, out);
  return out;
}

}  // namespace triage
