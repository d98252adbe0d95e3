// Golden findings: each folder in tests/analyze/golden/ is a small ruleset with a deliberate
// mistake beside the exact text and JSON the analysis must report for it (see the README there).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "ruleset/open.hpp"
#include "support.hpp"

namespace triage {

TEST_CASE("golden findings", "[analyze][golden]") {
  bool update = std::getenv("TRIAGE_UPDATE_GOLDEN") != nullptr;
  test::for_each_golden_case("tests/analyze/golden", 7, [&](const std::filesystem::path& folder) {
    OpenedRuleset opened;
    std::string error;
    REQUIRE(open_ruleset(folder.string(), opened, error));
    REQUIRE(opened.ruleset);
    CHECK_FALSE(opened.analysis.findings.empty());
    std::string text = render_findings(opened.analysis, *opened.sources);
    std::string json = findings_json(opened.analysis) + "\n";
    if (update) {
      std::ofstream(folder / "expected.txt", std::ios::binary) << text;
      std::ofstream(folder / "expected.json", std::ios::binary) << json;
    }
    CHECK(text == test::read_file((folder / "expected.txt").string()));
    CHECK(json == test::read_file((folder / "expected.json").string()));
  });
}

}  // namespace triage
