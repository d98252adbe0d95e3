#pragma once
// Helpers shared by the tests: the shipped ruleset, intakes from JSON, decisions as messages.
#include <memory>
#include <string>

#include "api/decision_proto.hpp"
#include "compile/compiled.hpp"
#include "eval/evaluator.hpp"
#include "intake/intake.hpp"
#include "ruleset/loader.hpp"

namespace triage::test {

// Path below the repository root.
std::string source_path(const std::string& relative);

// Reads a whole file; fails the test when it cannot.
std::string read_file(const std::string& path);

// The shipped rules in rules/, loaded once; fails the test when they do not load.
const CompiledRuleset& shipped();

// The shipped rule files (name, text), sorted by name.
std::vector<std::pair<std::string, std::string>> shipped_rule_files();

// Loads rules from in-memory texts; fails the test with the rendered diagnostics when they do not load.
std::shared_ptr<const CompiledRuleset> load_texts(std::vector<std::pair<std::string, std::string>> files);

// Answers from `{"answers": …}` JSON; fails the test on invalid input.
Answers answers_from_json(const CompiledRuleset& ruleset, const std::string& json);

// Evaluates and converts to the API message (fixed id and time, so messages compare equal).
v1::Decision decide(const CompiledRuleset& ruleset, const std::string& json);

}  // namespace triage::test
