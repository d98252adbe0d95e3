#include "ruletest/cases.hpp"

#include <cctype>
#include <sstream>
#include <unordered_set>

#include "diag/codes.hpp"

namespace triage {
namespace {

// Splits a line into words; `{…}` and `"…"` stay whole. Records each word's column.
struct Word {
  std::string text;
  std::size_t column;
};

std::vector<Word> split(const std::string& line) {
  std::vector<Word> words;
  std::size_t i = 0;
  while (i < line.size()) {
    if (std::isspace(static_cast<unsigned char>(line[i]))) {
      ++i;
      continue;
    }
    if (line[i] == '#') break;
    std::size_t start = i;
    if (line[i] == '"') {
      std::size_t end = line.find('"', i + 1);
      end = end == std::string::npos ? line.size() : end + 1;
      words.push_back({line.substr(start, end - start), start + 1});
      i = end;
      continue;
    }
    if (line[i] == '{') {
      std::size_t end = line.find('}', i);
      end = end == std::string::npos ? line.size() : end + 1;
      words.push_back({line.substr(start, end - start), start + 1});
      i = end;
      continue;
    }
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i])) && line[i] != '#') ++i;
    words.push_back({line.substr(start, i - start), start + 1});
  }
  return words;
}

}  // namespace

CaseFile parse_cases(const std::string& file_name, const std::string& text, Diagnostics& diagnostics) {
  CaseFile file;
  std::istringstream in(text);
  std::string line;
  std::size_t number = 0;
  std::vector<CaseAnswer>* answers = nullptr;
  std::unordered_set<std::string> answered;
  const std::vector<CaseAnswer>* answered_owner = nullptr;
  TestCase* current = nullptr;
  auto at = [&](std::size_t column) { return SourceLocation{file_name, number, column}; };
  auto error = [&](std::size_t column, std::string message, std::string hint = {}) {
    diagnostics.push_back({std::string(code::case_syntax), Severity::error, at(column), std::move(message), std::move(hint)});
  };
  while (std::getline(in, line)) {
    ++number;
    std::vector<Word> words = split(line);
    if (words.empty()) continue;
    const std::string& keyword = words[0].text;
    if (keyword == "base") {
      if (words.size() != 2) {
        error(words[0].column, "expected `base NAME`");
        continue;
      }
      file.bases.push_back({words[1].text, {}, at(words[1].column)});
      answers = &file.bases.back().answers;
      current = nullptr;
    } else if (keyword == "case") {
      if (words.size() != 2 || words[1].text.size() < 2 || words[1].text.front() != '"' || words[1].text.back() != '"') {
        error(words[0].column, "expected `case \"what it shows\"`");
        answers = nullptr;
        current = nullptr;
        continue;
      }
      file.cases.push_back({words[1].text.substr(1, words[1].text.size() - 2), "", {}, {}, at(words[0].column)});
      current = &file.cases.back();
      answers = &current->answers;
    } else if (keyword == "from") {
      if (current == nullptr || words.size() != 2) {
        error(words[0].column, current == nullptr ? "`from` belongs inside a case" : "expected `from BASE`");
        continue;
      }
      current->base = words[1].text;
    } else if (keyword == "answer") {
      if (answers == nullptr) {
        error(words[0].column, "`answer` belongs inside a case or a base");
        continue;
      }
      if (words.size() != 4 || words[2].text != "=") {
        error(words[0].column, "expected `answer FACT = VALUE`", "values: true, false, a number, a value, {a, b}");
        continue;
      }
      const std::string& value = words[3].text;
      if (value.front() == '{' && value.back() != '}') {
        error(words[3].column, "a set value needs its closing `}`");
        continue;
      }
      // Facts answered so far in this case or base (a set, so a long list stays linear).
      if (answered_owner != answers) {
        answered.clear();
        for (const auto& earlier : *answers) answered.insert(earlier.fact);
        answered_owner = answers;
      }
      if (!answered.insert(words[1].text).second) {
        error(words[1].column, "`" + words[1].text + "` is answered twice here");
        continue;
      }
      answers->push_back({words[1].text, value, at(words[1].column)});
    } else if (keyword == "expect") {
      if (current == nullptr) {
        error(words[0].column, "`expect` belongs inside a case");
        continue;
      }
      Expectation expectation;
      expectation.location = at(words[0].column);
      std::vector<std::string> rest;
      for (std::size_t k = 1; k < words.size(); ++k) rest.push_back(words[k].text);
      auto shape = [&](std::size_t size) { return rest.size() == size; };
      std::string what = rest.empty() ? "" : rest[0];
      if (what == "outcome" && shape(2)) expectation = {"outcome", {rest[1]}, expectation.location};
      else if (what == "urgency" && shape(2)) expectation = {"urgency", {rest[1]}, expectation.location};
      else if (what == "red_flag" && shape(2)) expectation = {"red_flag", {rest[1]}, expectation.location};
      else if (what == "plan" && shape(3) && rest[1] == "has") expectation = {"plan_has", {rest[2]}, expectation.location};
      else if (what == "plan" && shape(3) && rest[1] == "lacks") expectation = {"plan_lacks", {rest[2]}, expectation.location};
      else if (what == "order" && shape(4) && rest[2] == "before") expectation = {"order", {rest[1], rest[3]}, expectation.location};
      else if ((what == "missing" || what == "refine") && shape(2)) {
        expectation = {rest[1] == "none" ? what + "_none" : what, {rest[1]}, expectation.location};
      } else if ((what == "missing" || what == "refine") && shape(3) && rest[1] == "lacks") {
        expectation = {what + "_lacks", {rest[2]}, expectation.location};
      } else if (what == "excluded" && shape(4) && rest[2] == "by") {
        expectation = {"excluded", {rest[1], rest[3]}, expectation.location};
      } else if (what == "caution" && shape(2)) {
        expectation = {"caution", {rest[1]}, expectation.location};
      } else if (what == "caution" && shape(4) && rest[2] == "on") {
        expectation = {"caution_on", {rest[1], rest[3]}, expectation.location};
      }
      else {
        error(words.size() > 1 ? words[1].column : words[0].column, "unknown expectation",
              "expect outcome|urgency|red_flag|plan has|plan lacks|order A before B|missing [lacks] FACT|missing none|"
              "refine [lacks] FACT|refine none|excluded T by RULE|"
              "caution RULE [on TECHNIQUE]");
        continue;
      }
      current->expectations.push_back(std::move(expectation));
    } else {
      error(words[0].column, "unknown line `" + keyword + "`", "lines start with base, case, from, answer or expect");
    }
  }
  return file;
}

}  // namespace triage
