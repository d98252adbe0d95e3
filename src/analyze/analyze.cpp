#include "analyze/analyze.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "analyze/search.hpp"
#include "analyze/value_classes.hpp"
#include "diag/codes.hpp"
#include "diag/render.hpp"
#include "diag/source_set.hpp"
#include "util/json_writer.hpp"

namespace triage {
namespace {

using model::Tier;

// The answerable facts a program reads (derived facts are already inlined by the compiler).
std::vector<int> facts_of(const CompiledRuleset& ruleset, const Program& program) {
  std::set<int> facts;
  for (std::uint32_t i = program.begin; i < program.end; ++i) {
    const Op& op = ruleset.ops[i];
    if (op.code == Op::Code::atom) facts.insert(ruleset.atoms[op.arg].fact);
  }
  return {facts.begin(), facts.end()};
}

std::vector<int> merge(std::vector<int> a, const std::vector<int>& b) {
  for (int fact : b) {
    if (std::find(a.begin(), a.end(), fact) == a.end()) a.push_back(fact);
  }
  return a;
}

Truth both(Truth a, Truth b) {
  if (a == Truth::false_ || b == Truth::false_) return Truth::false_;
  if (a == Truth::unknown || b == Truth::unknown) return Truth::unknown;
  return Truth::true_;
}

Truth negate(Truth t) {
  return t == Truth::unknown ? t : t == Truth::true_ ? Truth::false_ : Truth::true_;
}

// Whether `fact` occurs under an odd number of negations in a condition (derived facts expanded).
void polarity(const model::Ruleset& model, const model::Cond& cond, int fact, bool negated, bool& positive,
              bool& negative) {
  using Kind = model::Cond::Kind;
  switch (cond.kind) {
    case Kind::fact_true:
      if (cond.fact == fact) (negated ? negative : positive) = true;
      return;
    case Kind::derived: polarity(model, model.facts[cond.fact].definition, fact, negated, positive, negative); return;
    case Kind::not_: polarity(model, cond.children.front(), fact, !negated, positive, negative); return;
    default:
      for (const auto& child : cond.children) polarity(model, child, fact, negated, positive, negative);
  }
}

// An intake on which red flag `f` fires, completed with every other red-flag question answered
// with its first value class ("no", "none", the lowest: a valid answer, unlike a zero, which is no
// enum value, an empty set where one is required, or below an int's range), so the decision is not
// left incomplete by them; none when no answers satisfy its condition (or the search ran out).
std::optional<Answers> firing_intake(const CompiledRuleset& ruleset, IntakeSearch& search, std::size_t f) {
  const Program& condition = ruleset.red_flags[f].condition;
  auto witness = search.find(facts_of(ruleset, condition), search.blank(),
                             [&](const PartialIntake& p) { return p.truth(condition); });
  if (!witness) return std::nullopt;
  for (std::size_t fact = 0; fact < ruleset.model->facts.size(); ++fact) {
    if (!ruleset.red_flag_facts.test(fact) || witness->known.test(fact)) continue;
    witness->values[fact] = search.classes(static_cast<int>(fact)).front();
    witness->known.set(fact);
  }
  return witness;
}

class Analyzer {
 public:
  explicit Analyzer(const CompiledRuleset& ruleset) : ruleset_(ruleset), model_(*ruleset.model), search_(ruleset) {
    for (std::size_t i = 0; i < model_.facts.size(); ++i) {
      if (ruleset.red_flag_facts.test(i)) red_flag_facts_.push_back(static_cast<int>(i));
    }
  }

