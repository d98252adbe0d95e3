// SPEC version 2, "a kiosk flow that converges": a kiosk that asks every `missing` question,
// evaluates again, then asks every `refine` question reaches the decision the full intake gives;
// and every question `refine` lists can change the plan (it is not padding). Property tests over
// random full intakes and random subsets of them, on the shipped rules.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <random>

#include "analyze/value_classes.hpp"
#include "api/decision_record.hpp"
#include "support.hpp"

namespace triage {
namespace {

// Rounds of a property test; a sanitizer build sets TRIAGE_PROPERTY_ROUNDS lower.
int rounds(int normal) {
  const char* text = std::getenv("TRIAGE_PROPERTY_ROUNDS");
  return text != nullptr ? std::max(1, std::atoi(text)) : normal;
}

std::vector<int> answerable(const CompiledRuleset& ruleset) {
  std::vector<int> facts;
  for (std::size_t i = 0; i < ruleset.model->facts.size(); ++i) {
    if (!ruleset.model->facts[i].derived) facts.push_back(static_cast<int>(i));
  }
  return facts;
}

model::FactValue random_class(const CompiledRuleset& ruleset, int fact, std::mt19937& rng) {
  auto classes = value_classes(ruleset, fact);
  return classes[std::uniform_int_distribution<std::size_t>(0, classes.size() - 1)(rng)];
}

// A full intake whose red-flag questions are mostly "no", so that many reach a plan.
Answers random_full_intake(const CompiledRuleset& ruleset, std::mt19937& rng) {
  Answers answers;
  answers.values.assign(ruleset.model->facts.size(), 0);
  for (int fact : answerable(ruleset)) {
    const auto& model_fact = ruleset.model->facts[fact];
    bool calm_flag = ruleset.red_flag_facts.test(fact) && model_fact.type == model::FactType::boolean;
    answers.values[fact] = calm_flag ? (rng() % 40 == 0 ? 1 : 0) : random_class(ruleset, fact, rng);
    answers.known.set(static_cast<std::size_t>(fact));
  }
  return answers;
}

// Every other intake is drawn until its full answers reach a plan, so plans are well represented.
Answers random_case(const CompiledRuleset& ruleset, std::mt19937& rng, bool want_plan) {
  Answers full = random_full_intake(ruleset, rng);
  for (int tries = 0; want_plan && tries < 200 && evaluate(ruleset, full).outcome != Outcome::self_care; ++tries) {
    full = random_full_intake(ruleset, rng);
  }
  return full;
}

void copy_answer(const Answers& from, Answers& to, int fact) {
  to.values[fact] = from.values[fact];
  to.known.set(static_cast<std::size_t>(fact));
}

}  // namespace

TEST_CASE("refine: asking missing, then refine, reaches the full intake's decision", "[refine][property]") {
  const CompiledRuleset& ruleset = test::shipped();
  std::mt19937 rng(20261130);
  int refer = 0, self_care = 0, refined = 0;
  const int total = rounds(4000);
  for (int round = 0; round < total; ++round) {
    Answers full = random_case(ruleset, rng, round % 2 == 0);
    Answers asked;
    asked.values.assign(full.values.size(), 0);
    std::bernoulli_distribution keep(round % 3 == 0 ? 0.3 : round % 3 == 1 ? 0.6 : 0.9);
    for (int fact : answerable(ruleset)) {
      if (keep(rng)) copy_answer(full, asked, fact);
    }
    Evaluation step = evaluate(ruleset, asked);
    if (step.outcome == Outcome::incomplete) {
      for (int fact : step.missing) copy_answer(full, asked, fact);
      step = evaluate(ruleset, asked);
      REQUIRE(step.outcome != Outcome::incomplete);
    }
    Evaluation expected = evaluate(ruleset, full);
    CHECK(expected.refine.empty());
    if (step.outcome == Outcome::refer) {
      ++refer;
      CHECK(expected.outcome == Outcome::refer);
      CHECK(expected.urgency == step.urgency);
      CHECK(step.refine.empty());
      continue;
    }
    ++self_care;
    refined += step.refine.empty() ? 0 : 1;
    for (int fact : step.refine) {
      CHECK(!asked.known.test(static_cast<std::size_t>(fact)));
      copy_answer(full, asked, fact);
    }
    Evaluation last = evaluate(ruleset, asked);
    INFO("round " << round);
    CHECK(last.refine.empty());
    CHECK(decision_record_json(ruleset, last) == decision_record_json(ruleset, expected));
  }
  INFO(refer << " referrals, " << self_care << " plans, " << refined << " with questions to refine");
  CHECK(refer > total / 20);
  CHECK(self_care > total / 5);
  CHECK(refined > self_care / 2);
}

TEST_CASE("refine: every question it lists can change the decision", "[refine][property]") {
  // For each listed question, look for answers to the other open questions under which changing
  // only this one changes the decision. The search is random but generous; the rules are small.
  const CompiledRuleset& ruleset = test::shipped();
  std::mt19937 rng(42);
  int listed = 0, witnessed = 0;
  const int total = rounds(1000);
  for (int round = 0; round < total; ++round) {
    Answers full = random_case(ruleset, rng, true);
    Answers asked;
    asked.values.assign(full.values.size(), 0);
    for (int fact : answerable(ruleset)) {
      if (ruleset.red_flag_facts.test(fact) && !ruleset.rule_facts.test(fact)) copy_answer(full, asked, fact);
      else if (rng() % 2 == 0) copy_answer(full, asked, fact);
    }
    Evaluation decision = evaluate(ruleset, asked);
    if (decision.outcome != Outcome::self_care) continue;
    std::vector<int> open;
    for (int fact : answerable(ruleset)) {
      if (!asked.known.test(static_cast<std::size_t>(fact))) open.push_back(fact);
    }
    for (int fact : decision.refine) {
      ++listed;
      bool found = false;
      for (int attempt = 0; attempt < 300 && !found; ++attempt) {
        Answers base = asked;
        for (int other : open) {
          if (other == fact || rng() % 3 == 0) continue;  // some stay unanswered
          base.values[other] = random_class(ruleset, other, rng);
          base.known.set(static_cast<std::size_t>(other));
        }
        // Compare the decisions themselves, not what is left to ask.
        Evaluation before = evaluate(ruleset, base);
        before.refine.clear();
        const std::string unanswered = decision_record_json(ruleset, before);
        for (model::FactValue value : value_classes(ruleset, fact)) {
          Answers changed = base;
          changed.values[fact] = value;
          changed.known.set(static_cast<std::size_t>(fact));
          Evaluation other = evaluate(ruleset, changed);
          other.refine.clear();
          if (decision_record_json(ruleset, other) != unanswered) {
            found = true;
            break;
          }
        }
      }
      if (found) ++witnessed;
      else FAIL_CHECK("refine lists `" << ruleset.model->facts[fact].id << "` but no answer changed the decision (round "
                                       << round << ")");
    }
  }
  INFO(listed << " listed questions, " << witnessed << " with a witness");
  // Enough questions were tried for the property to mean something. Version 3's red-flag questions
  // that plan rules also read (blood thinners, pregnancy) leave many partial intakes incomplete, so
  // only about one round in thirteen reaches a plan (78 questions listed in 1000 rounds, rules 3.1).
  CHECK(listed > total / 20);
}

}  // namespace triage
