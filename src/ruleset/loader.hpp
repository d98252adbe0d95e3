#pragma once
// Loads a ruleset folder: every *.rules file in sorted order, parsed, checked, compiled and hashed.
#include <filesystem>
#include <memory>
#include <string>

#include "check/checker.hpp"
#include "compile/compiled.hpp"
#include "diag/diagnostic.hpp"
#include "diag/source_set.hpp"

namespace triage {

struct LoadResult {
  std::shared_ptr<const CompiledRuleset> ruleset;  // null when there are errors
  Diagnostics diagnostics;                         // syntax errors, or else semantic ones
  std::shared_ptr<SourceSet> sources;              // for rendering the diagnostics
  Diagnostics advisories;                          // warnings that do not stop serving (readability)
  // Every file's syntax tree (what parsed, even when others did not), sources pointing into
  // `sources`: editor tools (src/lsp/) resolve names and hover from these without parsing again.
  std::vector<ParsedFile> parsed;
};

// The files that make up the ruleset in `folder`: its regular *.rules files, sorted. `error` is
// set when the folder cannot be listed.
std::vector<std::filesystem::path> rule_file_paths(const std::string& folder, std::error_code& error);

// Reads the *.rules files of `folder` (name, text). False with `error` and a `hint` when the folder
// is missing, unreadable or holds no rule files.
bool read_rules_folder(const std::string& folder, std::vector<std::pair<std::string, std::string>>& files,
                       std::string& error, std::string& hint);

// Reads `folder`. A missing or unreadable folder, or one without rule files, is an error diagnostic.
LoadResult load_ruleset(const std::string& folder);

// Checks and compiles rule texts already in memory (file name -> text, any order; sorted here).
LoadResult load_ruleset_from_texts(std::vector<std::pair<std::string, std::string>> files,
                                   std::string tests_hash = {});

// The hash of `folder`/tests/*.cases (as ruleset_hash hashes rule files), empty when there are none.
std::string rule_tests_hash(const std::string& folder);

// "sha256:<hex>" over each file's name, '\n', decimal size, '\n' and bytes, in the given order.
std::string ruleset_hash(const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace triage
