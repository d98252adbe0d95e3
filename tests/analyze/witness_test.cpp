// Witness intakes must be intakes a patient could give: each is checked with the engine's own intake
// validation (test::answers_from_json refuses what a kiosk would be refused), so a witness that
// names an empty set where `min_choices` asks for one value, no value of an enum, or an int below
// its range fails here. And the red-flag witness the editor shows must make its flag fire.
#include <catch2/catch.hpp>

#include "analyze/analyze.hpp"
#include "support.hpp"

namespace triage {
namespace {

std::string with(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

// Every witness of the report passes the intake validation and reads as the engine reads it.
void every_witness_valid(const CompiledRuleset& ruleset, const AnalysisReport& report, std::size_t at_least) {
  std::size_t witnesses = 0;
  for (const auto& finding : report.findings) {
    if (!finding.witness) continue;
    INFO(finding.diagnostic.code << ": " << finding.diagnostic.message);
    test::answers_from_json(ruleset, *finding.witness);  // REQUIREs no refused answer
    ++witnesses;
  }
  CHECK(witnesses >= at_least);
}

const char* rules = R"(
fact fever: bool
  question "fever?"
fact pain: int 1..10
  question "pain?"
fact areas: set of {back, leg}
  question "where?"
  min_choices 1
fact onset: enum {sudden, gradual}
  question "onset?"
fact kit: set of {ball}
  question "kit?"
  default {}
fact fragile: bool
  question "fragile?"
  default false
plan
  phases warm, release
  targeted release
  max_per_phase 2
  max_total 4
  equipment_fact kit
  area_fact areas
  reason "r"
  sources "001"
technique walk
  title "Walk" phase warm instructions "i" dose "d" sources "001"
technique ball
  title "Ball" phase release needs ball targets back instructions "i" dose "d" sources "002"
red_flag f_fever: fever -> refer urgent reason "r" sources "s"
red_flag f_leg: leg in areas and onset = sudden -> refer routine reason "r" sources "s"
red_flag f_fragile: fragile and pain >= 5 -> refer urgent reason "r" sources "s"
)";

}  // namespace

TEST_CASE("a witness answers a set fact with min_choices with at least that many values", "[analyze][invariant]") {
  // `fragile` has a default, so the red-flag check searches the other red-flag questions for an
  // intake sent home that "yes" to it would refer. `areas` is one of them and every one of its
  // values is tested, so the old search tried the empty set first and printed `"areas": []`,
  // which the intake refuses (at least 1 value).
  auto ruleset = test::load_texts({{"a.rules", rules}});
  REQUIRE(ruleset);
  AnalysisReport report = analyze(*ruleset);
  bool defaulted = false;
  for (const auto& finding : report.findings) {
    defaulted = defaulted || finding.diagnostic.message.find("`fragile` has a default") != std::string::npos;
  }
  CHECK(defaulted);
  every_witness_valid(*ruleset, report, 1);
}

TEST_CASE("witnesses on the shipped rules with a defaulted red-flag question are valid intakes", "[analyze][invariant]") {
  // The shipped `pain_areas` has `min_choices 1`, and red flags read it; a default on `pregnancy`
  // (a red-flag question) makes the check search every red-flag question for a witness.
  auto files = test::shipped_rule_files();
  for (auto& [name, text] : files) {
    if (name == "facts.rules") text = with(text, "  question \"Are you pregnant?\"\n", "  question \"Are you pregnant?\"\n  default not_pregnant\n");
  }
  auto ruleset = test::load_texts(files);
  REQUIRE(ruleset);
  AnalysisReport report = analyze(*ruleset);
  every_witness_valid(*ruleset, report, 1);
}

TEST_CASE("red_flag_witness: an intake that makes the flag fire, valid, decided as the check decides it", "[analyze]") {
  SECTION("each shipped red flag") {
    const CompiledRuleset& shipped = test::shipped();
    for (std::size_t f = 0; f < shipped.model->red_flags.size(); ++f) {
      INFO(shipped.model->red_flags[f].id);
      RedFlagWitness found = red_flag_witness(shipped, static_cast<int>(f));
      REQUIRE(found.status == RedFlagWitness::Status::fires);
      Evaluation decided = evaluate(shipped, test::answers_from_json(shipped, found.witness));
      // It fires, and every red-flag question is answered, so the decision is a referral.
      CHECK(std::count(decided.red_flags.begin(), decided.red_flags.end(), static_cast<int>(f)) == 1);
      CHECK(decided.outcome == Outcome::refer);
      CHECK(decided.urgency >= shipped.model->red_flags[f].tier);
      CHECK(found.decision.outcome == decided.outcome);
      CHECK(found.decision.urgency == decided.urgency);
    }
  }
  SECTION("the completion answers other questions with valid values (int range, enum, min_choices)") {
    auto ruleset = test::load_texts({{"a.rules", rules}});
    REQUIRE(ruleset);
    RedFlagWitness found = red_flag_witness(*ruleset, 0);  // f_fever
    REQUIRE(found.status == RedFlagWitness::Status::fires);
    Answers answers = test::answers_from_json(*ruleset, found.witness);
    for (const char* fact : {"pain", "areas", "onset"}) {
      INFO(fact);
      CHECK(answers.known.test(ruleset->model->find_fact(fact)));  // answered, and accepted above
    }
  }
  SECTION("a flag no answers satisfy has none, which is itself the finding") {
    auto ruleset = test::load_texts({{"a.rules", with(rules, "fragile and pain >= 5", "pain > 5 and pain < 3")}});
    REQUIRE(ruleset);
    CHECK(red_flag_witness(*ruleset, 2).status == RedFlagWitness::Status::never);
  }
}

}  // namespace triage
