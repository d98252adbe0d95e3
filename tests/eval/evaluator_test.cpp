// The decision procedure on a small ruleset written for the test: three-valued logic, red flags,
// incomplete decisions with their missing questions, and how a plan is assembled.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <vector>

#include "support.hpp"

namespace triage {
namespace {

const char* facts = R"(
fact a: bool
  question "a?"
fact b: bool
  question "b?"
fact n: int 0..10
  question "n?"
fact e: enum {x, y, z}
  question "e?"
fact areas: set of {back, leg, neck}
  question "areas?"
fact kit: set of {ball, roller}
  question "kit?"
  default {}
fact ok: bool
  question "ok?"
  default true
tag deep "deep work"
plan
  phases warm, release, strengthen
  targeted release
  require strengthen whenever release
  max_per_phase 2
  max_total 4
  equipment_fact kit
  area_fact areas
  reason "plan reason"
  sources "001"
)";

const char* catalogue = R"(
technique walk
  title "Walk" phase warm instructions "i" dose "d" sources "001"
technique ball_back
  title "Ball" phase release tags deep needs ball targets back instructions "i" dose "d" sources "002"
technique roll_back
  title "Roll" phase release needs roller targets back instructions "i" dose "d" sources "004"
technique neck_rub
  title "Neck" phase release targets neck instructions "i" dose "d" sources "003"
technique plank
  title "Plank" phase strengthen instructions "i" dose "d" sources "001"
technique bridge
  title "Bridge" phase strengthen instructions "i" dose "d" sources "001"
technique clam
  title "Clam" phase strengthen instructions "i" dose "d" sources "001"
)";

std::shared_ptr<const CompiledRuleset> with_rules(const std::string& rules) {
  return test::load_texts({{"a_facts.rules", facts}, {"b_catalogue.rules", catalogue}, {"c_rules.rules", rules}});
}

std::vector<std::string> plan_of(const v1::Decision& decision) {
  std::vector<std::string> ids;
  for (const auto& item : decision.plan()) ids.push_back(item.technique());
  return ids;
}

std::vector<std::string> reasons_for(const v1::Decision& decision, const std::string& technique) {
  std::vector<std::string> rules;
  for (const auto& exclusion : decision.excluded()) {
    if (exclusion.technique() != technique) continue;
    for (const auto& reason : exclusion.reasons()) rules.push_back(reason.rule());
  }
  return rules;
}

}  // namespace

TEST_CASE("Kleene logic: unknown only where the answer could matter", "[eval]") {
  struct Case {
    std::string condition;
    std::string answers;
    Truth expected;
  };
  auto c = GENERATE(values<Case>({
      {"a and b", R"({"a": false})", Truth::false_},
      {"a and b", R"({"a": true})", Truth::unknown},
      {"a and b", R"({"a": true, "b": true})", Truth::true_},
      {"a or b", R"({"a": true})", Truth::true_},
      {"a or b", R"({"a": false})", Truth::unknown},
      {"a or b", R"({"a": false, "b": false})", Truth::false_},
      {"not a", R"({})", Truth::unknown},
      {"not a", R"({"a": true})", Truth::false_},
      {"n >= 5", R"({})", Truth::unknown},
      {"n >= 5", R"({"n": 5})", Truth::true_},
      {"n < 5", R"({"n": 5})", Truth::false_},
      {"n != 5", R"({"n": 4})", Truth::true_},
      {"e = y", R"({"e": "y"})", Truth::true_},
      {"e != y", R"({"e": "y"})", Truth::false_},
      {"e in {x, z}", R"({"e": "z"})", Truth::true_},
      {"leg in areas", R"({"areas": ["back"]})", Truth::false_},
      {"areas has any {leg, neck}", R"({"areas": ["neck"]})", Truth::true_},
      {"areas has all {leg, neck}", R"({"areas": ["neck"]})", Truth::false_},
      {"areas has none {leg}", R"({"areas": []})", Truth::true_},
      {"ok", R"({})", Truth::true_},  // the default
      {"not ok", R"({"ok": false})", Truth::true_},
      {"always", R"({})", Truth::true_},
  }));
  auto ruleset = with_rules("red_flag f: " + c.condition + " -> refer urgent reason \"r\" sources \"s\"");
  Answers answers = test::answers_from_json(*ruleset, R"({"answers": )" + c.answers + "}");
  Evaluation evaluation = evaluate(*ruleset, answers);
  INFO(c.condition << " with " << c.answers);
  Outcome expected_outcome = c.expected == Truth::true_    ? Outcome::refer
                             : c.expected == Truth::false_ ? Outcome::self_care
                                                           : Outcome::incomplete;
  CHECK(evaluation.outcome == expected_outcome);
}

