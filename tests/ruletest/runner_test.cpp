// `triage test`'s case files: a failing case shows the difference; malformed lines are located.
#include <catch2/catch.hpp>

#include "ruletest/runner.hpp"
#include "support.hpp"

namespace triage {

TEST_CASE("a failing case shows what was expected and what came", "[ruletest]") {
  std::string cases =
      "case \"fever is urgent\"\n"
      "  answer fever_or_chills = true\n"
      "  expect outcome refer\n"
      "  expect urgency emergency\n"
      "  expect plan has cat_cow\n";
  TestReport report = run_cases(test::shipped(), {{"t.cases", cases}});
  REQUIRE(report.results.size() == 1);
  CHECK(report.failed == 1);
  const auto& failures = report.results[0].failures;
  // Only one answer: the emergency questions are still open, so the decision is incomplete.
  REQUIRE(failures.size() == 3);
  CHECK(failures[0] == "t.cases:3: expected outcome refer, got incomplete/urgent");
  CHECK(failures[1] == "t.cases:4: expected urgency emergency, got urgent");
  CHECK(failures[2] == "t.cases:5: expected cat_cow in the plan; plan: nothing");
  CHECK(report.red_flag_hits[0] == 0);
  std::string text = test_report_text(report, *test::shipped().model, false);
  CHECK(text.find("FAIL fever is urgent") != std::string::npos);
  CHECK(text.find("0 passed, 1 failed") != std::string::npos);
}

TEST_CASE("bases, overrides and coverage", "[ruletest]") {
  std::string cases =
      "base calm\n"
      "  answer night_pain = false\n"
      "  answer pain_areas = {lower_back, buttock}\n"
      "case \"night pain overrides the base\"\n"
      "  from calm\n"
      "  answer night_pain = true\n"
      "  expect outcome incomplete\n"
      "  expect urgency urgent\n"
      "  expect red_flag flag_night_pain\n"
      "  expect missing bladder_or_bowel_change\n";
  TestReport report = run_cases(test::shipped(), {{"t.cases", cases}});
  CHECK(report.passed == 1);
  const auto& model = *test::shipped().model;
  for (std::size_t f = 0; f < model.red_flags.size(); ++f) {
    CHECK(report.red_flag_hits[f] == (model.red_flags[f].id == "flag_night_pain" ? 1 : 0));
  }
}

TEST_CASE("malformed case lines are reported with file, line and column", "[ruletest]") {
  std::string cases =
      "case \"x\"\n"
      "  answer night_pain true\n"
      "  expect outcome\n"
      "  banana\n";
  TestReport report = run_cases(test::shipped(), {{"bad.cases", cases}});
  REQUIRE(report.diagnostics.size() == 3);
  CHECK(report.diagnostics[0].location.line == 2);
  CHECK(report.diagnostics[0].message == "expected `answer FACT = VALUE`");
  CHECK(report.diagnostics[1].location.line == 3);
  CHECK(report.diagnostics[1].location.column == 10);
  CHECK(report.diagnostics[2].message == "unknown line `banana`");
  for (const auto& d : report.diagnostics) CHECK(d.code == "case-syntax");
  // Rendered by the one diagnostic renderer, in text and in JSON.
  std::string text = test_report_text(report, *test::shipped().model, false);
  CHECK(text.find("bad.cases:2:3: error[case-syntax]: expected `answer FACT = VALUE`\n"
                  "  hint: values: true, false, a number, a value, {a, b}\n") == 0);
  std::string json = test_report_json(report, *test::shipped().model);
  CHECK(json.find("\"errors\":[{\"code\":\"case-syntax\",\"severity\":\"error\",\"file\":\"bad.cases\",\"line\":2,"
                  "\"column\":3,\"message\":\"expected `answer FACT = VALUE`\"") != std::string::npos);
}

TEST_CASE("unknown ids in expectations fail the case instead of passing silently", "[ruletest]") {
  TestReport report = run_cases(test::shipped(), {{"t.cases",
      "case \"x\"\n  answer night_pain = true\n  expect plan lacks cat_cwo\n"
      "  expect caution never_push_into_pain on cat_cow\n"}});
  REQUIRE(report.results.size() == 1);
  const auto& failures = report.results[0].failures;
  REQUIRE(failures.size() == 2);
  CHECK(failures[0] == "t.cases:3: unknown technique `cat_cwo`; did you mean `cat_cow`?");
  CHECK(failures[1] == "t.cases:4: expected the caution never_push_into_pain on cat_cow, which is not in the plan");
}

TEST_CASE("an answer the rules refuse fails the case with the intake's words", "[ruletest]") {
  TestReport report = run_cases(test::shipped(), {{"t.cases", "case \"x\"\n  answer pain_intensity = 11\n  expect outcome refer\n"}});
  REQUIRE(report.results.size() == 1);
  CHECK(report.results[0].failures.front() ==
        "invalid answer: `pain_intensity` expects a whole number from 0 to 10, got 11");
}

}  // namespace triage

namespace triage {

TEST_CASE("a megabyte name in a case file is handled in linear time", "[ruletest][limits]") {
  std::string name(1 << 20, 'x');
  std::string cases = "base " + name + "\n  answer " + name + " = true\n"
                      "case \"long names\"\n  from " + name + "\n  answer " + name + "y = true\n  expect outcome refer\n";
  auto start = std::chrono::steady_clock::now();
  TestReport report = run_cases(test::shipped(), {{"t.cases", cases}});
  CHECK(test::seconds_since(start) < test::time_budget(2.0));  // 55 s before: a "did you mean" matrix per name
  REQUIRE(report.results.size() == 1);
  REQUIRE_FALSE(report.results[0].failures.empty());
  CHECK(report.results[0].failures[0].find("invalid answer: unknown fact") != std::string::npos);
}

TEST_CASE("a case with many answers is read in linear time", "[ruletest][limits]") {
  std::string cases = "case \"many\"\n";
  for (int i = 0; i < 50000; ++i) cases += "  answer f" + std::to_string(i) + " = true\n";
  cases += "  answer f7 = false\n";
  auto start = std::chrono::steady_clock::now();
  TestReport report = run_cases(test::shipped(), {{"t.cases", cases}});
  CHECK(test::seconds_since(start) < test::time_budget(3.0));
  REQUIRE(report.diagnostics.size() == 1);
  CHECK(report.diagnostics[0].message == "`f7` is answered twice here");
}

}  // namespace triage
