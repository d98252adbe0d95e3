// `triage audit feedback`'s summary: which red flags and rules fired in a logged decision, and per
// rule how often clinicians accepted or overrode the advice, and why.
#include <catch2/catch.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "auditor/feedback_summary.hpp"

namespace triage {
namespace {

TEST_CASE("the red flags and rules that fired, from a logged decision", "[audit][feedback]") {
  struct Case {
    const char* what;
    std::string decision;
    std::vector<std::string> red_flags;
    std::vector<std::string> rules;
  };
  const std::vector<Case> cases{
      {"canonical refer record", R"({"outcome":"refer","urgency":"emergency","red_flags":["cauda_equina","saddle_anaesthesia"],"missing":[],"plan":[],"excluded":[],"cautions":[]})",
       {"cauda_equina", "saddle_anaesthesia"}, {}},
      {"canonical self-care record: rules of why, cautions, exclusions; planner reasons left out",
       R"({"outcome":"self_care","red_flags":[],"missing":[],)"
       R"("plan":[{"technique":"cat_cow","why":["ease_stiffness","plan:targets","technique:cat_cow"],"cautions":["technique:cat_cow","go_gently"]},)"
       R"({"technique":"walk","why":["ease_stiffness"],"cautions":[]}],)"
       R"("excluded":[{"technique":"plank","reasons":["floor_work_only_if_safe","plan:equipment"]}],"cautions":["go_gently","never_push_into_pain"]})",
       {}, {"ease_stiffness", "go_gently", "floor_work_only_if_safe", "never_push_into_pain"}},
      {"incomplete record with a red flag already fired",
       R"({"outcome":"incomplete","urgency":"urgent","red_flags":["fever_night_pain"],"missing":["age"],"plan":[],"excluded":[],"cautions":[]})",
       {"fever_night_pain"}, {}},
      {"full Decision (objects with `rule`)",
       R"({"outcome":"self_care","red_flags":[{"rule":"flag_a","urgency":"urgent","reason":"…"}],)"
       R"("plan":[{"technique":"t","why":[{"rule":"rule_a","text":"…"},{"rule":"plan:targets"}],"cautions":[{"rule":"rule_b"}]}],)"
       R"("excluded":[{"technique":"u","reasons":[{"rule":"rule_c"}]}],"cautions":[{"rule":"rule_a"}]})",
       {"flag_a"}, {"rule_a", "rule_b", "rule_c"}},
      {"not JSON", "{not json", {}, {}},
      {"a JSON array, not a record", "[1,2]", {}, {}},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    FiredIds fired = fired_in_decision(c.decision);
    CHECK(fired.red_flags == c.red_flags);
    CHECK(fired.rules == c.rules);
  }
}

FeedbackRow row(const std::string& decision, const std::string& outcome, const std::string& reason = "") {
  FeedbackRow r;
  r.decision_id = decision;
  r.outcome = outcome;
  r.override_reason = reason;
  return r;
}

TEST_CASE("feedback summed per red flag and rule, with override reasons", "[audit][feedback]") {
  const std::map<std::string, std::string> log{
      {"d-emergency", R"({"outcome":"refer","urgency":"emergency","red_flags":["cauda_equina"],"missing":[],"plan":[],"excluded":[],"cautions":[]})"},
      {"d-urgent", R"({"outcome":"refer","urgency":"urgent","red_flags":["cauda_equina","fever_night_pain"],"missing":[],"plan":[],"excluded":[],"cautions":[]})"},
      {"d-self-care", R"({"outcome":"self_care","red_flags":[],"missing":[],"plan":[{"technique":"walk","why":["keep_moving","plan:targets"],"cautions":[]}],"excluded":[],"cautions":["go_gently"]})"},
  };
  auto decision_of = [&log](const std::string& id) -> std::optional<std::string> {
    auto it = log.find(id);
    if (it == log.end()) return std::nullopt;
    return it->second;
  };
  struct Expected {
    std::string kind, id;
    std::int64_t accepted, overridden;
    std::map<std::string, std::int64_t> reasons;
  };
  struct Case {
    const char* what;
    std::vector<FeedbackRow> rows;
    std::int64_t accepted, overridden, unmatched;
    std::vector<Expected> rules;  // in the summary's order
  };
  const std::vector<Case> cases{
      {"no feedback", {}, 0, 0, 0, {}},
      {"one accepted referral", {row("d-emergency", "accepted")}, 1, 0, 0, {{"red_flag", "cauda_equina", 1, 0, {}}}},
      {"a flag shared by two decisions, overridden for two reasons, once with none",
       {row("d-emergency", "overridden", "patient-declined Patient declined"), row("d-urgent", "overridden", "already-referred"),
        row("d-urgent", "accepted"), row("d-emergency", "overridden")},
       1, 3, 0,
       {{"red_flag", "cauda_equina", 1, 3, {{"patient-declined Patient declined", 1}, {"already-referred", 1}, {"(none given)", 1}}},
        {"red_flag", "fever_night_pain", 1, 1, {{"already-referred", 1}}}}},
      {"self-care rules, most overridden first; feedback on a decision not in the log is counted apart",
       {row("d-self-care", "overridden", "prefers-physio"), row("d-emergency", "accepted"), row("d-unknown", "overridden", "x")},
       1, 2, 1,
       {{"rule", "go_gently", 0, 1, {{"prefers-physio", 1}}},
        {"rule", "keep_moving", 0, 1, {{"prefers-physio", 1}}},
        {"red_flag", "cauda_equina", 1, 0, {}}}},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    FeedbackSummary s = summarize_feedback(c.rows, decision_of);
    CHECK(s.entries == static_cast<std::int64_t>(c.rows.size()));
    CHECK(s.accepted == c.accepted);
    CHECK(s.overridden == c.overridden);
    CHECK(s.unmatched == c.unmatched);
    REQUIRE(s.rules.size() == c.rules.size());
    for (std::size_t i = 0; i < c.rules.size(); ++i) {
      INFO(c.rules[i].id);
      CHECK(s.rules[i].kind == c.rules[i].kind);
      CHECK(s.rules[i].id == c.rules[i].id);
      CHECK(s.rules[i].accepted == c.rules[i].accepted);
      CHECK(s.rules[i].overridden == c.rules[i].overridden);
      CHECK(s.rules[i].override_reasons == c.rules[i].reasons);
    }
  }
}

TEST_CASE("the summary as text and JSON", "[audit][feedback]") {
  FeedbackSummary s;
  s.entries = 3;
  s.accepted = 1;
  s.overridden = 2;
  s.unmatched = 0;
  s.rules.push_back({"red_flag", "cauda_equina", 1, 2, {{"already-referred", 1}, {"patient-declined Patient declined", 1}}});
  s.rules.push_back({"rule", "go_gently", 1, 0, {}});
  std::string text = feedback_summary_text(s);
  CHECK_THAT(text, Catch::Contains("3 feedback entries, 1 accepted, 2 overridden"));
  CHECK_THAT(text, Catch::Contains(
                       "red flag cauda_equina: 2 of 3 overridden (66%), 1 accepted; reasons: \"already-referred\" x1, "
                       "\"patient-declined Patient declined\" x1"));
  CHECK_THAT(text, Catch::Contains("rule     go_gently: 0 of 1 overridden (0%), 1 accepted\n"));
  CHECK(feedback_summary_json(s) ==
        R"({"summary":{"entries":3,"accepted":1,"overridden":2,"unmatched":0,"rules":[)"
        R"({"kind":"red_flag","id":"cauda_equina","accepted":1,"overridden":2,"override_reasons":[{"reason":"already-referred","count":1},{"reason":"patient-declined Patient declined","count":1}]},)"
        R"({"kind":"rule","id":"go_gently","accepted":1,"overridden":0,"override_reasons":[]}]}})");
}

}  // namespace
}  // namespace triage