TEST_CASE("derived facts evaluate like their definition", "[eval]") {
  auto ruleset = with_rules(
      "derived leg_or_neck = areas has any {leg, neck}\n"
      "red_flag f: leg_or_neck and a -> refer routine reason \"r\" sources \"s\"");
  CHECK(evaluate(*ruleset, test::answers_from_json(*ruleset, R"({"answers": {"areas": ["leg"], "a": true}})"))
            .outcome == Outcome::refer);
  CHECK(evaluate(*ruleset, test::answers_from_json(*ruleset, R"({"answers": {"areas": ["back"]}})")).outcome ==
        Outcome::self_care);
}

TEST_CASE("the highest fired tier wins and every fired flag is listed, most urgent first", "[eval]") {
  auto ruleset = with_rules(
      "red_flag low: a -> refer routine reason \"low\" sources \"s\"\n"
      "red_flag high: b -> refer emergency reason \"high\" sources \"s\"\n");
  auto decision = test::decide(*ruleset, R"({"answers": {"a": true, "b": true}})");
  CHECK(decision.outcome() == v1::refer);
  CHECK(decision.urgency() == v1::emergency);
  REQUIRE(decision.red_flags_size() == 2);
  CHECK(decision.red_flags(0).rule() == "high");
  CHECK(decision.red_flags(1).rule() == "low");
  CHECK(decision.plan_size() == 0);
}

TEST_CASE("a certain lower tier with an unknown higher one is incomplete and provisional", "[eval]") {
  auto ruleset = with_rules(
      "red_flag low: a -> refer routine reason \"low\" sources \"s\"\n"
      "red_flag mid: n >= 8 -> refer urgent reason \"mid\" sources \"s\"\n"
      "red_flag high: b -> refer emergency reason \"high\" sources \"s\"\n");
  auto decision = test::decide(*ruleset, R"({"answers": {"a": true}})");
  CHECK(decision.outcome() == v1::incomplete);
  CHECK(decision.urgency() == v1::routine);
  REQUIRE(decision.missing_size() == 2);
  CHECK(decision.missing(0) == "b");  // the emergency question first
  CHECK(decision.missing(1) == "n");
  auto settled = test::decide(*ruleset, R"({"answers": {"a": true, "b": false, "n": 3}})");
  CHECK(settled.outcome() == v1::refer);
  CHECK(settled.urgency() == v1::routine);
}

TEST_CASE("a referral already at the highest possible tier needs no more answers", "[eval]") {
  auto ruleset = with_rules(
      "red_flag low: a -> refer routine reason \"low\" sources \"s\"\n"
      "red_flag high: b -> refer emergency reason \"high\" sources \"s\"\n");
  auto decision = test::decide(*ruleset, R"({"answers": {"b": true}})");
  CHECK(decision.outcome() == v1::refer);
  CHECK(decision.urgency() == v1::emergency);
  CHECK(decision.missing_size() == 0);
}

TEST_CASE("candidates: targeted phases need a painful area, equipment must be there", "[eval]") {
  auto ruleset = with_rules("");
  auto decision = test::decide(*ruleset, R"({"answers": {"areas": ["back"], "kit": ["ball"]}})");
  CHECK(plan_of(decision) == std::vector<std::string>{"walk", "ball_back", "plank", "bridge"});
  CHECK(reasons_for(decision, "roll_back") == std::vector<std::string>{"plan:equipment"});
  CHECK(reasons_for(decision, "neck_rub") == std::vector<std::string>{"plan:targets"});
  CHECK(reasons_for(decision, "clam") == std::vector<std::string>{"plan:max_per_phase"});
  REQUIRE(decision.plan(1).why_size() == 1);
  CHECK(decision.plan(1).why(0).text() == "Works on the back, where you have pain.");
}