  AnalysisReport run() {
    for (std::size_t f = 0; f < model_.facts.size(); ++f) {
      if (model_.facts[f].derived || value_classes_exact(ruleset_, static_cast<int>(f))) continue;
      add(code::analysis_limit, Severity::error, model_.facts[f].location,
          "`" + model_.facts[f].id + "` has more than " + std::to_string(max_exact_set_bits) +
              " values that rules or techniques test; the safety analysis cannot cover them all",
          "split it into smaller set facts");
    }
    red_flags();
    monotonicity();
    conflicts();
    order_cycles();
    dead_and_redundant_rules();
    unreachable_techniques();
    unused();
    patient_words();
    std::stable_sort(report_.findings.begin(), report_.findings.end(), [](const Finding& a, const Finding& b) {
      const auto& x = a.diagnostic.location;
      const auto& y = b.diagnostic.location;
      return std::tie(x.file, x.line, x.column) < std::tie(y.file, y.line, y.column);
    });
    report_.intakes_searched = search_.visited();
    if (search_.exhausted()) {
      // Searches that ran out of budget prove nothing. Findings with a witness stand; findings that
      // rest on a search finding nothing do not. Refuse rather than pass unverified rules.
      std::erase_if(report_.findings, [](const Finding& f) {
        const std::string& code = f.diagnostic.code;
        return !f.witness && code != code::analysis_limit && code != code::unused;
      });
      add(code::analysis_limit, Severity::error, model_.plan.location,
          "the safety analysis stopped after " + std::to_string(search_.visited()) +
              " intakes without finishing; the rules are too large to verify",
          "split conditions into derived facts with fewer questions each, or simplify the red flags");
    }
    return std::move(report_);
  }

 private:
  // True when no red flag can fire any more; unknown while one still might.
  Truth all_clear(const PartialIntake& intake) const {
    Truth clear = Truth::true_;
    for (const auto& flag : ruleset_.red_flags) clear = both(clear, negate(intake.truth(flag.condition)));
    return clear;
  }

  // The highest tier certainly fired and the highest that may still fire.
  std::pair<Tier, Tier> tiers(const PartialIntake& intake) const {
    Tier certain = Tier::none, possible = Tier::none;
    for (const auto& flag : ruleset_.red_flags) {
      Truth t = intake.truth(flag.condition);
      if (t == Truth::true_) certain = std::max(certain, flag.tier);
      if (t != Truth::false_) possible = std::max(possible, flag.tier);
    }
    return {certain, possible};
  }

  void add(std::string_view code, Severity severity, const SourceLocation& where, std::string message,
           std::string hint = {}, std::optional<Answers> witness = std::nullopt, std::string shows = {}) {
    Finding finding{{std::string(code), severity, where, std::move(message), std::move(hint)}, std::nullopt,
                    std::move(shows)};
    if (witness) finding.witness = intake_json(ruleset_, *witness);
    report_.findings.push_back(std::move(finding));
  }

  std::string describe(const Evaluation& evaluation) const {
    std::string text = evaluation.outcome == Outcome::refer        ? "refer"
                       : evaluation.outcome == Outcome::self_care ? "self_care"
                                                                  : "incomplete";
    if (evaluation.urgency != Tier::none) text += std::string("/") + model::to_string(evaluation.urgency);
    return text;
  }

  void red_flags() {
    for (std::size_t f = 0; f < ruleset_.red_flags.size(); ++f) {
      const auto& flag = ruleset_.red_flags[f];
      const auto& source = model_.red_flags[f];
      std::vector<int> facts = facts_of(ruleset_, flag.condition);
      auto full = firing_intake(ruleset_, search_, f);
      if (!full) {
        add(code::red_flag_safety, Severity::error, source.location,
            "red flag `" + source.id + "` can never fire: no answers satisfy its condition",
            "check the comparisons and values; as written it protects no patient");
        continue;
      }
      // Decide the witness: the engine must refer at the flag's tier or higher.
      Evaluation decided = evaluate(ruleset_, *full);
      if (decided.outcome != Outcome::refer || decided.urgency < flag.tier) {
        add(code::red_flag_safety, Severity::error, source.location,
            "red flag `" + source.id + "` fires but the decision is " + describe(decided), {}, *full,
            describe(decided));
      }
      for (int fact : facts) {
        if (!ruleset_.has_default.test(fact)) continue;
        defaulted_red_flag_fact(f, fact);
      }
    }
  }

