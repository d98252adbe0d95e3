// Golden diagnostics: each folder in tests/check/golden/ is a small broken ruleset beside the exact
// text `triage check` must print for it (see the README there).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "diag/codes.hpp"
#include "diag/render.hpp"
#include "support.hpp"

namespace triage {

TEST_CASE("golden diagnostics", "[check][golden]") {
  bool update = std::getenv("TRIAGE_UPDATE_GOLDEN") != nullptr;
  test::for_each_golden_case("tests/check/golden", 20, [&](const std::filesystem::path& folder) {
    LoadResult loaded = load_ruleset(folder.string());
    CHECK(loaded.ruleset == nullptr);
    for (const auto& d : loaded.diagnostics) {
      INFO(d.message);
      CHECK(code::find(d.code) != nullptr);
    }
    std::string text = render_all(loaded.diagnostics, *loaded.sources);
    if (update) std::ofstream(folder / "expected.txt", std::ios::binary) << text;
    CHECK(text == test::read_file((folder / "expected.txt").string()));
  });
}

TEST_CASE("the shipped rules check clean", "[check]") {
  LoadResult loaded = load_ruleset(test::source_path("rules"));
  INFO(render_all(loaded.diagnostics, *loaded.sources));
  CHECK(loaded.ruleset != nullptr);
  CHECK(loaded.diagnostics.empty());
}

TEST_CASE("a missing rules folder is an error, not a crash", "[check]") {
  LoadResult loaded = load_ruleset(test::source_path("no/such/folder"));
  CHECK(loaded.ruleset == nullptr);
  REQUIRE(loaded.diagnostics.size() == 1);
  CHECK(loaded.diagnostics[0].message.find("does not exist") != std::string::npos);
}

TEST_CASE("the ruleset hash covers file names and bytes in sorted order", "[check]") {
  std::string a = ruleset_hash({{"a.rules", "x"}, {"b.rules", "y"}});
  CHECK(a.rfind("sha256:", 0) == 0);
  CHECK(a.size() == 7 + 64);
  CHECK(a != ruleset_hash({{"a.rules", "y"}, {"b.rules", "x"}}));    // bytes moved between files
  CHECK(a != ruleset_hash({{"a.rules", "xb.rules"}, {"", "y"}}));    // boundaries matter
  // Independently computed: sha256 of "a.rules\n1\nx" + "b.rules\n1\ny".
  CHECK(a == "sha256:e8daa1293603e85bf99caea42a6cb1ebf9c0f5e2e569243459ebbfe8df4169a0");
}

}  // namespace triage
