// `triage fmt`: idempotent, comment-keeping, and meaning-preserving (same decisions for every
// example and rule-test intake).
#include <catch2/catch.hpp>

#include <filesystem>

#include "fmt/format.hpp"
#include "parse/parse.hpp"
#include "ruletest/runner.hpp"
#include "support.hpp"

namespace triage {
namespace {

namespace fs = std::filesystem;

std::string format_text(const std::string& name, const std::string& text) {
  SourceFile source(name, text);
  FormatResult result = format_rules(source);
  REQUIRE(result.diagnostics.empty());
  return result.text;
}


}  // namespace

TEST_CASE("the shipped rules are formatted, and formatting twice changes nothing", "[fmt]") {
  for (const auto& [name, text] : test::shipped_rule_files()) {
    INFO(name);
    std::string once = format_text(name, text);
    CHECK(once == text);  // `triage fmt --check rules/*.rules` passes
    CHECK(format_text(name, once) == once);
  }
}

TEST_CASE("formatting keeps comments and fixes layout", "[fmt]") {
  std::string messy =
      "# header comment\n"
      "\n"
      "fact   pain: int 0..10   # how bad\n"
      "   default 3\n"
      "  question \"q\"\n"
      "# between\n"
      "red_flag   f : (pain >= 8) and (not (pain < 9 or pain = 10)) → refer urgent\n"
      "  sources \"001\",\"002\"\n"
      "  # about the reason\n"
      "  reason \"r\"\n";
  std::string formatted = format_text("m.rules", messy);
  CHECK(formatted ==
        "# header comment\n"
        "\n"
        "fact pain: int 0..10  # how bad\n"
        "  question \"q\"\n"
        "  default 3\n"
        "\n"
        "# between\n"
        "red_flag f: pain >= 8 and not (pain < 9 or pain = 10) -> refer urgent\n"
        "  # about the reason\n"
        "  reason \"r\"\n"
        "  sources \"001\", \"002\"\n");
  CHECK(format_text("m.rules", formatted) == formatted);
}

TEST_CASE("long texts wrap into adjacent strings that join back to the same text", "[fmt]") {
  std::string words;
  for (int i = 0; i < 40; ++i) words += (i ? " " : "") + std::string("word") + std::to_string(i);
  std::string formatted = format_text("w.rules", "tag t \"" + words + "\"\n");
  CHECK(std::count(formatted.begin(), formatted.end(), '\n') > 1);
  std::size_t start = 0;
  for (std::size_t end = formatted.find('\n'); end != std::string::npos; end = formatted.find('\n', start)) {
    CHECK(end - start <= 100);
    start = end + 1;
  }
  SourceFile again("w.rules", formatted);
  ParseResult parsed = parse_rules(again);
  REQUIRE(parsed.diagnostics.empty());
  CHECK(std::get<ast::TagDecl>(parsed.file.declarations[0]).description.text == words);
}

TEST_CASE("formatted rules decide every example and rule-test intake the same way", "[fmt]") {
  // An unformatted copy of the shipped rules: tab indentation and blank lines between properties.
  std::vector<std::pair<std::string, std::string>> messy, formatted;
  for (const auto& [name, text] : test::shipped_rule_files()) {
    std::string untidy;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text.compare(i, 3, "\n  ") == 0) {
        untidy += "\n\n\t";
        i += 2;
      } else {
        untidy += text[i];
      }
    }
    REQUIRE(untidy != text);
    messy.emplace_back(name, untidy);
    formatted.emplace_back(name, format_text(name, untidy));
    CHECK(formatted.back().second == text);  // formatting restores the canonical layout
  }
  auto original = test::load_texts(messy);
  auto reformatted = test::load_texts(formatted);
  for (const auto& entry : fs::directory_iterator(test::source_path("rules/examples"))) {
    if (entry.path().extension() != ".json") continue;
    std::string json = test::read_file(entry.path().string());
    v1::Decision a = test::decide(*original, json), b = test::decide(*reformatted, json);
    a.clear_ruleset_hash();
    b.clear_ruleset_hash();
    INFO(entry.path().filename().string());
    CHECK(to_json(a) == to_json(b));
  }
  std::vector<std::pair<std::string, std::string>> cases;
  for (const auto& entry : fs::directory_iterator(test::source_path("rules/tests"))) {
    if (entry.path().extension() == ".cases") {
      cases.emplace_back(entry.path().filename().string(), test::read_file(entry.path().string()));
    }
  }
  TestReport before = run_cases(*original, cases), after = run_cases(*reformatted, cases);
  CHECK(before.passed > 0);
  CHECK(after.passed == before.passed);
  CHECK(after.failed == before.failed);
  CHECK(after.rule_hits == before.rule_hits);
  CHECK(after.technique_hits == before.technique_hits);
}

}  // namespace triage

namespace triage {

TEST_CASE("formatting lays out the version 2 declarations and properties", "[fmt]") {
  std::string messy =
      "section   at_home  facts equipment,floor  title \"At home\"\n"
      "fact onset: enum {sudden,gradual}  label gradual \"Gradually\" label sudden \"Suddenly\"\n"
      "  help \"h\" question \"q\"  min_choices 0\n"
      "next_step   routine sources \"NHS\" escalate \"e\" action \"a\"   meanwhile \"m\"\n"
      "plan safety_net \"s\" review \"r\" frequency \"f\"\n"
      "  require   strengthen whenever release except light_massage,other\n";
  std::string formatted = format_text("v2.rules", messy);
  CHECK(formatted ==
        "section at_home\n"
        "  title \"At home\"\n"
        "  facts equipment, floor\n"
        "\n"
        "fact onset: enum {sudden, gradual}\n"
        "  question \"q\"\n"
        "  help \"h\"\n"
        "  min_choices 0\n"
        "  label gradual \"Gradually\"\n"
        "  label sudden \"Suddenly\"\n"
        "\n"
        "next_step routine\n"
        "  action \"a\"\n"
        "  meanwhile \"m\"\n"
        "  escalate \"e\"\n"
        "  sources \"NHS\"\n"
        "\n"
        "plan\n"
        "  require strengthen whenever release except light_massage, other\n"
        "  frequency \"f\"\n"
        "  review \"r\"\n"
        "  safety_net \"s\"\n");
  CHECK(format_text("v2.rules", formatted) == formatted);
}

}  // namespace triage