  // A red-flag question with a default is answered "no" for every patient who is not asked.
  void defaulted_red_flag_fact(std::size_t f, int fact) {
    const auto& flag = ruleset_.red_flags[f];
    const auto& source = model_.red_flags[f];
    const model::Fact& declared = model_.facts[fact];
    std::vector<int> others;
    for (int other : merge(red_flag_facts_, facts_of(ruleset_, flag.condition))) {
      if (other != fact) others.push_back(other);
    }
    model::FactValue fired_value = 0;
    auto witness = search_.find(others, search_.blank(), [&](const PartialIntake& p) {
      Truth clear = all_clear(p);  // with the question unanswered: its default applies
      if (clear == Truth::false_) return clear;
      for (model::FactValue value : value_classes_of(fact)) {
        if (value == ruleset_.defaults[fact]) continue;
        Answers asked = p.answers();
        asked.values[fact] = value;
        asked.known.set(fact);
        model::FactSet pending;
        for (int other : others) {
          if (!p.answers().known.test(other)) pending.set(other);
        }
        Truth fires = PartialIntake(ruleset_, asked, pending).truth(flag.condition);
        if (fires != Truth::false_) {
          if (p.complete() && fires == Truth::true_ && clear == Truth::true_) fired_value = value;
          return both(clear, fires);
        }
      }
      return Truth::false_;
    });
    std::string where = "`" + declared.id + "` has a default, so a patient who is not asked it is taken to have "
                        "answered it; red flag `" + source.id + "` then cannot fire";
    if (witness) {
      Evaluation decided = evaluate(ruleset_, *witness);
      add(code::red_flag_safety, Severity::error, source.location, where,
          "remove the default from `" + declared.id + "`: red-flag questions must be asked", witness,
          describe(decided) + " with `" + declared.id + "` unanswered; answering " + value_text(fact, fired_value) +
              " makes it refer");
    } else {
      add(code::red_flag_safety, Severity::warning, source.location, where,
          "remove the default from `" + declared.id + "`: red-flag questions must be asked");
    }
  }

  std::string value_text(int fact, model::FactValue value) const {
    Answers one = search_.blank();
    one.values[fact] = value;
    one.known.set(fact);
    std::string member;
    JsonWriter w(member, JsonStyle::spaced);
    write_answers(w, ruleset_, one);
    return "`" + member + "`";
  }

  const std::vector<model::FactValue>& value_classes_of(int fact) {
    auto it = classes_.find(fact);
    if (it == classes_.end()) it = classes_.emplace(fact, value_classes(ruleset_, fact)).first;
    return it->second;
  }

  void monotonicity() {
    for (int fact : red_flag_facts_) {
      if (model_.facts[fact].type != model::FactType::boolean) continue;
      bool positive = false, negative = false;
      for (const auto& flag : model_.red_flags) polarity(model_, flag.condition, fact, false, positive, negative);
      if (!negative) continue;  // every condition is monotone in it: "yes" can only add red flags
      std::vector<int> others;
      for (int other : red_flag_facts_) {
        if (other != fact) others.push_back(other);
      }
      Answers start = search_.blank();
      auto witness = search_.find(others, start, [&](const PartialIntake& p) {
        model::FactSet pending;
        for (int other : others) {
          if (!p.answers().known.test(other)) pending.set(other);
        }
        Answers no = p.answers(), yes = p.answers();
        no.values[fact] = 0;
        yes.values[fact] = 1;
        no.known.set(fact);
        yes.known.set(fact);
        auto [no_certain, no_possible] = tiers(PartialIntake(ruleset_, no, pending));
        auto [yes_certain, yes_possible] = tiers(PartialIntake(ruleset_, yes, pending));
        if (yes_certain >= no_possible) return Truth::false_;  // "yes" is already at least as urgent
        return p.complete() ? Truth::true_ : Truth::unknown;
      });
      if (!witness) continue;
      Answers no = *witness;
      no.values[fact] = 0;
      no.known.set(fact);
      Answers yes = no;
      yes.values[fact] = 1;
      std::string before = describe(evaluate(ruleset_, no)), after = describe(evaluate(ruleset_, yes));
      const auto& declared = model_.facts[fact];
      add(code::monotonicity, Severity::error, declared.location,
          "answering yes to `" + declared.id + "` lowers the decision from " + before + " to " + after,
          "a red flag reads `not " + declared.id + "`; a patient with more red flags must never be sent home",
          no, before + " as given; " + after + " when `" + declared.id + "` is true");
    }
  }

