#include "support.hpp"

#include <algorithm>
#include <cstdlib>

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "diag/render.hpp"

namespace triage::test {

std::string source_path(const std::string& relative) { return std::string(TRIAGE_SOURCE_DIR) + "/" + relative; }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  INFO("reading " << path);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const CompiledRuleset& shipped() {
  static LoadResult loaded = load_ruleset(source_path("rules"));
  INFO(render_all(loaded.diagnostics, *loaded.sources));
  REQUIRE(loaded.ruleset != nullptr);
  return *loaded.ruleset;
}

ShippedRulesCopy::ShippedRulesCopy(const std::string& name)
    : folder(std::filesystem::temp_directory_path() / ("triage-" + name + "-" + new_decision_id())),
      rules(folder / "rules") {
  std::filesystem::create_directories(rules);
  for (const auto& [file, text] : shipped_rule_files()) std::ofstream(rules / file, std::ios::binary) << text;
}

ShippedRulesCopy::~ShippedRulesCopy() {
  std::error_code ignored;
  std::filesystem::remove_all(folder, ignored);
}

void ShippedRulesCopy::edit(const std::string& file, const std::string& from, const std::string& to) const {
  std::string text = read_file((rules / file).string());
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  std::ofstream(rules / file, std::ios::binary | std::ios::trunc) << text;
}

std::vector<std::pair<std::string, std::string>> shipped_rule_files() {
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& entry : std::filesystem::directory_iterator(source_path("rules"))) {
    if (entry.path().extension() == ".rules") {
      files.emplace_back(entry.path().filename().string(), read_file(entry.path().string()));
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::shared_ptr<const CompiledRuleset> load_texts(std::vector<std::pair<std::string, std::string>> files) {
  LoadResult loaded = load_ruleset_from_texts(std::move(files));
  INFO(render_all(loaded.diagnostics, *loaded.sources));
  REQUIRE(loaded.ruleset != nullptr);
  return loaded.ruleset;
}

Answers answers_from_json(const CompiledRuleset& ruleset, const std::string& json) {
  std::vector<RawAnswer> raw;
  std::string error;
  INFO(json);
  REQUIRE(parse_intake_json(json, raw, error));
  IntakeResult intake = validate_answers(ruleset, raw);
  for (const auto& refused : intake.errors) UNSCOPED_INFO(refused.message);
  REQUIRE(intake.errors.empty());
  return intake.answers;
}

v1::Decision decide(const CompiledRuleset& ruleset, const std::string& json) {
  return to_decision_proto(ruleset, evaluate(ruleset, answers_from_json(ruleset, json)), "test", 0, "");
}

double time_budget(double release_seconds) {
  const char* scale = std::getenv("TRIAGE_TEST_TIME_SCALE");
  double factor = scale != nullptr ? std::atof(scale) : 1.0;
  return release_seconds * (factor > 0 ? factor : 1.0);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int property_cases(int normal) {
  const char* count = std::getenv("TRIAGE_PROPERTY_CASES");
  int value = count != nullptr ? std::atoi(count) : 0;
  return value > 0 ? std::min(value, normal) : normal;
}

}  // namespace triage::test
