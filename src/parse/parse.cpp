#include "parse/parse.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include "diag/codes.hpp"
#include "parse/grammar.hpp"
#include "parse/language.hpp"
#include "util/suggest.hpp"

namespace triage {
namespace {

const std::vector<std::string>& declaration_keywords() {
  static const std::vector<std::string> words(language::declaration_words.begin(), language::declaration_words.end());
  return words;
}

// "fact, derived, …, section or next_step", for messages.
std::string declaration_list() {
  std::string out;
  for (std::size_t i = 0; i < language::declaration_words.size(); ++i) {
    if (i > 0) out += i + 1 == language::declaration_words.size() ? " or " : ", ";
    out += language::declaration_words[i];
  }
  return out;
}

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string_view word_at(std::string_view text, std::size_t offset) {
  std::size_t end = offset;
  while (end < text.size() && is_word_char(text[end])) ++end;
  return text.substr(offset, end - offset);
}

// The whole UTF-8 character at `offset` (one byte for ASCII).
std::string_view character_at(std::string_view text, std::size_t offset) {
  auto lead = static_cast<unsigned char>(text[offset]);
  std::size_t length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  return text.substr(offset, length);
}

// What the parser found where it stopped, for "found …" in messages.
std::string describe_found(std::string_view text, std::size_t offset) {
  if (offset >= text.size()) return "the end of the file";
  if (text[offset] == '\n' || text[offset] == '\r') return "the end of the line";
  std::string_view word = word_at(text, offset);
  if (text[offset] == '\\' && offset + 1 < text.size()) return "`" + std::string(text.substr(offset, 2)) + "`";
  if (!word.empty()) return "`" + std::string(word) + "`";
  return "`" + std::string(character_at(text, offset)) + "`";
}

// A hint for what was found, when it is a common slip.
std::string hint_for_found(std::string_view text, std::size_t offset) {
  if (offset >= text.size()) return {};
  std::string_view word = word_at(text, offset);
  for (std::string_view reserved : language::reserved_words) {
    if (word == reserved) return "`" + std::string(word) + "` is a reserved word and cannot be used as a name";
  }
  for (char c : word) {
    if (std::isupper(static_cast<unsigned char>(c))) {
      return "names use lower-case letters, digits and `_`, like `night_pain`";
    }
  }
  std::string_view character = character_at(text, offset);
  if (character == "\xE2\x89\xA5") return "write `>=`";
  if (character == "\xE2\x89\xA4") return "write `<=`";
  if (character == "\xE2\x89\xA0") return "write `!=`";
  if (character == ",") return "remove the comma, or add the item that should follow it";
  if (static_cast<unsigned char>(character.front()) >= 0x80) {
    return "names use ASCII lower-case letters, digits and `_`; other characters belong inside strings";
  }
  return {};
}

// Moves past spaces and tabs, so a caret points at the offending token and not the blank before it.
std::size_t skip_blanks(std::string_view text, std::size_t offset) {
  while (offset < text.size() && (text[offset] == ' ' || text[offset] == '\t')) ++offset;
  return offset;
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
  static const std::vector<std::string> words = [] {
    std::vector<std::string> all(language::declaration_words.begin(), language::declaration_words.end());
    for (const auto& row : language::property_keys) all.emplace_back(row.key);
    all.emplace_back(language::sources_alias);
    return all;
  }();
  return words;
}

namespace {

constexpr int max_nesting = 64;
constexpr int max_terms = 1000;  // `and`/`or` terms in one declaration (docs/limits.md)

// Conditions are parsed recursively; a file nested deeper than any clinician writes could exhaust
// the stack, so it is refused before parsing. Returns the offset of the first too-deep point.
std::optional<std::size_t> too_deep(std::string_view text) {
  int depth = 0, nots = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    if (c == '"') {
      for (++i; i < text.size() && text[i] != '"' && text[i] != '\n'; ++i) {
        if (text[i] == '\\') ++i;
      }
      continue;
    }
    if (c == '(' && ++depth > max_nesting) return i;
    if (c == ')' && depth > 0) --depth;
    if (is_word_char(c) && (i == 0 || !is_word_char(text[i - 1]))) {
      std::string_view word = word_at(text, i);
      nots = word == "not" ? nots + 1 : 0;
      if (nots > max_nesting) return i;
      i += word.size() - 1;
    }
  }
  return std::nullopt;
}

// A condition with very many terms costs the safety analysis that many steps for every intake it
// searches; such a declaration is refused before parsing. Returns the offset of the first term
// over the limit in one declaration.
std::optional<std::size_t> too_long(std::string_view text) {
  int terms = 0;
  bool line_start = true;  // only blanks so far on this line
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n') line_start = true;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    bool first_on_line = line_start;
    line_start = false;
    if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
      line_start = true;
      continue;
    }
    if (c == '"') {
      for (++i; i < text.size() && text[i] != '"' && text[i] != '\n'; ++i) {
        if (text[i] == '\\') ++i;
      }
      line_start = i < text.size() && text[i] == '\n';
      continue;
    }
    if (is_word_char(c) && (i == 0 || !is_word_char(text[i - 1]))) {
      std::string_view word = word_at(text, i);
      if (word == "and" || word == "or") {
        if (++terms >= max_terms) return i;
      } else if (first_on_line) {
        for (const auto& keyword : declaration_keywords()) {
          if (word == keyword) terms = 0;  // a new declaration starts at the start of a line
        }
      }
      i += word.size() - 1;
    }
  }
  return std::nullopt;
}

}  // namespace

