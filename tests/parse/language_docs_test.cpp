// docs/rule-language.md's property table says what parse/language.hpp's vocabulary table says: the
// same keys, accepted in the same declarations, required and repeatable where the table has them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "parse/language.hpp"
#include "support.hpp"

namespace triage {
namespace {

using language::Decl;

// The documented rows: column texts, split on `|`.
std::vector<std::vector<std::string>> property_rows(const std::string& doc) {
  const std::string header = "| property | value | allowed in | required in | repeatable |\n";
  auto from = doc.find(header);
  REQUIRE(from != std::string::npos);
  std::istringstream lines(doc.substr(from + header.size()));
  std::vector<std::vector<std::string>> rows;
  std::string line;
  std::getline(lines, line);  // |---|---|…
  while (std::getline(lines, line) && line.rfind("|", 0) == 0) {
    std::vector<std::string> cells;
    std::string cell;
    std::istringstream parts(line.substr(1));
    while (std::getline(parts, cell, '|')) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

std::vector<std::string> matches(const std::string& text, const std::regex& pattern) {
  std::vector<std::string> found;
  for (std::sregex_iterator it(text.begin(), text.end(), pattern), end; it != end; ++it) found.push_back((*it)[1]);
  return found;
}

// The declarations a cell names (qualifiers in parentheses left out), as bits.
std::uint16_t declarations_in(std::string cell) {
  cell = std::regex_replace(cell, std::regex(R"(\([^)]*\))"), "");
  std::uint16_t bits = 0;
  for (const auto& word : matches(cell, std::regex(R"(([a-z_]+))"))) {
    for (std::size_t d = 0; d < language::declaration_words.size(); ++d) {
      if (language::declaration_words[d] == word) bits |= language::bit(static_cast<Decl>(d));
    }
  }
  return bits;
}

struct Documented {
  std::uint16_t allowed = 0, required = 0, repeatable = 0;
};

}  // namespace

TEST_CASE("the rule language's property table in docs matches the vocabulary table", "[parse][docs]") {
  const std::regex backticked("`([a-z_]+)`");
  std::map<std::string, Documented> documented;
  for (const auto& cells : property_rows(test::read_file(test::source_path("docs/rule-language.md")))) {
    REQUIRE(cells.size() >= 5);
    std::string keys_cell = std::regex_replace(cells[0], std::regex(R"(\(or `source`\))"), "");
    std::vector<std::string> keys = matches(keys_cell, backticked);
    std::uint16_t allowed = declarations_in(cells[2]);
    const std::string& required_cell = cells[3];
    std::vector<std::string> required_keys = matches(required_cell, backticked);
    bool all_but = required_cell.find("all but") != std::string::npos;
    for (const auto& key : keys) {
      Documented& row = documented[key];
      row.allowed |= allowed;
      bool named = std::find(required_keys.begin(), required_keys.end(), key) != required_keys.end();
      if (required_cell.find("all of these") != std::string::npos) {
        row.required |= allowed;
      } else if (!required_keys.empty()) {
        if (named != all_but) row.required |= allowed;
      } else if (required_cell.find("one of the two") == std::string::npos) {
        row.required |= declarations_in(required_cell);
      }
      if (cells[4].find("yes") != std::string::npos) row.repeatable |= allowed;
    }
  }
  for (const auto& key : language::property_keys) {
    INFO("property `" << key.key << "`");
    auto found = documented.find(std::string(key.key));
    REQUIRE(found != documented.end());
    CHECK(found->second.allowed == key.allowed);
    CHECK(found->second.required == key.required);
    CHECK(found->second.repeatable == key.repeatable);
  }
  for (const auto& [key, row] : documented) {
    INFO("documented property `" << key << "`");
    CHECK(language::find_property(key) != nullptr);
  }
}

}  // namespace triage
