// The grammar builds the right tree, accepts both arrows, keeps positions, and reports every
// syntax error of a file.
#include <catch2/catch.hpp>

#include "parse/parse.hpp"

namespace triage {
namespace {

ParseResult parse_text(const std::string& text) {
  static std::vector<std::unique_ptr<SourceFile>> keep;  // diagnostics point into the text
  keep.push_back(std::make_unique<SourceFile>("test.rules", text));
  return parse_rules(*keep.back());
}

const ast::RuleDecl& only_rule(const ParseResult& result) {
  REQUIRE(result.diagnostics.empty());
  REQUIRE(result.file.declarations.size() == 1);
  return std::get<ast::RuleDecl>(result.file.declarations[0]);
}

}  // namespace

TEST_CASE("both arrows parse to the same rule", "[parse]") {
  auto arrow = GENERATE(as<std::string>{}, "->", "\xE2\x86\x92");
  auto result = parse_text("red_flag f: night_pain " + arrow + " refer urgent\n  reason \"r\"\n  sources \"001\"\n");
  const auto& rule = only_rule(result);
  CHECK(rule.red_flag);
  CHECK(rule.name.name == "f");
  REQUIRE(rule.effects.size() == 1);
  CHECK(rule.effects[0].kind == ast::Effect::Kind::refer);
  CHECK(rule.effects[0].tier.name == "urgent");
  CHECK(rule.properties.size() == 2);
}

TEST_CASE("precedence: not binds tightest, then and, then or", "[parse]") {
  auto result = parse_text("rule r: a or not b and c -> caution\n reason \"x\" sources \"s\"");
  const auto& rule = only_rule(result);
  const auto* top = std::get_if<ast::Or>(&rule.condition.node);
  REQUIRE(top != nullptr);
  REQUIRE(top->terms.size() == 2);
  CHECK(std::holds_alternative<ast::FactRef>(top->terms[0].node));
  const auto* conjunction = std::get_if<ast::And>(&top->terms[1].node);
  REQUIRE(conjunction != nullptr);
  CHECK(std::holds_alternative<ast::Not>(conjunction->terms[0].node));
}

TEST_CASE("condition forms parse to their nodes", "[parse]") {
  struct Case {
    std::string condition;
    std::size_t kind;
  };
  auto c = GENERATE(values<Case>({{"night_pain", 0},
                                  {"pain_intensity >= 8", 1},
                                  {"onset = sudden", 1},
                                  {"leg_below_knee in pain_areas", 2},
                                  {"improving in {same, worse}", 3},
                                  {"pain_areas has any {buttock, leg_above_knee}", 4},
                                  {"pain_areas has none {neck}", 4},
                                  {"always", 5},
                                  {"(night_pain)", 0}}));
  auto result = parse_text("rule r: " + c.condition + " -> caution\n reason \"x\"\n sources \"s\"\n");
  INFO(c.condition);
  CHECK(only_rule(result).condition.node.index() == c.kind);
}

TEST_CASE("keywords do not swallow longer names", "[parse]") {
  auto result = parse_text("rule r: notable or android -> caution reason \"x\" sources \"s\"");
  const auto* top = std::get_if<ast::Or>(&only_rule(result).condition.node);
  REQUIRE(top != nullptr);
  CHECK(std::get<ast::FactRef>(top->terms[0].node).fact.name == "notable");
  CHECK(std::get<ast::FactRef>(top->terms[1].node).fact.name == "android");
}

TEST_CASE("adjacent strings are joined and escapes kept", "[parse]") {
  auto result = parse_text("tag t \"one\"\n  \"two \\\"quoted\\\"\"\n");
  REQUIRE(result.diagnostics.empty());
  CHECK(std::get<ast::TagDecl>(result.file.declarations[0]).description.text == "one two \"quoted\"");
}

TEST_CASE("positions are kept as offsets of the node start", "[parse]") {
  std::string text = "# comment\nfact  pain: int 0..10\n  question \"q\"\n";
  auto result = parse_text(text);
  REQUIRE(result.diagnostics.empty());
  const auto& fact = std::get<ast::FactDecl>(result.file.declarations[0]);
  CHECK(fact.name.offset == text.find("pain"));
  CHECK(fact.type.low == 0);
  CHECK(fact.type.high == 10);
}

TEST_CASE("every syntax error in a file is reported and parsing resumes", "[parse]") {
  auto result = parse_text(
      "fact a bool\n"                        // missing ':'
      "  question \"q\"\n"
      "fact b: bool\n  question \"ok\"\n"
      "rule r: a refer urgent\n"             // missing '->'
      "tag t \"fine\"\n");
  REQUIRE(result.diagnostics.size() == 2);
  CHECK(result.diagnostics[0].location.line == 1);
  CHECK(result.diagnostics[0].location.column == 8);
  CHECK(result.diagnostics[0].message == "expected `:`, found `bool`");
  CHECK(result.diagnostics[1].location.line == 5);
  CHECK(result.diagnostics[1].message.find("`->`") != std::string::npos);
  CHECK(result.file.declarations.size() == 2);  // fact b and tag t
}

TEST_CASE("a misspelled property gets a hint", "[parse]") {
  auto result = parse_text("technique t\n  titel \"x\"\n");
  REQUIRE(result.diagnostics.size() == 1);
  CHECK(result.diagnostics[0].location.line == 2);
  CHECK(result.diagnostics[0].location.column == 3);
  CHECK(result.diagnostics[0].hint == "did you mean `title`?");
}

}  // namespace triage

namespace triage {

TEST_CASE("non-ASCII bytes outside strings: a clear diagnostic, never undefined behaviour", "[parse][limits]") {
  struct Case {
    std::string text;
    std::size_t column;
    std::string message;
  };
  const std::vector<Case> cases{
      {"fact caf\xC3\xA9: bool\n  question \"q\"\n", 6,
       "`caf\xC3\xA9` is not a name: it holds `\xC3\xA9`, which is not an ASCII letter, digit or `_`"},
      {"fact na\xC3\xAFve_pain: bool\n  question \"q\"\n", 6,
       "`na\xC3\xAFve_pain` is not a name: it holds `\xC3\xAF`, which is not an ASCII letter, digit or `_`"},
      {"fact \xC3\xA9t\xC3\xA9: bool\n", 6, "expected a name, found `\xC3\xA9`"},
      {"rule r: a \xE2\x89\xA5 3 -> avoid x\n", 11, "expected `->`, found `\xE2\x89\xA5`"},
  };
  for (const auto& c : cases) {
    auto result = parse_text(c.text);
    INFO(c.text);
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].location.line == 1);
    CHECK(result.diagnostics[0].location.column == c.column);
    CHECK(result.diagnostics[0].message == c.message);
    CHECK_FALSE(result.diagnostics[0].hint.empty());
  }
  // Every byte from 0x80 to 0xff, alone and after a name, in every position a token can start.
  for (int byte = 0x80; byte <= 0xff; ++byte) {
    std::string b(1, static_cast<char>(byte));
    for (const std::string& text : {b, "fact " + b, "fact a" + b + ": bool", "fact a: bool\n  question " + b,
                                    "rule r: a and" + b + " -> avoid x", "# comment " + b + "\nplan\n  max_total 3 " + b}) {
      auto result = parse_text(text);
      CHECK_FALSE(result.diagnostics.empty());
    }
  }
  // Inside strings and comments they are plain text, and the arrow works.
  auto fine = parse_text("# caf\xC3\xA9\nfact cafe: bool\n  question \"Caf\xC3\xA9 au lait?\"\n");
  CHECK(fine.diagnostics.empty());
}

}  // namespace triage
