#include "eval/evaluator.hpp"

#include <algorithm>
#include <array>
#include <bitset>

#include "eval/order.hpp"

namespace triage {
namespace {

Truth from_bool(bool value) { return value ? Truth::true_ : Truth::false_; }

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


// Truth as the circuit holds it (see Gate): 1 true, 2 false, 0 unknown.
constexpr std::uint8_t code_true = 1;
constexpr std::uint8_t code_false = 2;

Truth to_truth(std::uint8_t code) {
  static constexpr Truth truths[4] = {Truth::unknown, Truth::true_, Truth::false_, Truth::unknown};
  return truths[code & 3U];
}

// The truth a reference points at, negated when its low bit says so.
inline std::uint8_t read_ref(const std::uint8_t* slots, std::uint32_t ref) {
  static constexpr std::uint8_t flipped[8] = {0, 1, 2, 3, 0, 2, 1, 3};
  return flipped[slots[ref >> 1] | ((ref & 1U) << 2)];
}

// Per-request state of the circuit, kept per thread so a decision allocates only what it returns.
struct CircuitScratch {
  std::vector<model::FactValue> values;  // per fact: the answer, else the default
  std::vector<std::uint8_t> known;       // per fact: 1 when answered or defaulted
  std::vector<std::uint8_t> slots;       // see Gate
  std::vector<Truth> rules;              // per suitability rule
};

// Atoms [from, to) into their slots. The answer lookups were done once per fact. Each atom is one
// range test (AtomTest), so no branch on its kind, which follows no pattern from atom to atom.
void compute_atom_codes(const CompiledRuleset& ruleset, CircuitScratch& scratch, std::size_t from, std::size_t to) {
  std::uint8_t* slots = scratch.slots.data() + 1;
  const AtomTest* tests = ruleset.atom_tests.data();
  for (std::size_t i = from; i < to; ++i) {
    const AtomTest& test = tests[i];
    const auto value = static_cast<std::uint64_t>(scratch.values[test.fact]);
    const auto holds = static_cast<std::uint8_t>(((value & test.mask) - test.low <= test.span) ^ test.negate);
    const auto code = static_cast<std::uint8_t>(code_false - holds);  // 1 true, 2 false
    slots[i] = static_cast<std::uint8_t>(code * scratch.known[test.fact]);
  }
}

// Gates [from, to): and keeps true where both are true and false where either is; or the reverse.
void run_gates(const CompiledRuleset& ruleset, std::uint8_t* slots, std::size_t from, std::size_t to) {
  std::uint8_t* gate_slots = slots + 1 + ruleset.atoms.size();
  for (std::size_t g = from; g < to; ++g) {
    const Gate& gate = ruleset.gates[g];
    std::uint8_t a = read_ref(slots, gate.left);
    std::uint8_t b = read_ref(slots, gate.right);
    std::uint8_t both = a & b;
    std::uint8_t either = a | b;
    gate_slots[g] = static_cast<std::uint8_t>((both & gate.keep) | (either & (3U ^ gate.keep)));
  }
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
  std::vector<int> phase_order, per_phase, chosen, candidates, cut_per_phase;
  std::vector<std::uint32_t> counts, cursor;
  std::vector<std::uint32_t> applied;        // indices into one kind's effect list that apply
  std::vector<int> avoid_rules;              // per technique, the avoid rules that leave it out
  std::vector<std::uint32_t> avoid_end;      // per technique: where its rules in avoid_rules end
  std::vector<std::pair<int, ExclusionReason>> sorted_reasons;  // reasons, grouped by technique

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
  // `rules` holds the truth of every suitability rule.
  PlanBuilder(const CompiledRuleset& ruleset, const Answers& answers, const Truth* rules, Evaluation& out,
              PlanScratch& scratch)
      : ruleset_(ruleset),
        model_(*ruleset.model),
        answers_(answers),
        rules_(rules),
        out_(out),
        reasons_(scratch.reasons),
        includes_(scratch.includes),
        cautions_(scratch.cautions),
        phase_edges_(scratch.phase_edges),
        technique_edges_(scratch.technique_edges),
        scratch_(scratch) {
    scratch.clear();
    out_.excluded.reserve(ruleset.techniques.size());
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

  // Caution wins: avoid, caution and order apply unless their condition is known false; include
  // applies only when its condition is known true. Each kind of effect is applied in its own loop,
  // in rule order, so every list below comes out in the order of the rules as before.
  void apply_rules() {
    const std::size_t rule_count = ruleset_.rules.size();
    out_.fired_rules.resize(rule_count);
    std::size_t fired = 0;
    for (std::size_t r = 0; r < rule_count; ++r) {
      out_.fired_rules[fired] = static_cast<int>(r);
      fired += rules_[r] == Truth::true_ ? 1 : 0;
    }
    out_.fired_rules.resize(fired);
    const int* pool = ruleset_.effect_techniques.data();
    // For each effect of one kind whose rule has a truth in `wanted` (a bit per Truth value), one
    // value in `into`: written always and kept only when the effect applies, so there is no branch
    // on the rules' truths, which follow no pattern a predictor could learn.
    auto keep_applying = [&](const std::vector<EffectRef>& effects, unsigned wanted, auto& into, auto value_of) {
      into.resize(effects.size());
      std::size_t count = 0;
      for (std::size_t i = 0; i < effects.size(); ++i) {
        into[count] = value_of(effects[i], static_cast<std::uint32_t>(i));
        count += (wanted >> static_cast<unsigned>(rules_[effects[i].rule])) & 1U;
      }
      into.resize(count);
    };
    // The indices of the effects that apply.
    auto select_applied = [&](const std::vector<EffectRef>& effects, unsigned wanted, std::vector<std::uint32_t>& into) {
      keep_applying(effects, wanted, into, [](const EffectRef&, std::uint32_t i) { return i; });
    };
    constexpr unsigned not_false = (1U << static_cast<unsigned>(Truth::true_)) | (1U << static_cast<unsigned>(Truth::unknown));
    constexpr unsigned only_true = 1U << static_cast<unsigned>(Truth::true_);
    find_avoided(not_false);
    std::vector<std::uint32_t>& applied = scratch_.applied;
    select_applied(ruleset_.include_effects, only_true, applied);
    for (std::uint32_t i : applied) {
      const EffectRef& ref = ruleset_.include_effects[i];
      for (std::uint32_t k = ref.first_begin; k < ref.first_end; ++k) {
        included_.set(static_cast<std::size_t>(pool[k]));
        includes_.push_back({pool[k], static_cast<int>(ref.rule)});
      }
    }
    // General cautions and orders between phases are one value each, written straight into place.
    keep_applying(ruleset_.general_caution_effects, not_false, out_.cautions,
                  [](const EffectRef& ref, std::uint32_t) { return static_cast<int>(ref.rule); });
    select_applied(ruleset_.caution_effects, not_false, applied);
    for (std::uint32_t i : applied) {
      const EffectRef& ref = ruleset_.caution_effects[i];
      for (std::uint32_t k = ref.first_begin; k < ref.first_end; ++k) cautions_.push_back({pool[k], static_cast<int>(ref.rule)});
    }
    keep_applying(ruleset_.phase_order_effects, not_false, phase_edges_, [](const EffectRef& ref, std::uint32_t) {
      return std::pair<int, int>{ref.first_phase, ref.second_phase};
    });
    select_applied(ruleset_.order_effects, not_false, applied);
    for (std::uint32_t i : applied) {
      const EffectRef& ref = ruleset_.order_effects[i];
      for (std::uint32_t a = ref.first_begin; a < ref.first_end; ++a) {
        for (std::uint32_t b = ref.first_end; b < ref.second_end; ++b) technique_edges_.push_back({pool[a], pool[b]});
      }
    }
  }

  // The avoid rules that leave each technique out, in rule order, written technique by technique
  // without a branch per rule: a rule is written, and kept only when it applies (its truth follows
  // no pattern a predictor could learn). The compiler lists each rule once per technique.
  void find_avoided(unsigned not_false) {
    scratch_.avoid_rules.resize(ruleset_.avoid_rules_by_technique.size());
    scratch_.avoid_end.resize(ruleset_.techniques.size());
    int* written = scratch_.avoid_rules.data();
    const std::uint32_t* by_technique = ruleset_.avoid_rules_by_technique.data();
    std::uint32_t n = 0;
    for (std::size_t t = 0; t < ruleset_.techniques.size(); ++t) {
      const std::uint32_t begin = n;
      for (std::uint32_t k = ruleset_.avoid_technique_begin[t]; k < ruleset_.avoid_technique_begin[t + 1]; ++k) {
        const std::uint32_t rule = by_technique[k];
        written[n] = static_cast<int>(rule);
        n += (not_false >> static_cast<unsigned>(rules_[rule])) & 1U;
      }
      scratch_.avoid_end[t] = n;
      if (n > begin) excluded_.set(t);
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
        } else {
          ++total;
          ++per_phase[phase];
          chosen.push_back(t);
        }
      }
    }
    // Over max_total, the cut is shared out: one item at a time from the phase with the most,
    // the earlier phase on a tie. So the last phase (habits, which carry the everyday advice) is
    // never the first to lose everything, as it was when the plan was simply cut at its end.
    if (total > plan.max_total) {
      std::vector<int>& cut = scratch_.cut_per_phase;
      cut.assign(phases, 0);
      for (int excess = total - plan.max_total; excess > 0; --excess) {
        int largest = -1;
        for (int phase : phase_order) {
          if (per_phase[phase] - cut[phase] > (largest < 0 ? 0 : per_phase[largest] - cut[largest])) largest = phase;
        }
        ++cut[largest];
      }
      // Each phase's chosen techniques are contiguous in `chosen`; drop the last cut[p] of each.
      std::size_t write = 0;
      for (std::size_t read = 0; read < chosen.size();) {
        int phase = ruleset_.techniques[chosen[read]].phase;
        std::size_t keep = static_cast<std::size_t>(per_phase[phase] - cut[phase]);
        for (std::size_t i = 0; i < static_cast<std::size_t>(per_phase[phase]); ++i, ++read) {
          if (i < keep) {
            chosen[write++] = chosen[read];
          } else {
            exclude(chosen[read], {ExclusionReason::Kind::total_limit, -1, 0});
          }
        }
        per_phase[phase] -= cut[phase];
      }
      chosen.resize(write);
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
    // Where each technique sits in the plan, so includes and cautions are placed in one pass each.
    std::int16_t entry_of[max_techniques];
    for (int t : chosen) {
      if (t < 0) continue;
      entry_of[t] = static_cast<std::int16_t>(out_.plan.size());
      out_.plan.push_back(PlanEntry{t, {}, {}, ruleset_.techniques[t].targets & areas_});
    }
    std::bitset<max_techniques> planned;
    for (const PlanEntry& entry : out_.plan) planned.set(static_cast<std::size_t>(entry.technique));
    for (const auto& [technique, rule] : includes_) {
      if (planned.test(static_cast<std::size_t>(technique))) out_.plan[entry_of[technique]].include_rules.push_back(rule);
    }
    for (const auto& [technique, rule] : cautions_) {
      if (!planned.test(static_cast<std::size_t>(technique))) continue;
      // One rule cautions an item once, even when two of its `caution on` targets match it.
      std::vector<int>& rules = out_.plan[entry_of[technique]].caution_rules;
      if (std::find(rules.begin(), rules.end(), rule) == rules.end()) rules.push_back(rule);
    }
  }

  // Groups the reasons by technique in catalogue order, each technique's in the order they were
  // found: first the avoid rules that apply (all found before any other reason, already grouped by
  // find_avoided), then reasons_ (grouped by a counting sort: no comparisons).
  void group_exclusions() {
    const std::size_t techniques = ruleset_.techniques.size();
    std::vector<std::uint32_t>& start = scratch_.counts;
    start.assign(techniques + 1, 0);
    for (const auto& reason : reasons_) ++start[static_cast<std::size_t>(reason.first) + 1];
    for (std::size_t t = 0; t < techniques; ++t) start[t + 1] += start[t];
    std::vector<std::uint32_t>& next = scratch_.cursor;
    next.assign(start.begin(), start.end() - 1);
    std::vector<std::pair<int, ExclusionReason>>& sorted = scratch_.sorted_reasons;
    sorted.resize(reasons_.size());
    for (const auto& reason : reasons_) sorted[next[reason.first]++] = reason;

    const std::uint32_t avoided = techniques ? scratch_.avoid_end[techniques - 1] : 0;
    out_.exclusion_reasons.reserve(avoided + reasons_.size());
    const int* avoid_rules = scratch_.avoid_rules.data();
    std::uint32_t avoid_begin = 0;
    for (std::size_t t = 0; t < techniques; ++t) {
      const auto first = static_cast<std::uint32_t>(out_.exclusion_reasons.size());
      for (std::uint32_t k = avoid_begin; k < scratch_.avoid_end[t]; ++k) {
        out_.exclusion_reasons.push_back({ExclusionReason::Kind::rule, avoid_rules[k], 0});
      }
      avoid_begin = scratch_.avoid_end[t];
      for (std::uint32_t k = start[t]; k < start[t + 1]; ++k) out_.exclusion_reasons.push_back(sorted[k].second);
      const auto count = static_cast<std::uint32_t>(out_.exclusion_reasons.size()) - first;
      if (count > 0) out_.excluded.push_back({static_cast<int>(t), first, count});
    }
  }

  const CompiledRuleset& ruleset_;
  const model::Ruleset& model_;
  const Answers& answers_;
  const Truth* rules_;
  Evaluation& out_;
  std::vector<std::pair<int, ExclusionReason>>& reasons_;  // all but those of avoid rules
  std::vector<std::pair<int, int>>& includes_;
  std::vector<std::pair<int, int>>& cautions_;
  std::vector<std::pair<int, int>>& phase_edges_;
  std::vector<std::pair<int, int>>& technique_edges_;
  PlanScratch& scratch_;
  TechniqueSet excluded_;
  TechniqueSet included_;
  std::uint64_t areas_ = 0;
};

// The facts whose answer can still change a program's truth, as `Bits` (`mark(fact)` gives a
// fact's bits, empty for one not counted). With `atoms` computed as if every unanswered fact were
// unknown, a settled (true or false) sub-condition cannot change whatever they turn out to be, so
// only the unknown atoms under unsettled nodes count. Sound for any condition (a fact it leaves out
// cannot change the truth), and exact when each fact appears once.
template <typename Bits, typename Mark>
Bits open_bits(const CompiledRuleset& ruleset, const Program& program, const Truth* atoms, Mark mark) {
  struct Entry {
    Truth truth;
    Bits facts;
  };
  ProgramStack<Entry> space(ruleset.max_stack);
  Entry* stack = space.data();
  std::size_t top = 0;
  for (std::uint32_t i = program.begin; i < program.end; ++i) {
    const Op& op = ruleset.ops[i];
    switch (op.code) {
      case Op::Code::atom: {
        Truth truth = atoms[op.arg];
        stack[top++] = {truth, truth == Truth::unknown ? mark(ruleset.atoms[op.arg].fact) : Bits{}};
        break;
      }
      case Op::Code::always: stack[top++] = {Truth::true_, Bits{}}; break;
      case Op::Code::not_: {
        Truth& value = stack[top - 1].truth;
        if (value != Truth::unknown) value = value == Truth::true_ ? Truth::false_ : Truth::true_;
        break;
      }
      case Op::Code::and_:
      case Op::Code::or_: {
        Truth decisive = op.code == Op::Code::and_ ? Truth::false_ : Truth::true_;
        Entry result{op.code == Op::Code::and_ ? Truth::true_ : Truth::false_, Bits{}};
        for (std::uint32_t k = 0; k < op.arg; ++k) {
          const Entry& child = stack[top - 1 - k];
          if (child.truth == decisive) result.truth = decisive;
          else if (child.truth == Truth::unknown && result.truth != decisive) result.truth = Truth::unknown;
          if (child.truth == Truth::unknown) result.facts |= child.facts;
        }
        if (result.truth != Truth::unknown) result.facts = Bits{};
        top -= op.arg;
        stack[top++] = result;
        break;
      }
    }
  }
  return top == 0 || stack[top - 1].truth != Truth::unknown ? Bits{} : stack[top - 1].facts;
}

// open_bits as bits of `slot` (a fact's bit among the unanswered facts the rules read): refine.
std::uint64_t open_facts(const CompiledRuleset& ruleset, const Program& program, const Truth* atoms,
                         const std::int8_t* slot) {
  return open_bits<std::uint64_t>(ruleset, program, atoms, [slot](std::uint16_t fact) {
    return slot[fact] >= 0 ? std::uint64_t{1} << slot[fact] : std::uint64_t{0};
  });
}

// open_bits for any fact of the ruleset: `missing`, so that a follow-up question (`a and b`) is
// not asked while its gate `a` is answered "no".
model::FactSet open_fact_set(const CompiledRuleset& ruleset, const Program& program, const Truth* atoms) {
  return open_bits<model::FactSet>(ruleset, program, atoms, [](std::uint16_t fact) {
    model::FactSet one;
    one.set(fact);
    return one;
  });
}

// Evaluation::refine: the unanswered questions whose answer could change a self-care decision.
// The plan is a function of the truth of each rule (and red flag) and of the equipment and pain-area
// answers, so a question can change it only by unsettling one of those.
void find_refine(const CompiledRuleset& ruleset, const Answers& answers, const std::uint8_t* atom_codes,
                 Evaluation& out) {
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
    for (std::size_t i = 0; i < ruleset.atoms.size(); ++i) open_atoms[i] = to_truth(atom_codes[i]);
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

constexpr std::size_t tier_count = static_cast<std::size_t>(model::Tier::emergency) + 1;

// Per tier, how many red flags are true and how many are not known to be false. Counted, not
// tested flag by flag: the flags' truths follow no pattern a predictor could learn.
struct FlagCounts {
  std::uint32_t fired[tier_count] = {};
  std::uint32_t open[tier_count] = {};
};

// The most urgent tier with a flag counted, none when there is none.
model::Tier highest(const std::uint32_t (&counts)[tier_count]) {
  for (std::size_t tier = tier_count - 1; tier > 0; --tier) {
    if (counts[tier] > 0) return static_cast<model::Tier>(tier);
  }
  return model::Tier::none;
}

// The fired red flags, most urgent first, then in declaration order. Each flag is written at its
// tier's next place and kept only when it fired, without a branch on its truth.
void list_fired_flags(const CompiledRuleset& ruleset, const Truth* flags, const FlagCounts& counts,
                      std::vector<int>& out) {
  std::uint32_t next[tier_count];
  std::uint32_t total = 0;
  for (std::size_t tier = tier_count - 1; tier > 0; --tier) {
    next[tier] = total;
    total += counts.fired[tier];
  }
  if (total == 0) return;
  next[0] = total;  // a flag of no tier is never listed
  out.resize(total + 1);  // the last place takes the flags that did not fire
  int* places = out.data();
  const CompiledRedFlag* red_flags = ruleset.red_flags.data();
  for (std::size_t f = 0; f < ruleset.red_flags.size(); ++f) {
    const auto tier = static_cast<std::size_t>(red_flags[f].tier);
    const std::uint32_t keep = static_cast<std::uint32_t>(flags[f] == Truth::true_) & static_cast<std::uint32_t>(tier != 0);
    places[total ^ ((next[tier] ^ total) & (0U - keep))] = static_cast<int>(f);
    next[tier] += keep;
  }
  out.resize(total);
}

}  // namespace

bool atom_holds(const Atom& atom, model::FactValue value) {
  auto bits = static_cast<std::uint64_t>(value);
  auto mask = static_cast<std::uint64_t>(atom.operand);
  switch (atom.kind) {
    case Atom::Kind::fact_true: return value != 0;
    case Atom::Kind::eq: return value == atom.operand;
    case Atom::Kind::ne: return value != atom.operand;
    case Atom::Kind::lt: return value < atom.operand;
    case Atom::Kind::le: return value <= atom.operand;
    case Atom::Kind::gt: return value > atom.operand;
    case Atom::Kind::ge: return value >= atom.operand;
    case Atom::Kind::mask_any: return (bits & mask) != 0;
    case Atom::Kind::mask_all: return (bits & mask) == mask;
    case Atom::Kind::mask_none: return (bits & mask) == 0;
  }
  return false;
}

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
    out[i] = known.test(atom.fact) ? from_bool(atom_holds(atom, values[atom.fact])) : Truth::unknown;
  }
}

