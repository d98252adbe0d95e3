#pragma once
// Semantic checks: resolves names, checks types and values, and builds the checked model.
#include <vector>

#include "diag/diagnostic.hpp"
#include "diag/source_set.hpp"
#include "model/ruleset.hpp"
#include "parse/ast.hpp"

namespace triage {

// A parsed file together with its text, so offsets can be located.
struct ParsedFile {
  const SourceFile* source = nullptr;
  ast::RuleFile ast;
};

struct CheckResult {
  model::Ruleset ruleset;    // complete only when `diagnostics` has no errors
  Diagnostics diagnostics;   // every problem found, in file order
};

// Checks the files of one ruleset as a whole (declarations may refer across files).
CheckResult check_rules(const std::vector<ParsedFile>& files);

}  // namespace triage
