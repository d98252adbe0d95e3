// The diagnostic codes: one table (diag/codes.hpp), well formed, and documented exactly as listed.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <set>
#include <string>

#include "diag/codes.hpp"
#include "support.hpp"

namespace triage {
namespace {

// docs/diagnostic-codes.md's table as codes.hpp says it should be.
std::string code_table() {
  std::string out = "| code | stage | meaning |\n|---|---|---|\n";
  for (const auto& c : code::all) {
    out += "| `" + std::string(c.name) + "` | " + std::string(c.stage) + " | " + std::string(c.meaning) + " |\n";
  }
  return out;
}

}  // namespace

TEST_CASE("diagnostic codes are unique kebab-case names with a stage and a meaning", "[diag]") {
  std::set<std::string_view> seen;
  for (const auto& c : code::all) {
    INFO(c.name);
    CHECK(seen.insert(c.name).second);
    CHECK_FALSE(c.name.empty());
    CHECK(c.name.front() != '-');
    CHECK(c.name.back() != '-');
    CHECK(c.name.find("--") == std::string_view::npos);
    for (char ch : c.name) CHECK(((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'));
    CHECK_FALSE(c.stage.empty());
    CHECK_FALSE(c.meaning.empty());
    CHECK(c.meaning.find('|') == std::string_view::npos);  // it stands in a Markdown table
    CHECK(code::find(c.name) == &c);
  }
  CHECK(code::find("no-such-code") == nullptr);
}

TEST_CASE("the diagnostic codes are documented", "[diag][golden]") {
  const std::string path = test::source_path("docs/diagnostic-codes.md");
  std::string doc = test::read_file(path);
  const std::string begin = "<!-- codes: generated from src/diag/codes.hpp -->\n", end = "<!-- codes: end -->";
  auto from = doc.find(begin), to = doc.find(end);
  REQUIRE(from != std::string::npos);
  REQUIRE(to != std::string::npos);
  REQUIRE(from < to);
  from += begin.size();
  std::string expected = code_table();
  if (std::getenv("TRIAGE_UPDATE_GOLDEN") != nullptr) {
    doc.replace(from, to - from, expected);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << doc;
    to = from + expected.size();
  }
  CHECK(doc.substr(from, to - from) == expected);
}

}  // namespace triage
