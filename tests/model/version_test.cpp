// Semantic versions: what a ruleset header may say, and the order a reload uses to spot a rollback.
#include <catch2/catch.hpp>

#include "model/version.hpp"

namespace triage::model {

TEST_CASE("version: semantic versions are accepted and everything else is refused", "[model][version]") {
  for (const char* good : {"0.0.0", "1.2.3", "10.20.30", "3.0.0-draft", "2.0.1-rc.1", "1.0.0+build.7", "1.0.0-alpha+b"}) {
    INFO(good);
    CHECK(is_semantic_version(good));
  }
  for (const char* bad : {"", "1", "1.2", "1.2.3.4", "01.2.3", "1.02.3", "1.2.x", "1.2.3-", "1.2.3+", "1.2.3-a..b",
                          "v1.2.3", "1.2.3 ", "-1.2.3"}) {
    INFO(bad);
    CHECK_FALSE(is_semantic_version(bad));
  }
}

TEST_CASE("version: precedence follows semver.org", "[model][version]") {
  struct Case {
    const char* a;
    const char* b;
    int order;
  };
  const Case cases[] = {
      {"2.0.0", "2.0.1", -1},         {"2.0.1", "2.0.0", 1},           {"2.0.0", "2.0.0", 0},
      {"1.10.0", "1.9.0", 1},         {"10.0.0", "9.9.9", 1},          {"2.0.1-rc.1", "2.0.1", -1},
      {"2.0.1", "2.0.1-rc.1", 1},     {"1.0.0-alpha", "1.0.0-alpha.1", -1}, {"1.0.0-alpha.1", "1.0.0-alpha.beta", -1},
      {"1.0.0-beta.2", "1.0.0-beta.11", -1}, {"1.0.0-rc.1", "1.0.0-beta", 1}, {"1.0.0+a", "1.0.0+b", 0},
  };
  for (const auto& c : cases) {
    INFO(c.a << " vs " << c.b);
    auto order = compare_versions(c.a, c.b);
    REQUIRE(order.has_value());
    CHECK((*order > 0) - (*order < 0) == c.order);
  }
  CHECK_FALSE(compare_versions("2.0", "2.0.0").has_value());
}

}  // namespace triage::model