  std::vector<int> rules_with(model::Effect::Kind kind, int technique) const {
    std::vector<int> rules;
    for (std::size_t r = 0; r < ruleset_.rules.size(); ++r) {
      for (const auto& effect : ruleset_.rules[r].effects) {
        if (effect.kind == kind && effect.techniques.test(technique)) {
          rules.push_back(static_cast<int>(r));
          break;
        }
      }
    }
    return rules;
  }

  // An intake that reaches the plan (no red flag) on which all `rules` hold.
  std::optional<Answers> together(const std::vector<int>& rules) {
    std::vector<int> facts;
    for (int r : rules) facts = merge(facts, facts_of(ruleset_, ruleset_.rules[r].condition));
    facts = merge(facts, red_flag_facts_);
    return search_.find(facts, search_.blank(), [&](const PartialIntake& p) {
      Truth t = all_clear(p);
      for (int r : rules) t = both(t, p.truth(ruleset_.rules[r].condition));
      return t;
    });
  }

  void conflicts() {
    for (std::size_t t = 0; t < model_.techniques.size(); ++t) {
      for (int include : rules_with(model::Effect::Kind::include, static_cast<int>(t))) {
        for (int avoid : rules_with(model::Effect::Kind::avoid, static_cast<int>(t))) {
          auto witness = together({include, avoid});
          if (!witness) continue;
          add(code::conflict, Severity::warning, model_.rules[include].location,
              "rule `" + model_.rules[include].id + "` includes `" + model_.techniques[t].id + "` but rule `" +
                  model_.rules[avoid].id + "` avoids it for the same intake",
              "avoid wins, so the include does nothing there; narrow one of the conditions", witness,
              "`" + model_.techniques[t].id + "` excluded by `" + model_.rules[avoid].id + "`");
        }
      }
    }
  }

  void order_cycles() {
    // Edges between phases and between techniques, each with the rule that makes it.
    std::map<std::pair<std::string, std::string>, int> edges;
    for (std::size_t r = 0; r < ruleset_.rules.size(); ++r) {
      for (const auto& effect : ruleset_.rules[r].effects) {
        if (effect.kind != model::Effect::Kind::order) continue;
        if (effect.first_phase >= 0) {
          edges[{"phase " + model_.plan.phases[effect.first_phase], "phase " + model_.plan.phases[effect.second_phase]}] =
              static_cast<int>(r);
          continue;
        }
        for (std::size_t a = 0; a < model_.techniques.size(); ++a) {
          for (std::size_t b = 0; b < model_.techniques.size(); ++b) {
            if (effect.techniques.test(a) && effect.second.test(b)) {
              edges[{model_.techniques[a].id, model_.techniques[b].id}] = static_cast<int>(r);
            }
          }
        }
      }
    }
    std::set<std::set<int>> reported;
    for (const auto& [edge, rule] : edges) {
      // A cycle through this edge: a path back from its end to its start.
      std::vector<std::string> path{edge.first, edge.second};
      std::vector<int> rules{rule};
      if (!path_back(edges, edge.second, edge.first, path, rules, 0)) continue;
      std::set<int> key(rules.begin(), rules.end());
      if (!reported.insert(key).second) continue;
      std::vector<int> involved(key.begin(), key.end());
      auto witness = together(involved);
      std::string cycle;
      for (const auto& node : path) cycle += (cycle.empty() ? "" : " before ") + node;
      add(code::order_cycle, witness ? Severity::error : Severity::warning, model_.rules[rule].location,
          "ordering cycle: " + cycle, "the cycle is ignored and catalogue order used; drop one `order` effect",
          witness, witness ? "all the ordering rules of the cycle apply" : "");
    }
  }

