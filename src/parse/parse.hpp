#pragma once
// The parsing interface: the only way into the Spirit grammar.
#include "diag/diagnostic.hpp"
#include "diag/source.hpp"
#include "parse/ast.hpp"

namespace triage {

struct ParseResult {
  ast::RuleFile file;        // every declaration that parsed, even when others did not
  Diagnostics diagnostics;   // one error per syntax problem; parsing resumes at the next declaration
};

// Parses one rule file. Never throws for bad input; all syntax errors of the file are reported.
ParseResult parse_rules(const SourceFile& source);

// The words that can start a declaration or a property; used for "did you mean" hints.
const std::vector<std::string>& language_keywords();

}  // namespace triage