ParseResult parse_rules(const SourceFile& source) {
  ParseResult result;
  result.file.name = source.name();
  std::string_view text = source.text();
  if (auto at = too_deep(text)) {
    result.diagnostics.push_back({std::string(code::limit_exceeded), Severity::error, source.locate(*at),
                                  "the condition nests more than " + std::to_string(max_nesting) + " levels deep",
                                  "split it into derived facts"});
    return result;
  }
  if (auto at = too_long(text)) {
    result.diagnostics.push_back({std::string(code::limit_exceeded), Severity::error, source.locate(*at),
                                  "the declaration has more than " + std::to_string(max_terms) + " `and`/`or` terms",
                                  "split the condition into derived facts"});
    return result;
  }
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
    Diagnostic diagnostic{std::string(code::syntax)};
    if (step == grammar::Step::syntax_error) {
      std::size_t at = skip_blanks(text, error.offset);
      // A bad escape fails after its backslash; point at the backslash.
      if (error.expected.find("escapes") != std::string::npos && at > 0) at -= 1;
      diagnostic.location = source.locate(at);
      diagnostic.message = "expected " + describe_expected(error.expected) + ", found " + describe_found(text, at);
      diagnostic.hint = hint_for_found(text, at);
      bool generic_hint = diagnostic.hint.rfind("names use ASCII", 0) == 0;  // not `write >=` and the like
      if (generic_hint && at > 0 && is_word_char(text[at - 1])) {
        // A name running into a non-ASCII letter (`café`): say so rather than "expected `:`".
        std::size_t start = at;
        while (start > 0 && is_word_char(text[start - 1])) --start;
        std::size_t end = at;
        while (end < text.size() && (is_word_char(text[end]) || static_cast<unsigned char>(text[end]) >= 0x80)) {
          end += character_at(text, end).size();
        }
        end = std::min(end, text.size());
        diagnostic.location = source.locate(start);
        diagnostic.message = "`" + std::string(text.substr(start, end - start)) + "` is not a name: it holds `" +
                             std::string(character_at(text, at)) + "`, which is not an ASCII letter, digit or `_`";
        diagnostic.hint = "names use ASCII lower-case letters, digits and `_`, like `night_pain`; other characters "
                          "belong inside strings";
      }
      offset = at;
    } else {
      diagnostic.location = source.locate(offset);
      std::string_view word = word_at(text, offset);
      diagnostic.message = "expected a declaration (" + declaration_list() + ")";
      if (!word.empty()) {
        diagnostic.message += " or a property of the one above, found `" + std::string(word) + "`";
        diagnostic.hint = did_you_mean(word, language_keywords());
      } else {
        diagnostic.message += ", found " + describe_found(text, offset);
        diagnostic.hint = hint_for_found(text, offset);
      }
    }
    result.diagnostics.push_back(std::move(diagnostic));
    offset = next_declaration(text, offset);
  }
  return result;
}

}  // namespace triage