  bool path_back(const std::map<std::pair<std::string, std::string>, int>& edges, const std::string& from,
                 const std::string& to, std::vector<std::string>& path, std::vector<int>& rules, int depth) {
    if (depth > 16) return false;
    for (const auto& [edge, rule] : edges) {
      if (edge.first != from) continue;
      if (edge.second == to) {
        path.push_back(to);
        rules.push_back(rule);
        return true;
      }
      if (std::find(path.begin(), path.end(), edge.second) != path.end()) continue;
      path.push_back(edge.second);
      rules.push_back(rule);
      if (path_back(edges, edge.second, to, path, rules, depth + 1)) return true;
      path.pop_back();
      rules.pop_back();
    }
    return false;
  }

  // Effects as comparable values, for redundancy; null when a rule has effects that are not
  // interchangeable (a caution shows its own words).
  std::optional<std::set<std::string>> effect_keys(const CompiledRule& rule) const {
    std::set<std::string> keys;
    for (const auto& effect : rule.effects) {
      if (effect.kind == model::Effect::Kind::caution) return std::nullopt;
      keys.insert(std::to_string(static_cast<int>(effect.kind)) + ":" + effect.techniques.to_string() + ":" +
                  effect.second.to_string() + ":" + std::to_string(effect.first_phase) + ":" +
                  std::to_string(effect.second_phase));
    }
    return keys;
  }

  void dead_and_redundant_rules() {
    for (std::size_t r = 0; r < ruleset_.rules.size(); ++r) {
      const auto& rule = ruleset_.rules[r];
      const auto& source = model_.rules[r];
      if (together({static_cast<int>(r)})) continue;
      bool ever = search_
                      .find(facts_of(ruleset_, rule.condition), search_.blank(),
                            [&](const PartialIntake& p) { return p.truth(rule.condition); })
                      .has_value();
      add(code::dead_rule, Severity::warning, source.location,
          ever ? "rule `" + source.id + "` only holds when a red flag fires, so it never shapes a plan"
               : "rule `" + source.id + "` can never hold: no answers satisfy its condition");
      dead_.insert(static_cast<int>(r));
    }
    for (std::size_t b = 0; b < ruleset_.rules.size(); ++b) {
      auto b_keys = effect_keys(ruleset_.rules[b]);
      if (!b_keys || dead_.count(static_cast<int>(b))) continue;
      for (std::size_t a = 0; a < ruleset_.rules.size(); ++a) {
        if (a == b || dead_.count(static_cast<int>(a))) continue;
        auto a_keys = effect_keys(ruleset_.rules[a]);
        if (!a_keys || !std::includes(a_keys->begin(), a_keys->end(), b_keys->begin(), b_keys->end())) continue;
        // Equal effects both ways: report only the later rule.
        if (*a_keys == *b_keys && a > b) continue;
        std::vector<int> facts = merge(merge(facts_of(ruleset_, ruleset_.rules[a].condition),
                                             facts_of(ruleset_, ruleset_.rules[b].condition)),
                                       red_flag_facts_);
        auto counterexample = search_.find(facts, search_.blank(), [&](const PartialIntake& p) {
          return both(both(all_clear(p), p.truth(ruleset_.rules[b].condition)),
                      negate(p.truth(ruleset_.rules[a].condition)));
        });
        if (counterexample) continue;
        add(code::redundant_rule, Severity::warning, model_.rules[b].location,
            "rule `" + model_.rules[b].id + "` is redundant: rule `" + model_.rules[a].id +
                "` has the same effects whenever it holds",
            "merge the two rules, or remove this one");
        break;
      }
    }
  }

