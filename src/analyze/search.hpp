#pragma once
// Exhaustive search for an intake with a property, over the value classes of chosen facts, pruned
// with three-valued logic: facts not yet chosen are unknown, so a goal that is already false for a
// partial intake is false for every completion of it (Kleene logic is monotone in information).
#include <functional>
#include <optional>
#include <vector>

#include "compile/compiled.hpp"
#include "eval/evaluation.hpp"
#include "eval/evaluator.hpp"
#include "util/json_writer.hpp"

namespace triage {

// A view of a partial intake for goals: the truth of any program under it.
class PartialIntake {
 public:
  PartialIntake(const CompiledRuleset& ruleset, const Answers& answers, const model::FactSet& pending);
  // The truth of a condition; unknown when it depends on a pending (or unanswered) fact.
  Truth truth(const Program& program) const;
  const Answers& answers() const { return answers_; }
  // True when no fact is pending: the intake is as complete as the search makes it.
  bool complete() const { return complete_; }

 private:
  const CompiledRuleset& ruleset_;
  const Answers& answers_;
  std::vector<Truth> atoms_;
  bool complete_ = false;
};

class IntakeSearch {
 public:
  explicit IntakeSearch(const CompiledRuleset& ruleset);

  // Assigns `facts` in order, trying each one's value classes, starting from `start`. `goal` sees
  // each partial intake: false prunes it; at a full assignment true means found. Facts outside
  // `facts` keep what `start` says (answered, or unanswered with their default).
  std::optional<Answers> find(const std::vector<int>& facts, const Answers& start,
                              const std::function<Truth(const PartialIntake&)>& goal);

  // How many partial intakes the searches have looked at (for reports and budgets).
  long visited() const { return visited_; }
  // True once the searches used up their budget; `find` then answers "none" without looking,
  // so a caller must not take its answers as proofs.
  bool exhausted() const { return visited_ >= budget_; }
  static constexpr long budget_ = 5'000'000;

  // A blank intake (nothing answered) for this ruleset.
  Answers blank() const;

  // The value classes `find` tries for an answerable `fact` (analyze/value_classes), first the
  // "no"/"none"/lowest answer; every one is a valid answer.
  const std::vector<model::FactValue>& classes(int fact) const { return classes_[fact]; }

 private:
  bool descend(const std::vector<int>& facts, std::size_t next, Answers& answers, model::FactSet& pending,
               const std::function<Truth(const PartialIntake&)>& goal);

  const CompiledRuleset& ruleset_;
  std::vector<std::vector<model::FactValue>> classes_;
  long visited_ = 0;
};

// The answered facts as members of a JSON object (`"fact": value`), in declaration order.
void write_answers(JsonWriter& writer, const CompiledRuleset& ruleset, const Answers& answers);

// The intake as `{"answers": {...}}` JSON (spaced, for people), answered facts only, in declaration order.
std::string intake_json(const CompiledRuleset& ruleset, const Answers& answers);

}  // namespace triage