// Version 3: over max_total the cut is shared out, one item at a time from the phase with the
// most, the earlier phase on a tie, so the last phase is not the first to lose everything.
TEST_CASE("max_total shares its cut: the fullest phase loses first, the earlier one on a tie", "[eval]") {
  auto ruleset = with_rules("");
  auto decision = test::decide(*ruleset, R"({"answers": {"areas": ["back", "neck"], "kit": ["ball", "roller"]}})");
  CHECK(plan_of(decision) == std::vector<std::string>{"walk", "ball_back", "plank", "bridge"});
  CHECK(reasons_for(decision, "neck_rub") == std::vector<std::string>{"plan:max_per_phase"});
  CHECK(reasons_for(decision, "roll_back") == std::vector<std::string>{"plan:max_total"});
}

TEST_CASE("caution wins: an avoid with an unknown condition applies, an include does not", "[eval]") {
  auto ruleset = with_rules(
      "rule avoid_deep: a -> avoid tag deep reason \"no deep\" sources \"003\"\n"
      "rule add_neck: b -> include neck_rub reason \"neck\" sources \"003\"\n");
  auto unknown = test::decide(*ruleset, R"({"answers": {"areas": ["back"], "kit": ["ball"]}})");
  CHECK(reasons_for(unknown, "ball_back") == std::vector<std::string>{"avoid_deep"});
  CHECK(reasons_for(unknown, "neck_rub") == std::vector<std::string>{"plan:targets"});
  auto known = test::decide(*ruleset, R"({"answers": {"areas": ["back"], "kit": ["ball"], "a": false, "b": true}})");
  // Included, it becomes a candidate; the total of 4, shared from the fuller phases (version 3),
  // then cuts it rather than the strengthening.
  CHECK(plan_of(known) == std::vector<std::string>{"walk", "ball_back", "plank", "bridge"});
  CHECK(reasons_for(known, "neck_rub") == std::vector<std::string>{"plan:max_total"});
}

TEST_CASE("avoid wins over include for the same technique", "[eval]") {
  auto ruleset = with_rules(
      "rule add: a -> include ball_back reason \"add\" sources \"s\"\n"
      "rule drop: a -> avoid ball_back reason \"drop\" sources \"s\"\n");
  auto decision = test::decide(*ruleset, R"({"answers": {"areas": ["back"], "kit": ["ball"], "a": true}})");
  CHECK(reasons_for(decision, "ball_back") == std::vector<std::string>{"drop"});
}

TEST_CASE("order effects reorder techniques and phases", "[eval]") {
  auto ruleset = with_rules(
      "rule roll_first: a -> order roll_back before ball_back reason \"r\" sources \"s\"\n"
      "rule strength_first: b -> order phase strengthen before phase release reason \"r\" sources \"s\"\n");
  auto decision = test::decide(
      *ruleset, R"({"answers": {"areas": ["back"], "kit": ["ball", "roller"], "a": true, "b": true}})");
  // strengthen moves before release; the total of 4 then cuts one of the two phases of two items,
  // the earlier in plan order: strengthen's second technique
  CHECK(plan_of(decision) == std::vector<std::string>{"walk", "plank", "roll_back", "ball_back"});
  CHECK(reasons_for(decision, "bridge") == std::vector<std::string>{"plan:max_total"});
}

TEST_CASE("release is dropped when no strengthening survives", "[eval]") {
  auto ruleset = with_rules("rule weak: a -> avoid phase strengthen reason \"no strength\" sources \"s\"\n");
  auto decision = test::decide(*ruleset, R"({"answers": {"areas": ["back"], "kit": ["ball"], "a": true}})");
  CHECK(plan_of(decision) == std::vector<std::string>{"walk"});
  CHECK(reasons_for(decision, "ball_back") == std::vector<std::string>{"plan:require"});
}