  // Which techniques some self-care intake receives. The plan depends only on the equipment, the
  // pain areas and which suitability rules hold, so this enumerates the pain areas and the rule
  // facts' classes as the rules see them (an int fact cut only by the rules' own comparisons),
  // keeps one intake per distinct vector of rule truths, and completes it with answers that keep
  // every red flag clear: the red-flag-only questions, and within its rule class the exact value
  // of an int fact that red flags also compare. Then it decides each with every equipment class.
  void unreachable_techniques() {
    const auto& plan = model_.plan;
    std::vector<int> rule_facts;
    std::vector<bool> rule_atoms(ruleset_.atoms.size(), false);
    for (const auto& rule : ruleset_.rules) {
      rule_facts = merge(rule_facts, facts_of(ruleset_, rule.condition));
      for (std::uint32_t i = rule.condition.begin; i < rule.condition.end; ++i) {
        if (ruleset_.ops[i].code == Op::Code::atom) rule_atoms[ruleset_.ops[i].arg] = true;
      }
    }
    std::vector<int> others;  // rule facts other than the area and equipment facts
    std::vector<std::vector<model::FactValue>> classes;  // per fact of `others`, as the rules see it
    std::vector<int> refined;  // int facts of `others` that red flags compare too: searched within their class
    for (int fact : rule_facts) {
      if (fact == plan.area_fact || fact == plan.equipment_fact) continue;
      others.push_back(fact);
      bool integer = model_.facts[fact].type == model::FactType::integer;
      classes.push_back(integer ? interval_starts(ruleset_, fact, rule_atoms) : value_classes_of(fact));
      if (integer && ruleset_.red_flag_facts.test(fact)) refined.push_back(fact);
    }
    std::vector<int> flag_only;  // red-flag questions no rule reads
    for (int fact : red_flag_facts_) {
      if (fact != plan.area_fact && std::find(rule_facts.begin(), rule_facts.end(), fact) == rule_facts.end()) {
        flag_only.push_back(fact);
      }
    }
    std::vector<std::uint32_t> rule_atom_list;
    for (std::uint32_t i = 0; i < rule_atoms.size(); ++i) {
      if (rule_atoms[i]) rule_atom_list.push_back(i);
    }
    std::vector<int> completed = merge(refined, flag_only);  // the bounded facts first: they prune soonest
    std::size_t combinations = 1;
    for (const auto& values : classes) combinations *= std::max<std::size_t>(1, values.size());
    std::vector<model::FactValue> areas =
        plan.area_fact >= 0 ? value_classes_of(plan.area_fact) : std::vector<model::FactValue>{0};
    std::vector<model::FactValue> equipment =
        plan.equipment_fact >= 0 ? value_classes_of(plan.equipment_fact) : std::vector<model::FactValue>{0};
    if (combinations * areas.size() > 2'000'000) {
      add(code::unreachable_technique, Severity::note, plan.location,
          "too many combinations to search for unreachable techniques (" + std::to_string(combinations) + ")");
      return;
    }
    std::vector<bool> reached(model_.techniques.size(), false);
    std::vector<model::FactValue> values;
    std::vector<Truth> atoms(ruleset_.atoms.size()), truths(ruleset_.rules.size());
    // The interval [low, high] of each refined fact's chosen rule class.
    std::vector<std::pair<model::FactValue, model::FactValue>> bounds(model_.facts.size());
    std::size_t still_unreached = model_.techniques.size();
    for (model::FactValue area : areas) {
      if (still_unreached == 0) break;  // every technique is reachable: nothing left to find
      std::map<std::vector<Truth>, Answers> representatives;
      std::vector<std::size_t> digits(others.size(), 0);
      for (std::size_t combination = 0; combination < combinations; ++combination) {
        Answers answers = search_.blank();
        if (plan.area_fact >= 0) answers.values[plan.area_fact] = area, answers.known.set(plan.area_fact);
        for (std::size_t k = 0; k < others.size(); ++k) {
          const auto& fact = model_.facts[others[k]];
          answers.values[others[k]] = classes[k][digits[k]];
          answers.known.set(others[k]);
          bool last = digits[k] + 1 == classes[k].size();
          bounds[others[k]] = {classes[k][digits[k]], last ? fact.high : classes[k][digits[k] + 1] - 1};
        }
        for (std::size_t k = 0; k < others.size(); ++k) {  // next combination, like an odometer
          if (++digits[k] < classes[k].size()) break;
          digits[k] = 0;
        }
        // The rules read only these answers, so their truths are settled here (computed into
        // reused buffers: this runs for every combination).
        values.assign(answers.values.begin(), answers.values.end());
        model::FactSet defaulted = ruleset_.has_default & ~answers.known;
        for (std::size_t i = 0; i < values.size(); ++i) {
          if (defaulted.test(i)) values[i] = ruleset_.defaults[i];
        }
        compute_atoms(ruleset_, values, answers.known | defaulted, atoms.data(), rule_atom_list);
        for (std::size_t r = 0; r < ruleset_.rules.size(); ++r) {
          truths[r] = run_program(ruleset_, ruleset_.rules[r].condition, atoms.data());
        }
        if (representatives.count(truths) != 0) continue;
        auto clear = search_.find(completed, answers, [&](const PartialIntake& p) {
          for (int fact : refined) {
            if (!p.answers().known.test(static_cast<std::size_t>(fact))) continue;
            model::FactValue v = p.answers().values[fact];
            if (v < bounds[fact].first || v > bounds[fact].second) return Truth::false_;
          }
          return all_clear(p);
        });
        if (!clear) continue;
        representatives.emplace(truths, std::move(*clear));
      }
      for (auto& [truths, answers] : representatives) {
        for (model::FactValue kit : equipment) {
          if (plan.equipment_fact >= 0) answers.values[plan.equipment_fact] = kit, answers.known.set(plan.equipment_fact);
          Evaluation decided = evaluate(ruleset_, answers);
          for (const auto& entry : decided.plan) {
            if (!reached[entry.technique]) reached[entry.technique] = true, --still_unreached;
          }
        }
      }
    }
    for (std::size_t t = 0; t < model_.techniques.size(); ++t) {
      if (reached[t]) continue;
      add(code::unreachable_technique, Severity::warning, model_.techniques[t].location,
          "no intake can receive technique `" + model_.techniques[t].id + "`",
          "it is always avoided, lacks its equipment or targets, or is cut by the plan's limits");
    }
  }

