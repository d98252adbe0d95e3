// SPEC.md version 3, "caution wins for missing answers", and "combinations never lower urgency",
// shown on the shipped rules over many random intakes.
#include <catch2/catch.hpp>

#include <random>
#include <set>

#include "analyze/value_classes.hpp"
#include "support.hpp"

namespace triage {
namespace {

// A self-care-leaning intake: every question answered, red-flag yes/no questions mostly "no".
Answers calm_intake(const CompiledRuleset& ruleset, std::mt19937& rng) {
  Answers answers;
  answers.values.assign(ruleset.model->facts.size(), 0);
  for (std::size_t f = 0; f < ruleset.model->facts.size(); ++f) {
    const auto& fact = ruleset.model->facts[f];
    if (fact.derived) continue;
    auto classes = value_classes(ruleset, static_cast<int>(f));
    bool yes_no_flag = ruleset.red_flag_facts.test(f) && fact.type == model::FactType::boolean;
    answers.values[f] = yes_no_flag ? (rng() % 50 == 0 ? classes.back() : classes.front())
                                    : classes[std::uniform_int_distribution<std::size_t>(0, classes.size() - 1)(rng)];
    answers.known.set(f);
  }
  return answers;
}

// The techniques an `avoid` rule leaves out of this decision.
std::set<int> avoided(const CompiledRuleset& ruleset, const Evaluation& evaluation) {
  std::set<int> out;
  for (const auto& exclusion : evaluation.excluded) {
    for (std::uint32_t r = exclusion.first; r < exclusion.first + exclusion.count; ++r) {
      if (evaluation.exclusion_reasons[r].kind == ExclusionReason::Kind::rule) out.insert(exclusion.technique);
    }
  }
  (void)ruleset;
  return out;
}

}  // namespace

TEST_CASE("caution wins for missing answers: leaving a plan question unanswered never lifts an avoid",
          "[invariant][property]") {
  const CompiledRuleset& ruleset = test::shipped();
  const int area = ruleset.model->plan.area_fact;
  std::mt19937 rng(20261204);
  int compared = 0;
  for (int round = 0; round < test::property_cases(1500); ++round) {
    Answers full = calm_intake(ruleset, rng);
    if (evaluate(ruleset, full).outcome != Outcome::self_care) continue;
    for (std::size_t f = 0; f < ruleset.model->facts.size(); ++f) {
      if (!ruleset.rule_facts.test(f) || static_cast<int>(f) == area || ruleset.model->facts[f].derived) continue;
      Answers skipped = full;
      skipped.known.reset(f);
      Evaluation unanswered = evaluate(ruleset, skipped);
      if (unanswered.outcome != Outcome::self_care) continue;  // a red-flag question: asked instead
      std::set<int> left_out = avoided(ruleset, unanswered);
      for (model::FactValue value : value_classes(ruleset, static_cast<int>(f))) {
        Answers answered = full;
        answered.values[f] = value;
        Evaluation decided = evaluate(ruleset, answered);
        if (decided.outcome != Outcome::self_care) continue;
        for (int t : avoided(ruleset, decided)) {
          INFO("fact `" << ruleset.model->facts[f].id << "`, technique `" << ruleset.model->techniques[t].id << "`");
          CHECK(left_out.count(t) == 1);
        }
        ++compared;
      }
    }
  }
  CHECK(compared > test::property_cases(1500) / 3);  // about 2800 in the g++ job, 550 under ASan (300 cases)
}

TEST_CASE("a plan fact with a default defaults to the answer that offers the least", "[invariant]") {
  // Since version 3 only `equipment` keeps a default, and it is {}: nothing at home.
  const CompiledRuleset& ruleset = test::shipped();
  for (std::size_t f = 0; f < ruleset.model->facts.size(); ++f) {
    if (!ruleset.has_default.test(f) || !ruleset.rule_facts.test(f)) continue;
    INFO("fact `" << ruleset.model->facts[f].id << "`");
    CHECK(ruleset.model->facts[f].type == model::FactType::set);
    CHECK(ruleset.defaults[f] == 0);
  }
  for (const char* id : {"can_get_down_to_floor", "back_feels_unstable", "known_disc_or_nerve_problem"}) {
    bool found = false;
    for (std::size_t f = 0; f < ruleset.model->facts.size(); ++f) {
      if (ruleset.model->facts[f].id != id) continue;
      found = true;
      CHECK_FALSE(ruleset.has_default.test(f));
    }
    CHECK(found);
  }
}

TEST_CASE("combinations never lower urgency: from 16, an older patient is never sent less urgently",
          "[invariant][property]") {
  const CompiledRuleset& ruleset = test::shipped();
  int age = -1, pregnancy = -1, began_before_45 = -1;
  for (std::size_t f = 0; f < ruleset.model->facts.size(); ++f) {
    if (ruleset.model->facts[f].id == "age") age = static_cast<int>(f);
    if (ruleset.model->facts[f].id == "pregnancy") pregnancy = static_cast<int>(f);
    if (ruleset.model->facts[f].id == "pain_began_before_45") began_before_45 = static_cast<int>(f);
  }
  REQUIRE(age >= 0);
  REQUIRE(pregnancy >= 0);
  REQUIRE(began_before_45 >= 0);
  std::mt19937 rng(16);
  int compared = 0;
  for (int round = 0; round < test::property_cases(2000); ++round) {
    Answers answers = calm_intake(ruleset, rng);
    // Pregnancy is read only up to 55 (the answer means nothing later), so it is held at "no".
    answers.values[pregnancy] = 1;  // the first value, not_pregnant
    // Ageing keeps the answers true: pain that began before 45 still did at 60.
    answers.values[began_before_45] = 1;
    model::Tier before = model::Tier::none;
    bool first = true;
    for (model::FactValue years : value_classes(ruleset, age)) {
      if (years < 16) continue;  // under 16 is out of scope: a referral of its own
      answers.values[age] = years;
      Evaluation decided = evaluate(ruleset, answers);
      if (decided.outcome == Outcome::incomplete) break;  // a question opened by age: asked, not decided
      model::Tier tier = decided.outcome == Outcome::refer ? decided.urgency : model::Tier::none;
      if (!first) {
        INFO("age " << years);
        CHECK(tier >= before);
        ++compared;
      }
      before = tier;
      first = false;
    }
  }
  CHECK(compared > 1000);
}

}  // namespace triage