TEST_CASE("a technique listed after `except` neither triggers the requirement nor is removed by it", "[eval]") {
  std::string exempt_facts = facts;
  exempt_facts.replace(exempt_facts.find("require strengthen whenever release"),
                       std::string("require strengthen whenever release").size(),
                       "require strengthen whenever release except neck_rub");
  auto ruleset = test::load_texts({{"a_facts.rules", exempt_facts},
                                   {"b_catalogue.rules", catalogue},
                                   {"c_rules.rules", "rule weak: a -> avoid phase strengthen reason \"no strength\" sources \"s\"\n"}});
  REQUIRE(ruleset != nullptr);
  // No strengthening survives: the back release is still dropped, the exempt neck rub stays.
  auto decision =
      test::decide(*ruleset, R"({"answers": {"areas": ["back", "neck"], "kit": ["ball"], "a": true}})");
  CHECK(plan_of(decision) == std::vector<std::string>{"walk", "neck_rub"});
  CHECK(reasons_for(decision, "ball_back") == std::vector<std::string>{"plan:require"});
  CHECK(reasons_for(decision, "neck_rub").empty());
}

TEST_CASE("cautions: general ones for the plan, targeted ones on the technique", "[eval]") {
  auto ruleset = with_rules(
      "rule everywhere: always -> caution reason \"stop if it hurts\" sources \"001\"\n"
      "rule on_ball: a -> caution on tag deep reason \"gently\" sources \"002\"\n");
  auto decision = test::decide(*ruleset, R"({"answers": {"areas": ["back"], "kit": ["ball"]}})");
  REQUIRE(decision.cautions_size() == 1);
  CHECK(decision.cautions(0).text() == "stop if it hurts");
  REQUIRE(decision.plan(1).technique() == "ball_back");
  REQUIRE(decision.plan(1).cautions_size() == 1);  // `a` unknown: the caution applies
  CHECK(decision.plan(1).cautions(0).rule() == "on_ball");
}

}  // namespace triage

namespace triage {
namespace {

TEST_CASE("a rule is a technique's reason once, however many of its effects match it", "[eval]") {
  // ball_back has tag `deep` and is named itself: two avoids of one rule, and two cautions.
  auto ruleset = with_rules(
      "rule twice: a -> avoid tag deep, avoid ball_back reason \"twice\" sources \"003\"\n"
      "rule careful: b -> caution on tag deep, caution on phase release reason \"careful\" sources \"003\"\n");
  auto avoided = test::decide(*ruleset, R"({"answers": {"areas": ["back"], "kit": ["ball"], "a": true, "b": false}})");
  CHECK(reasons_for(avoided, "ball_back") == std::vector<std::string>{"twice"});
  auto cautioned = test::decide(*ruleset, R"({"answers": {"areas": ["back"], "kit": ["ball"], "a": false, "b": true}})");
  REQUIRE(plan_of(cautioned).size() > 1);
  REQUIRE(cautioned.plan(1).technique() == "ball_back");
  REQUIRE(cautioned.plan(1).cautions_size() == 1);
  CHECK(cautioned.plan(1).cautions(0).rule() == "careful");
}

bool test_holds(const AtomTest& test, std::int64_t value) {
  return (((static_cast<std::uint64_t>(value) & test.mask) - test.low <= test.span) != 0) != (test.negate != 0);
}

TEST_CASE("an atom's range test holds exactly when the atom does, at the ends of the range too", "[eval]") {
  constexpr std::int64_t least = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t greatest = std::numeric_limits<std::int64_t>::max();
  const std::vector<std::int64_t> numbers = {least, least + 1, -101, -1, 0, 1, 2, 5, 63, 64, 100, 101, greatest - 1, greatest};
  for (int kind = 0; kind <= static_cast<int>(Atom::Kind::mask_none); ++kind) {
    for (std::int64_t operand : numbers) {
      Atom atom;
      atom.kind = static_cast<Atom::Kind>(kind);
      atom.fact = 7;
      atom.operand = operand;
      const AtomTest test = range_test(atom);
      CHECK(test.fact == 7);
      for (std::int64_t value : numbers) {
        INFO("kind " << kind << ", operand " << operand << ", value " << value);
        CHECK(test_holds(test, value) == atom_holds(atom, value));
      }
    }
  }
}

}  // namespace
}  // namespace triage
