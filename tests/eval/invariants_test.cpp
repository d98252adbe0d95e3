// SPEC's safety invariants, proved on the shipped rules:
//  1. red flags win; 2. never decide on a guess (property test over completions);
//  3. deterministic. (4 and 5 belong to the service and the intake tests.)
#include <catch2/catch.hpp>

#include <random>
#include <set>

#include "analyze/value_classes.hpp"
#include "support.hpp"

namespace triage {
namespace {

std::vector<int> answerable_facts(const CompiledRuleset& ruleset) {
  std::vector<int> facts;
  for (std::size_t i = 0; i < ruleset.model->facts.size(); ++i) {
    if (!ruleset.model->facts[i].derived) facts.push_back(static_cast<int>(i));
  }
  return facts;
}

// Calls `visit` for every way of answering `open` facts, using their value classes.
template <typename Visit>
void for_each_completion(const CompiledRuleset& ruleset, Answers answers, const std::vector<int>& open,
                         std::size_t next, Visit& visit) {
  if (next == open.size()) {
    visit(answers);
    return;
  }
  int fact = open[next];
  for (model::FactValue value : value_classes(ruleset, fact)) {
    answers.values[fact] = value;
    answers.known.set(static_cast<std::size_t>(fact));
    for_each_completion(ruleset, answers, open, next + 1, visit);
  }
}

Answers random_partial_intake(const CompiledRuleset& ruleset, std::mt19937& rng, double answered) {
  Answers answers;
  answers.values.assign(ruleset.model->facts.size(), 0);
  std::bernoulli_distribution answer(answered);
  for (int fact : answerable_facts(ruleset)) {
    if (!answer(rng)) continue;
    auto classes = value_classes(ruleset, fact);
    // Red-flag yes/no questions are mostly "no", as for real patients: with 40-odd red flags
    // (version 3) uniform answers would almost never reach a plan, and plans need covering too.
    const auto& declared = ruleset.model->facts[fact];
    if (ruleset.red_flag_facts.test(fact) && declared.type == model::FactType::boolean && classes.size() == 2) {
      answers.values[fact] = rng() % 16 == 0 ? classes[1] : classes[0];
      answers.known.set(static_cast<std::size_t>(fact));
      continue;
    }
    answers.values[fact] = classes[std::uniform_int_distribution<std::size_t>(0, classes.size() - 1)(rng)];
    answers.known.set(static_cast<std::size_t>(fact));
  }
  return answers;
}

}  // namespace

TEST_CASE("invariant 2: a decided outcome holds for every completion of the unanswered questions",
          "[invariant][property]") {
  const CompiledRuleset& ruleset = test::shipped();
  std::mt19937 rng(20261121);  // fixed seed: the same intakes on every run
  int decided = 0, incomplete = 0, completions = 0;
  for (int round = 0; round < test::property_cases(3000); ++round) {
    // Mostly-answered intakes so that many are decided with a few questions open.
    double answered = round % 3 == 0 ? 0.3 : 0.9;
    Answers answers = random_partial_intake(ruleset, rng, answered);
    Evaluation evaluation = evaluate(ruleset, answers);
    if (evaluation.outcome == Outcome::incomplete) {
      ++incomplete;
      CHECK(!evaluation.missing.empty());
      continue;
    }
    ++decided;
    std::vector<int> open;
    std::size_t size = 1;
    for (int fact : answerable_facts(ruleset)) {
      if (!answers.known.test(fact) && !ruleset.has_default.test(fact)) {
        open.push_back(fact);
        size = std::min<std::size_t>(size * value_classes(ruleset, fact).size(), 1U << 30);
      }
    }
    // Every completion while there are few; beyond that, the exhaustive walk would take hours (25
    // red-flag questions since version 2), so a fixed sample of random completions instead.
    if (size > 20000) {
      for (int sample = 0; sample < 200; ++sample) {
        Answers completed = answers;
        for (int fact : open) {
          auto classes = value_classes(ruleset, fact);
          completed.values[fact] = classes[std::uniform_int_distribution<std::size_t>(0, classes.size() - 1)(rng)];
          completed.known.set(static_cast<std::size_t>(fact));
        }
        ++completions;
        Evaluation other = evaluate(ruleset, completed);
        if (other.outcome != evaluation.outcome || other.urgency != evaluation.urgency) {
          FAIL_CHECK("decision changed when unanswered questions were answered (round " << round << ")");
        }
      }
      continue;
    }
    auto check = [&](const Answers& completed) {
      ++completions;
      Evaluation other = evaluate(ruleset, completed);
      if (other.outcome != evaluation.outcome || other.urgency != evaluation.urgency) {
        FAIL_CHECK("decision changed when unanswered questions were answered (round " << round << ")");
      }
    };
    for_each_completion(ruleset, answers, open, 0, check);
  }
  INFO(decided << " decided, " << incomplete << " incomplete, " << completions << " completions checked");
  CHECK(decided > test::property_cases(3000) / 10);  // the generator must exercise decided outcomes ...
  CHECK(incomplete > test::property_cases(3000) / 10);  // ... and incomplete ones
  CHECK(completions > decided);
}

TEST_CASE("invariant 2: an incomplete decision's missing questions can change it", "[invariant][property]") {
  // Answering every missing question (in any way) must settle the red-flag part of the decision.
  const CompiledRuleset& ruleset = test::shipped();
  std::mt19937 rng(7);
  int checked = 0;
  for (int round = 0; round < test::property_cases(2000) && checked < test::property_cases(400); ++round) {
    Answers answers = random_partial_intake(ruleset, rng, 0.7);
    Evaluation evaluation = evaluate(ruleset, answers);
    if (evaluation.outcome != Outcome::incomplete) continue;
    ++checked;
    for (int fact : evaluation.missing) {
      CHECK(!answers.known.test(fact));
      CHECK(ruleset.red_flag_facts.test(fact));
    }
    // Complete exactly the missing questions with random values: the outcome must now be decided.
    for (int fact : evaluation.missing) {
      auto classes = value_classes(ruleset, fact);
      answers.values[fact] = classes[std::uniform_int_distribution<std::size_t>(0, classes.size() - 1)(rng)];
      answers.known.set(static_cast<std::size_t>(fact));
    }
    Evaluation settled = evaluate(ruleset, answers);
    CHECK(settled.outcome != Outcome::incomplete);
    CHECK(settled.urgency >= evaluation.urgency);  // a provisional tier never goes down
  }
  CHECK(checked >= std::min(100, test::property_cases(2000) / 20));
}

TEST_CASE("invariant 1: whenever a red flag fires there is no self-care plan", "[invariant][property]") {
  const CompiledRuleset& ruleset = test::shipped();
  std::mt19937 rng(99);
  int fired = 0;
  for (int round = 0; round < test::property_cases(3000); ++round) {
    Answers answers = random_partial_intake(ruleset, rng, 0.8);
    Evaluation evaluation = evaluate(ruleset, answers);
    if (evaluation.red_flags.empty()) continue;
    ++fired;
    CHECK(evaluation.outcome != Outcome::self_care);
    CHECK(evaluation.plan.empty());
    model::Tier highest = model::Tier::none;
    for (int flag : evaluation.red_flags) highest = std::max(highest, ruleset.model->red_flags[flag].tier);
    CHECK(evaluation.urgency == highest);
  }
  CHECK(fired > test::property_cases(3000) / 3);
}

TEST_CASE("every technique of the catalogue is either in the plan or left out with its reasons",
          "[invariant][property]") {
  const CompiledRuleset& ruleset = test::shipped();
  std::mt19937 rng(5);
  int plans = 0;
  for (int round = 0; round < test::property_cases(3000); ++round) {
    Answers answers = random_partial_intake(ruleset, rng, 0.95);
    for (int fact : answerable_facts(ruleset)) {
      // Calm red-flag answers, so that most intakes reach a plan.
      if (ruleset.red_flag_facts.test(fact) && ruleset.model->facts[fact].type == model::FactType::boolean) {
        answers.values[fact] = rng() % 80 == 0 ? 1 : 0;  // 40-odd yes/no red-flag questions since version 3
        answers.known.set(fact);
      }
    }
    Evaluation evaluation = evaluate(ruleset, answers);
    if (evaluation.outcome != Outcome::self_care) continue;
    ++plans;
    std::vector<int> seen(ruleset.model->techniques.size(), 0);
    for (const auto& entry : evaluation.plan) ++seen[entry.technique];
    std::size_t reasons = 0;
    for (const auto& exclusion : evaluation.excluded) {
      ++seen[exclusion.technique];
      CHECK(exclusion.count > 0);
      CHECK(exclusion.first == reasons);  // grouped, in catalogue order, back to back
      reasons += exclusion.count;
    }
    CHECK(reasons == evaluation.exclusion_reasons.size());
    for (int count : seen) CHECK(count == 1);
  }
  // Random ages, pain scores and pregnancy answers refer many of them (version 3); enough still plan.
  CHECK(plans > test::property_cases(3000) / 40);
}

TEST_CASE("invariant 3: the same ruleset and answers give the same decision, byte for byte",
          "[invariant]") {
  // Two independent loads of the same folder, and answers written in a different key order.
  LoadResult again = load_ruleset(test::source_path("rules"));
  REQUIRE(again.ruleset != nullptr);
  const CompiledRuleset& first = test::shipped();
  const CompiledRuleset& second = *again.ruleset;
  CHECK(first.model->hash == second.model->hash);
  auto example = GENERATE(as<std::string>{}, "self_care_lower_back.json", "self_care_unstable_back.json",
                          "urgent_fever_night_pain.json", "incomplete_provisional_routine.json");
  std::string json = test::read_file(test::source_path("rules/examples/" + example));
  std::string a = to_json(test::decide(first, json));
  for (int repeat = 0; repeat < 3; ++repeat) CHECK(to_json(test::decide(second, json)) == a);
  // Reverse the order of the answers in the JSON text: the decision must not change.
  std::vector<RawAnswer> raw;
  std::string error;
  REQUIRE(parse_intake_json(json, raw, error));
  std::reverse(raw.begin(), raw.end());
  IntakeResult reversed = validate_answers(second, raw);
  REQUIRE(reversed.errors.empty());
  CHECK(to_json(to_decision_proto(second, evaluate(second, reversed.answers), "test", 0, "")) == a);
}

}  // namespace triage