namespace triage {

TEST_CASE("combinations never lower urgency: one more yes to a red-flag question never lowers the tier",
          "[invariant][property]") {
  // The static proof is `triage check`'s monotonicity analysis; this shows it on decided intakes,
  // every version 3 question and combination included.
  const CompiledRuleset& ruleset = test::shipped();
  std::mt19937 rng(3);
  auto tier_of = [](const Evaluation& e) { return e.outcome == Outcome::refer ? e.urgency : model::Tier::none; };
  int flips = 0;
  for (int round = 0; round < test::property_cases(1500); ++round) {
    Answers answers = calm_intake(ruleset, rng);
    Evaluation before = evaluate(ruleset, answers);
    if (before.outcome == Outcome::incomplete) continue;
    for (std::size_t f = 0; f < ruleset.model->facts.size(); ++f) {
      const auto& fact = ruleset.model->facts[f];
      if (fact.derived || !ruleset.red_flag_facts.test(f) || fact.type != model::FactType::boolean || answers.values[f] != 0) {
        continue;
      }
      Answers yes = answers;
      yes.values[f] = 1;
      Evaluation after = evaluate(ruleset, yes);
      if (after.outcome == Outcome::incomplete) {
        // A yes may open a follow-up question; the tier already certain never falls meanwhile.
        CHECK(after.urgency >= tier_of(before));
        continue;
      }
      INFO("`" << fact.id << "` yes");
      CHECK(tier_of(after) >= tier_of(before));
      ++flips;
    }
  }
  CHECK(flips > 5000);
}

}  // namespace triage