void compute_atoms(const CompiledRuleset& ruleset, const std::vector<model::FactValue>& values,
                   const model::FactSet& known, Truth* out, const std::vector<std::uint32_t>& only) {
  for (std::uint32_t i : only) {
    const Atom& atom = ruleset.atoms[i];
    out[i] = known.test(atom.fact) ? from_bool(atom_holds(atom, values[atom.fact])) : Truth::unknown;
  }
}

Evaluation evaluate(const CompiledRuleset& ruleset, const Answers& answers) {
  const model::Ruleset& model = *ruleset.model;
  thread_local CircuitScratch circuit;
  const std::size_t fact_count = model.facts.size();
  circuit.values.resize(fact_count);
  circuit.known.resize(fact_count);
  for (std::size_t f = 0; f < fact_count; ++f) {
    model::FactValue value = 0;
    circuit.known[f] = fact_value(ruleset, answers, f, value) ? 1 : 0;
    circuit.values[f] = value;
  }
  circuit.slots.resize(1 + ruleset.atoms.size() + ruleset.gates.size());
  std::uint8_t* slots = circuit.slots.data();
  slots[0] = code_true;
  // The red flags first; what only the suitability rules read is computed when a plan is built.
  compute_atom_codes(ruleset, circuit, 0, ruleset.red_flag_atoms);
  run_gates(ruleset, slots, 0, ruleset.red_flag_gates);
  model::FactSet known = answers.known | ruleset.has_default;

  Evaluation out;
  TruthBuffer flag_truths(ruleset.red_flags.size());
  Truth* flags = flag_truths.data();
  FlagCounts counts;
  for (std::size_t f = 0; f < ruleset.red_flags.size(); ++f) {
    const auto tier = static_cast<std::size_t>(ruleset.red_flags[f].tier);
    flags[f] = to_truth(read_ref(slots, ruleset.red_flag_roots[f]));
    counts.fired[tier] += static_cast<std::uint32_t>(flags[f] == Truth::true_);
    counts.open[tier] += static_cast<std::uint32_t>(flags[f] != Truth::false_);
  }
  const model::Tier certain = highest(counts.fired);
  const model::Tier possible = highest(counts.open);
  list_fired_flags(ruleset, flags, counts, out.red_flags);
  out.urgency = certain;

  if (possible > certain) {
    // An unanswered question could still raise the urgency or turn self-care into a referral.
    out.outcome = Outcome::incomplete;
    // Only the questions in a still open part of an unknown flag are asked: once `a` is answered
    // "no", `a and b` no longer needs `b`. The red flags read only atoms[0, red_flag_atoms), whose
    // truths are already in their slots.
    thread_local std::vector<Truth> atom_truths;
    atom_truths.resize(ruleset.red_flag_atoms);
    for (std::size_t i = 0; i < ruleset.red_flag_atoms; ++i) atom_truths[i] = to_truth(slots[1 + i]);
    model::FactSet listed;
    for (int tier = static_cast<int>(possible); tier > static_cast<int>(certain); --tier) {
      model::FactSet wanted;
      for (std::size_t f = 0; f < ruleset.red_flags.size(); ++f) {
        if (flags[f] == Truth::unknown && static_cast<int>(ruleset.red_flags[f].tier) == tier) {
          wanted |= open_fact_set(ruleset, ruleset.red_flags[f].condition, atom_truths.data());
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
  compute_atom_codes(ruleset, circuit, ruleset.red_flag_atoms, ruleset.atoms.size());
  run_gates(ruleset, slots, ruleset.red_flag_gates, ruleset.gates.size());
  circuit.rules.resize(ruleset.rules.size());
  for (std::size_t r = 0; r < ruleset.rules.size(); ++r) circuit.rules[r] = to_truth(read_ref(slots, ruleset.rule_roots[r]));
  thread_local PlanScratch scratch;
  PlanBuilder(ruleset, answers, circuit.rules.data(), out, scratch).build();
  find_refine(ruleset, answers, slots + 1, out);
  return out;
}

}  // namespace triage
