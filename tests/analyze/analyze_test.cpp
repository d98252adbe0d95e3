// The static analysis on small rulesets with deliberate mistakes: each must be refuted with a
// witness intake that really shows the problem when evaluated.
#include <catch2/catch.hpp>

#include "analyze/analyze.hpp"
#include "support.hpp"

namespace triage {
namespace {

const char* base = R"(
fact fever: bool
  question "fever?"
fact cancer: bool
  question "cancer?"
fact pain: int 0..10
  question "pain?"
fact areas: set of {back, leg}
  question "where?"
fact kit: set of {ball, roller}
  question "kit?"
  default {}
fact fragile: bool
  question "fragile?"
  default false
tag deep "deep"
plan
  phases warm, release, strengthen
  targeted release
  max_per_phase 2
  max_total 6
  equipment_fact kit
  area_fact areas
  reason "r"
  sources "001"
technique walk
  title "Walk" phase warm instructions "i" dose "d" sources "001"
technique ball
  title "Ball" phase release tags deep needs ball targets back instructions "i" dose "d" sources "002"
technique roll
  title "Roll" phase release needs roller targets back instructions "i" dose "d" sources "004"
technique plank
  title "Plank" phase strengthen instructions "i" dose "d" sources "001"
)";

std::shared_ptr<const CompiledRuleset> with_rules(const std::string& rules) {
  return test::load_texts({{"a.rules", base}, {"b.rules", rules}});
}

std::vector<const Finding*> findings(const AnalysisReport& report, const std::string& check) {
  std::vector<const Finding*> found;
  for (const auto& finding : report.findings) {
    if (finding.diagnostic.code == check) found.push_back(&finding);
  }
  return found;
}

Evaluation run_witness(const CompiledRuleset& ruleset, const Finding& finding) {
  REQUIRE(finding.witness.has_value());
  return evaluate(ruleset, test::answers_from_json(ruleset, *finding.witness));
}

const char* clear_flags = "red_flag f_fever: fever -> refer urgent reason \"r\" sources \"s\"\n";

}  // namespace

TEST_CASE("a red-flag question with a default is refuted with an intake sent home", "[analyze][invariant]") {
  auto ruleset = test::load_texts(
      {{"a.rules", base},
       {"b.rules", std::string(clear_flags) +
                       "red_flag f_fragile: fragile and pain >= 5 -> refer urgent reason \"r\" sources \"s\"\n"}});
  AnalysisReport report = analyze(*ruleset);
  auto unsafe = findings(report, "red-flag-safety");
  REQUIRE(unsafe.size() == 1);
  CHECK(unsafe[0]->diagnostic.severity == Severity::error);
  CHECK(unsafe[0]->diagnostic.message.find("`fragile` has a default") != std::string::npos);
  // The witness leaves `fragile` unanswered and gets self-care ...
  Evaluation sent_home = run_witness(*ruleset, *unsafe[0]);
  CHECK(sent_home.outcome == Outcome::self_care);
  // ... and the same patient answering "yes" is referred.
  Answers asked = test::answers_from_json(*ruleset, *unsafe[0]->witness);
  asked.values[ruleset->model->find_fact("fragile")] = 1;
  asked.known.set(ruleset->model->find_fact("fragile"));
  CHECK(evaluate(*ruleset, asked).outcome == Outcome::refer);
}

TEST_CASE("a red flag that can never fire is an error", "[analyze]") {
  auto ruleset = with_rules(std::string(clear_flags) + "red_flag f_never: pain > 10 -> refer routine reason \"r\" sources \"s\"\n");
  AnalysisReport report = analyze(*ruleset);
  auto dead = findings(report, "red-flag-safety");
  REQUIRE(dead.size() == 1);
  CHECK(dead[0]->diagnostic.message == "red flag `f_never` can never fire: no answers satisfy its condition");
  CHECK(dead[0]->diagnostic.severity == Severity::error);
}

TEST_CASE("monotonicity: a yes that lowers the urgency is refuted with a witness", "[analyze][invariant]") {
  auto ruleset = with_rules(
      "red_flag f_fever: fever and not cancer -> refer urgent reason \"r\" sources \"s\"\n"
      "red_flag f_cancer: cancer -> refer routine reason \"r\" sources \"s\"\n");
  AnalysisReport report = analyze(*ruleset);
  auto found = findings(report, "monotonicity");
  REQUIRE(found.size() == 1);
  CHECK(found[0]->diagnostic.severity == Severity::error);
  CHECK(found[0]->diagnostic.message == "answering yes to `cancer` lowers the decision from refer/urgent to refer/routine");
  Evaluation before = run_witness(*ruleset, *found[0]);
  CHECK(before.urgency == model::Tier::urgent);
  Answers yes = test::answers_from_json(*ruleset, *found[0]->witness);
  yes.values[ruleset->model->find_fact("cancer")] = 1;
  CHECK(evaluate(*ruleset, yes).urgency == model::Tier::routine);
}

TEST_CASE("monotone red flags raise no monotonicity finding", "[analyze]") {
  auto ruleset = with_rules(
      "red_flag f_fever: fever and not cancer -> refer urgent reason \"r\" sources \"s\"\n"
      "red_flag f_cancer: cancer -> refer urgent reason \"r\" sources \"s\"\n");
  AnalysisReport report = analyze(*ruleset);
  CHECK(findings(report, "monotonicity").empty());
}