  // What a patient reads must be true of what they get: a rule's one reason is shown wherever any of
  // its effects applies, so a rule that both offers and leaves out techniques shows words about the
  // offer beside a technique it removed (and the offered one may itself be left out). And once the
  // rules say what to do at some tier (`next_step`), every tier a red flag refers to needs one.
  void patient_words() {
    for (const auto& rule : model_.rules) {
      bool includes = false, removes = false;
      for (const auto& effect : rule.effects) {
        includes = includes || effect.kind == model::Effect::Kind::include;
        removes = removes || effect.kind == model::Effect::Kind::avoid;
      }
      if (includes && removes) {
        add(code::reason_scope, Severity::warning, rule.location,
            "rule `" + rule.id + "` both includes and avoids techniques with one reason",
            "split it into one rule per intent, each with a reason about its own effect");
      }
    }
    bool any_step = false;
    for (const auto& step : model_.next_steps) any_step = any_step || step.has_value();
    if (!any_step) return;
    for (const auto& flag : model_.red_flags) {
      if (!model_.next_steps[static_cast<int>(flag.tier)]) {
        add(code::next_step, Severity::warning, flag.location,
            std::string("red flag `") + flag.id + "` refers at `" + model::to_string(flag.tier) +
                "`, which has no `next_step`",
            std::string("add `next_step ") + model::to_string(flag.tier) + "` with the action a patient must take");
        return;
      }
    }
  }

