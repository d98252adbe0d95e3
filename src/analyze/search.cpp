#include "analyze/search.hpp"

#include "analyze/value_classes.hpp"
#include "util/json_writer.hpp"

namespace triage {

PartialIntake::PartialIntake(const CompiledRuleset& ruleset, const Answers& answers, const model::FactSet& pending)
    : ruleset_(ruleset), answers_(answers), atoms_(ruleset.atoms.size()), complete_(pending.none()) {
  // Unanswered facts that are not pending take their defaults, as the evaluator does.
  std::vector<model::FactValue> values = answers.values;
  model::FactSet defaulted = ruleset.has_default & ~answers.known & ~pending;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (defaulted.test(i)) values[i] = ruleset.defaults[i];
  }
  compute_atoms(ruleset, values, (answers.known | defaulted) & ~pending, atoms_.data());
}

Truth PartialIntake::truth(const Program& program) const { return run_program(ruleset_, program, atoms_.data()); }

IntakeSearch::IntakeSearch(const CompiledRuleset& ruleset) : ruleset_(ruleset) {
  for (std::size_t i = 0; i < ruleset.model->facts.size(); ++i) {
    classes_.push_back(ruleset.model->facts[i].derived ? std::vector<model::FactValue>{}
                                                       : value_classes(ruleset, static_cast<int>(i)));
  }
}

Answers IntakeSearch::blank() const {
  Answers answers;
  answers.values.assign(ruleset_.model->facts.size(), 0);
  return answers;
}

std::optional<Answers> IntakeSearch::find(const std::vector<int>& facts, const Answers& start,
                                          const std::function<Truth(const PartialIntake&)>& goal) {
  Answers answers = start;
  model::FactSet pending;
  for (int fact : facts) {
    pending.set(static_cast<std::size_t>(fact));
    answers.known.reset(static_cast<std::size_t>(fact));
  }
  if (descend(facts, 0, answers, pending, goal)) return answers;
  return std::nullopt;
}

bool IntakeSearch::descend(const std::vector<int>& facts, std::size_t next, Answers& answers,
                           model::FactSet& pending, const std::function<Truth(const PartialIntake&)>& goal) {
  if (++visited_ >= budget_) return false;
  Truth truth = goal(PartialIntake(ruleset_, answers, pending));
  if (truth == Truth::false_) return false;
  if (next == facts.size()) return truth == Truth::true_;
  int fact = facts[next];
  pending.reset(static_cast<std::size_t>(fact));
  answers.known.set(static_cast<std::size_t>(fact));
  for (model::FactValue value : classes_[fact]) {
    answers.values[fact] = value;
    if (descend(facts, next + 1, answers, pending, goal)) return true;
  }
  answers.known.reset(static_cast<std::size_t>(fact));
  pending.set(static_cast<std::size_t>(fact));
  return false;
}

void write_answers(JsonWriter& w, const CompiledRuleset& ruleset, const Answers& answers) {
  const auto& facts = ruleset.model->facts;
  for (std::size_t i = 0; i < facts.size(); ++i) {
    if (!answers.known.test(i) || facts[i].derived) continue;
    const auto& fact = facts[i];
    auto bits = static_cast<std::uint64_t>(answers.values[i]);
    switch (fact.type) {
      case model::FactType::boolean: w.bool_field(fact.id, answers.values[i] != 0); break;
      case model::FactType::integer: w.number_field(fact.id, answers.values[i]); break;
      case model::FactType::enumeration:
        for (std::size_t v = 0; v < fact.values.size(); ++v) {
          if ((bits >> v) & 1U) w.string_field(fact.id, fact.values[v]);
        }
        break;
      case model::FactType::set:
        w.array_field(fact.id, [&](JsonArrayWriter& a) {
          for (std::size_t v = 0; v < fact.values.size(); ++v) {
            if ((bits >> v) & 1U) a.string(fact.values[v]);
          }
        });
        break;
    }
  }
}

std::string intake_json(const CompiledRuleset& ruleset, const Answers& answers) {
  return json_object([&](JsonWriter& w) { w.object_field("answers", [&](JsonWriter& a) { write_answers(a, ruleset, answers); }); },
                     JsonStyle::spaced);
}

}  // namespace triage
