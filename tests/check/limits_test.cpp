// Limits a rule file meets (docs/limits.md): refused early with a clear error, never undefined
// behaviour, and never slower than linear on the way to the refusal.
#include <catch2/catch.hpp>

#include <chrono>

#include "diag/render.hpp"
#include "ruleset/loader.hpp"
#include "support.hpp"

namespace triage {
namespace {

using test::seconds_since;
using test::time_budget;

const std::string plan_rules =
    "fact pain_areas: set of {neck, lower_back}\n  question \"Where?\"\n"
    "fact equipment: set of {foam_roller}\n  question \"What do you have?\"\n  default {}\n"
    "plan\n  phases warm_up\n  max_per_phase 3\n  max_total 5\n  equipment_fact equipment\n"
    "  area_fact pain_areas\n  reason \"r\"\n  sources \"001\"\n";

std::string values(const std::string& prefix, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) out += (i == 0 ? "" : ", ") + prefix + std::to_string(i);
  return out;
}

}  // namespace

TEST_CASE("a fact with more than 64 values is refused before any value gets a bit", "[check][limits]") {
  // Values past the 64th used as a default, in conditions and in `needs`/`targets`: each would
  // be a shift by 64 or more bits (undefined; UBSan stops the sanitizer build) before the fix.
  std::string text = "fact many: enum {" + values("v", 70) + "}\n  question \"q\"\n  default v69\n" +
                     "fact several: set of {" + values("s", 70) + "}\n  question \"q\"\n  default {s0, s65}\n" +
                     "rule r: many = v66 or many in {v1, v67} or several has any {s68} or s69 in several -> avoid t\n"
                     "  reason \"r\"\n  sources \"001\"\n"
                     "technique t\n  title \"t\"\n  phase warm_up\n  instructions \"i\"\n  dose \"d\"\n  sources \"001\"\n";
  LoadResult loaded = load_ruleset_from_texts({{"a.rules", text}, {"plan.rules", plan_rules}});
  std::string rendered = render_all(loaded.diagnostics, *loaded.sources);
  INFO(rendered);
  CHECK(loaded.ruleset == nullptr);
  CHECK(rendered.find("`many` has 70 values; at most 64 are allowed") != std::string::npos);
  CHECK(rendered.find("`several` has 70 values; at most 64 are allowed") != std::string::npos);
}

TEST_CASE("many listed values and a long condition are checked in linear time", "[check][limits]") {
  // 100,000 values: the duplicate check was quadratic.
  std::string text = "fact huge: enum {" + values("v", 100000) + "}\n  question \"q\"\n";
  auto start = std::chrono::steady_clock::now();
  LoadResult loaded = load_ruleset_from_texts({{"a.rules", text}, {"plan.rules", plan_rules}});
  CHECK(seconds_since(start) < time_budget(5.0));
  REQUIRE_FALSE(loaded.diagnostics.empty());
  CHECK(loaded.diagnostics[0].message.find("at most 64") != std::string::npos);
}

}  // namespace triage

namespace triage {

using test::seconds_since;
using test::time_budget;

TEST_CASE("a condition of more than 1000 terms is refused at once; 1000 terms check quickly", "[check][limits]") {
  auto rule_with = [](int terms, const char* op) {
    std::string condition;
    for (int i = 0; i < terms; ++i) condition += (i == 0 ? "" : std::string(" ") + op + " ") + "pain > " + std::to_string(i % 10);
    return "fact pain: int 0..10\n  question \"q\"\n"
           "rule long: " + condition + " -> avoid t\n  reason \"r\"\n  sources \"001\"\n"
           "technique t\n  title \"t\"\n  phase warm_up\n  instructions \"i\"\n  dose \"d\"\n  sources \"001\"\n";
  };
  for (const char* op : {"and", "or"}) {
    auto start = std::chrono::steady_clock::now();
    LoadResult refused = load_ruleset_from_texts({{"a.rules", rule_with(10000, op)}, {"plan.rules", plan_rules}});
    CHECK(seconds_since(start) < time_budget(1.0));
    REQUIRE(refused.diagnostics.size() == 1);
    CHECK(refused.diagnostics[0].message == "the declaration has more than 1000 `and`/`or` terms");
    CHECK(refused.diagnostics[0].location.line == 3);

    start = std::chrono::steady_clock::now();
    LoadResult accepted = load_ruleset_from_texts({{"a.rules", rule_with(1000, op)}, {"plan.rules", plan_rules}});
    INFO(render_all(accepted.diagnostics, *accepted.sources));
    CHECK(accepted.ruleset != nullptr);
    CHECK(seconds_since(start) < time_budget(5.0));
  }
}

}  // namespace triage
