#include "parse/parse.hpp"

#include <cctype>

#include "parse/grammar.hpp"
#include "util/suggest.hpp"

namespace triage {
namespace {

const std::vector<std::string>& declaration_keywords() {
  static const std::vector<std::string> words{"fact", "derived", "tag", "technique", "red_flag", "rule", "plan"};
  return words;
}

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string_view word_at(std::string_view text, std::size_t offset) {
  std::size_t end = offset;
  while (end < text.size() && is_word_char(text[end])) ++end;
  return text.substr(offset, end - offset);
}

// What the parser found where it stopped, for "found …" in messages.
std::string describe_found(std::string_view text, std::size_t offset) {
  if (offset >= text.size()) return "the end of the file";
  if (text[offset] == '\n' || text[offset] == '\r') return "the end of the line";
  std::string_view word = word_at(text, offset);
  if (!word.empty()) return "`" + std::string(word) + "`";
  return "`" + std::string(1, text[offset]) + "`";
}

// Spirit names literals like '"'; say what a clinician needs to know instead.
std::string describe_expected(const std::string& which) {
  if (which == "'\"'") return "a closing `\"` (a string cannot run over a line end; write two strings instead)";
  if (which.size() == 3 && which.front() == '\'' && which.back() == '\'') return "`" + which.substr(1, 1) + "`";
  if (which == "\"..\"") return "`..` between the lowest and highest value";
  return which;
}

// Moves to the start of the next line whose first word starts a declaration.
std::size_t next_declaration(std::string_view text, std::size_t offset) {
  std::size_t pos = text.find('\n', offset);
  while (pos != std::string_view::npos) {
    std::size_t start = pos + 1;
    std::size_t first = start;
    while (first < text.size() && (text[first] == ' ' || text[first] == '\t')) ++first;
    std::string word(word_at(text, first));
    for (const auto& keyword : declaration_keywords()) {
      if (word == keyword) return first;
    }
    pos = text.find('\n', start);
  }
  return text.size();
}

}  // namespace

const std::vector<std::string>& language_keywords() {
  static const std::vector<std::string> words{
      "fact",    "derived",  "tag",     "technique",    "red_flag",       "rule",         "plan",    "question",
      "default", "meaning",  "title",   "phase",        "tags",           "needs",        "targets", "instructions",
      "dose",    "caution",  "sources", "source",       "reason",         "phases",       "targeted", "require",
      "max_per_phase", "max_total", "equipment_fact", "area_fact"};
  return words;
}

ParseResult parse_rules(const SourceFile& source) {
  ParseResult result;
  result.file.name = source.name();
  std::string_view text = source.text();
  std::size_t offset = 0;
  for (;;) {
    ast::Declaration declaration;
    grammar::SyntaxError error;
    grammar::Step step = grammar::parse_declaration(text, offset, declaration, error);
    if (step == grammar::Step::end_of_input) break;
    if (step == grammar::Step::parsed) {
      result.file.declarations.push_back(std::move(declaration));
      continue;
    }
    Diagnostic diagnostic;
    if (step == grammar::Step::syntax_error) {
      diagnostic.location = source.locate(error.offset);
      diagnostic.message =
          "expected " + describe_expected(error.expected) + ", found " + describe_found(text, error.offset);
      offset = error.offset;
    } else {
      diagnostic.location = source.locate(offset);
      std::string_view word = word_at(text, offset);
      diagnostic.message = "expected a declaration (fact, derived, tag, technique, red_flag, rule or plan)";
      if (!word.empty()) {
        diagnostic.message += " or a property of the one above, found `" + std::string(word) + "`";
        diagnostic.hint = did_you_mean(word, language_keywords());
      } else {
        diagnostic.message += ", found " + describe_found(text, offset);
      }
    }
    result.diagnostics.push_back(std::move(diagnostic));
    offset = next_declaration(text, offset);
  }
  return result;
}

}  // namespace triage