TEST_CASE("include and avoid of one technique for one intake is a conflict with a witness", "[analyze]") {
  auto ruleset = with_rules(std::string(clear_flags) +
                            "rule add: pain >= 3 -> include ball reason \"r\" sources \"s\"\n"
                            "rule drop: fragile -> avoid tag deep reason \"r\" sources \"s\"\n");
  AnalysisReport report = analyze(*ruleset);
  auto found = findings(report, "conflict");
  REQUIRE(found.size() == 1);
  Evaluation evaluation = run_witness(*ruleset, *found[0]);
  CHECK(evaluation.outcome == Outcome::self_care);
  bool excluded = false;
  for (const auto& exclusion : evaluation.excluded) {
    excluded = excluded || ruleset->model->techniques[exclusion.technique].id == "ball";
  }
  CHECK(excluded);
}

TEST_CASE("an ordering cycle is found", "[analyze]") {
  auto ruleset = with_rules(std::string(clear_flags) +
                            "rule one: always -> order ball before roll reason \"r\" sources \"s\"\n"
                            "rule two: pain > 5 -> order roll before ball reason \"r\" sources \"s\"\n");
  AnalysisReport report = analyze(*ruleset);
  auto found = findings(report, "order-cycle");
  REQUIRE(found.size() == 1);
  CHECK(found[0]->diagnostic.message.find("ball before roll before ball") != std::string::npos);
  CHECK(found[0]->witness.has_value());
}

TEST_CASE("dead and redundant rules are reported", "[analyze]") {
  auto ruleset = with_rules(std::string(clear_flags) +
                            "rule never: pain > 5 and pain < 3 -> avoid roll reason \"r\" sources \"s\"\n"
                            "rule only_with_fever: fever -> avoid roll reason \"r\" sources \"s\"\n"
                            "rule wide: pain >= 2 -> avoid ball reason \"r\" sources \"s\"\n"
                            "rule narrow: pain >= 7 -> avoid ball reason \"r\" sources \"s\"\n");
  AnalysisReport report = analyze(*ruleset);
  auto dead = findings(report, "dead-rule");
  REQUIRE(dead.size() == 2);
  CHECK(dead[0]->diagnostic.message == "rule `never` can never hold: no answers satisfy its condition");
  CHECK(dead[1]->diagnostic.message ==
        "rule `only_with_fever` only holds when a red flag fires, so it never shapes a plan");
  auto redundant = findings(report, "redundant-rule");
  REQUIRE(redundant.size() == 1);
  CHECK(redundant[0]->diagnostic.message ==
        "rule `narrow` is redundant: rule `wide` has the same effects whenever it holds");
}

TEST_CASE("unreachable techniques and unused declarations are reported", "[analyze]") {
  auto ruleset = with_rules(std::string(clear_flags) + "rule no_roll: always -> avoid roll reason \"r\" sources \"s\"\n");
  AnalysisReport report = analyze(*ruleset);
  auto unreachable = findings(report, "unreachable-technique");
  REQUIRE(unreachable.size() == 1);
  CHECK(unreachable[0]->diagnostic.message == "no intake can receive technique `roll`");
  std::vector<std::string> unused;
  for (const auto* finding : findings(report, "unused")) unused.push_back(finding->diagnostic.message);
  CHECK(std::find(unused.begin(), unused.end(), "fact `cancer` is asked but no rule reads it") != unused.end());
  CHECK(std::find(unused.begin(), unused.end(), "tag `deep` is declared but no rule uses it") != unused.end());
}

TEST_CASE("the shipped rules pass the analysis without findings", "[analyze]") {
  AnalysisReport report = analyze(test::shipped());
  for (const auto& finding : report.findings) UNSCOPED_INFO(finding.diagnostic.code << ": " << finding.diagnostic.message);
  CHECK(report.findings.empty());
}

}  // namespace triage

namespace triage {

TEST_CASE("a rule that offers and removes techniques under one reason is flagged", "[analyze]") {
  auto mixed = with_rules(R"(
red_flag f: fever -> refer urgent reason "r" sources "001"
rule flare: pain >= 8 -> avoid tag deep, include plank reason "r" sources "003"
)");
  REQUIRE(mixed != nullptr);
  AnalysisReport report = analyze(*mixed);
  auto found = findings(report, "reason-scope");
  REQUIRE(found.size() == 1);
  CHECK(found[0]->diagnostic.severity == Severity::warning);
  CHECK(found[0]->diagnostic.message.find("`flare`") != std::string::npos);

  auto split = with_rules(R"(
red_flag f: fever -> refer urgent reason "r" sources "001"
rule flare_avoid: pain >= 8 -> avoid tag deep reason "r" sources "003"
rule flare_offer: pain >= 8 -> include plank reason "r" sources "003"
)");
  REQUIRE(split != nullptr);
  CHECK(findings(analyze(*split), "reason-scope").empty());
}

TEST_CASE("once next steps are written, every tier a red flag uses needs one", "[analyze]") {
  auto partial = with_rules(R"(
red_flag f: fever -> refer urgent reason "r" sources "001"
red_flag c: cancer -> refer routine reason "r" sources "001"
next_step urgent action "See a GP today." sources "NHS"
)");
  REQUIRE(partial != nullptr);
  AnalysisReport report = analyze(*partial);
  auto found = findings(report, "next-step");
  REQUIRE(found.size() == 1);
  CHECK(found[0]->diagnostic.message.find("`routine`") != std::string::npos);

  auto none = with_rules(R"(
red_flag f: fever -> refer urgent reason "r" sources "001"
)");
  REQUIRE(none != nullptr);
  CHECK(findings(analyze(*none), "next-step").empty());
}

}  // namespace triage