  void unused() {
    model::FactSet read = ruleset_.red_flag_facts;
    for (const auto& rule : ruleset_.rules) {
      for (int fact : facts_of(ruleset_, rule.condition)) read.set(fact);
    }
    const auto& plan = model_.plan;
    std::set<int> derived_used;
    auto mark_derived = [&](const model::Cond& cond, auto& self) -> void {
      if (cond.kind == model::Cond::Kind::derived) {
        derived_used.insert(cond.fact);
        self(model_.facts[cond.fact].definition, self);
      }
      for (const auto& child : cond.children) self(child, self);
    };
    for (const auto& flag : model_.red_flags) mark_derived(flag.condition, mark_derived);
    for (const auto& rule : model_.rules) mark_derived(rule.condition, mark_derived);
    for (std::size_t i = 0; i < model_.facts.size(); ++i) {
      const auto& fact = model_.facts[i];
      int index = static_cast<int>(i);
      if (fact.derived) {
        if (!derived_used.count(index)) {
          add(code::unused, Severity::warning, fact.location, "derived fact `" + fact.id + "` is never used");
        }
      } else if (!read.test(i) && index != plan.equipment_fact && index != plan.area_fact) {
        add(code::unused, Severity::warning, fact.location,
            "fact `" + fact.id + "` is asked but no rule reads it", "remove it, or use it in a rule");
      }
    }
    for (std::size_t g = 0; g < model_.tags.size(); ++g) {
      bool used = false;
      for (const auto& rule : model_.rules) {
        for (const auto& effect : rule.effects) {
          used = used || ((effect.first.kind == model::Target::Kind::tag && effect.first.index == static_cast<int>(g)) ||
                          (effect.second.kind == model::Target::Kind::tag && effect.second.index == static_cast<int>(g)));
        }
      }
      if (!used) {
        add(code::unused, Severity::warning, model_.tags[g].location,
            "tag `" + model_.tags[g].id + "` is declared but no rule uses it");
      }
    }
    if (plan.equipment_fact >= 0) {
      std::uint64_t needed = 0;
      for (const auto& technique : ruleset_.techniques) needed |= technique.needs;
      const auto& fact = model_.facts[plan.equipment_fact];
      for (std::size_t v = 0; v < fact.values.size(); ++v) {
        if (!((needed >> v) & 1U)) {
          add(code::unused, Severity::warning, fact.location,
              "equipment `" + fact.values[v] + "` is offered but no technique needs it");
        }
      }
    }
  }

  const CompiledRuleset& ruleset_;
  const model::Ruleset& model_;
  IntakeSearch search_;
  std::vector<int> red_flag_facts_;
  std::map<int, std::vector<model::FactValue>> classes_;
  std::set<int> dead_;
  AnalysisReport report_;
};

}  // namespace

AnalysisReport analyze(const CompiledRuleset& ruleset) { return Analyzer(ruleset).run(); }

RedFlagWitness red_flag_witness(const CompiledRuleset& ruleset, int flag) {
  RedFlagWitness out;
  IntakeSearch search(ruleset);
  auto witness = firing_intake(ruleset, search, static_cast<std::size_t>(flag));
  if (!witness) {
    // A search that ran out of budget proves nothing, as in analyze().
    out.status = search.exhausted() ? RedFlagWitness::Status::undecided : RedFlagWitness::Status::never;
    return out;
  }
  out.status = RedFlagWitness::Status::fires;
  out.witness = intake_json(ruleset, *witness);
  out.decision = evaluate(ruleset, *witness);
  return out;
}

Diagnostics analysis_errors(const AnalysisReport& report) {
  Diagnostics errors;
  for (const auto& finding : report.findings) {
    if (finding.diagnostic.severity != Severity::error) continue;
    Diagnostic d = finding.diagnostic;
    if (finding.witness) d.hint += (d.hint.empty() ? "" : "; ") + std::string("witness: ") + *finding.witness;
    errors.push_back(std::move(d));
  }
  return errors;
}

std::string render_findings(const AnalysisReport& report, const SourceSet& sources) {
  std::string out;
  for (const auto& finding : report.findings) {
    out += render(finding.diagnostic, sources);
    if (finding.witness) {
      out += "  witness: " + *finding.witness + "\n";
      if (!finding.witness_shows.empty()) out += "  shows: " + finding.witness_shows + "\n";
      out += "  try: echo '" + *finding.witness + "' | triage eval --intake -\n";
    }
    out += "\n";
  }
  return out;
}

std::string findings_json(const AnalysisReport& report) {
  return json_objects(report.findings, [](JsonWriter& w, const Finding& f) {
    write_diagnostic(w, f.diagnostic);
    if (f.witness) w.raw_field("witness", *f.witness);
    if (!f.witness_shows.empty()) w.string_field("shows", f.witness_shows);
  });
}

}  // namespace triage
