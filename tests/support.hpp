#pragma once
// Helpers shared by the tests: the shipped ruleset, intakes from JSON, decisions as messages.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "api/decision_proto.hpp"
#include "audit/audit_log.hpp"
#include "compile/compiled.hpp"
#include "eval/evaluator.hpp"
#include "intake/intake.hpp"
#include "ruleset/loader.hpp"

namespace triage::test {

// A time budget measured for a Release build, scaled by TRIAGE_TEST_TIME_SCALE (the sanitizer
// build sets it, since it runs several times slower). A budget only separates linear from
// quadratic work, so a generous scale loses nothing.
double time_budget(double release_seconds);

// Seconds since `start`.
double seconds_since(std::chrono::steady_clock::time_point start);

// How many cases a heavy property test runs: `normal`, or TRIAGE_PROPERTY_CASES when set (the
// sanitizer build runs fewer).
int property_cases(int normal);

// Path below the repository root.
std::string source_path(const std::string& relative);

// Reads a whole file; fails the test when it cannot.
std::string read_file(const std::string& path);

// The shipped rules in rules/, loaded once; fails the test when they do not load.
const CompiledRuleset& shipped();

// The shipped rule files (name, text), sorted by name.
std::vector<std::pair<std::string, std::string>> shipped_rule_files();

// A fresh temporary folder (`folder`) holding a copy of the shipped rules (`rules`), for tests
// that edit them; removed with the object.
struct ShippedRulesCopy {
  explicit ShippedRulesCopy(const std::string& name);
  ~ShippedRulesCopy();
  // Rewrites a rule file: replaces the first `from` with `to`; fails the test when it is not there.
  void edit(const std::string& file, const std::string& from, const std::string& to) const;

  std::filesystem::path folder;
  std::filesystem::path rules;
};

// Runs `check(folder)` in one SECTION per case folder below `relative` (sorted); fails the test
// when there are fewer than `at_least`.
template <typename Check>
void for_each_golden_case(const std::string& relative, std::size_t at_least, Check check) {
  std::vector<std::filesystem::path> cases;
  for (const auto& entry : std::filesystem::directory_iterator(source_path(relative))) {
    if (entry.is_directory()) cases.push_back(entry.path());
  }
  std::sort(cases.begin(), cases.end());
  REQUIRE(cases.size() >= at_least);
  for (const auto& folder : cases) {
    SECTION(folder.filename().string()) { check(folder); }
  }
}

// Loads rules from in-memory texts; fails the test with the rendered diagnostics when they do not load.
std::shared_ptr<const CompiledRuleset> load_texts(std::vector<std::pair<std::string, std::string>> files);

// Answers from `{"answers": …}` JSON; fails the test on invalid input.
Answers answers_from_json(const CompiledRuleset& ruleset, const std::string& json);

// Evaluates and converts to the API message (fixed id and time, so messages compare equal).
v1::Decision decide(const CompiledRuleset& ruleset, const std::string& json);

// An Ed25519 key pair for signed audit checkpoints: the private key outside the log, the public one
// in a trusted-keys folder under the name `name`.
struct SigningKey {
  std::string private_file;
  std::string trusted_dir;
};
SigningKey make_signing_key(const std::filesystem::path& folder, const std::string& name);

// A checkpoint policy that signs with `key` every `every_records` records (and after `every`).
CheckpointPolicy checkpoints_with(const SigningKey& key, std::int64_t every_records,
                                  std::chrono::milliseconds every = std::chrono::hours(1));

}  // namespace triage::test
