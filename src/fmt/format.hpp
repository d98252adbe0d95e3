#pragma once
// `triage fmt`: the canonical layout of a rule file, keeping its comments. Declarations are
// printed one after another with one blank line between them, properties indented by two spaces in
// a fixed order, conditions with the fewest parentheses their meaning needs, long texts wrapped
// into adjacent strings (which the parser joins again with a space). Formatting is idempotent and
// keeps the meaning: the formatted file parses to the same rules.
#include <string>

#include "diag/diagnostic.hpp"
#include "diag/source.hpp"

namespace triage {

struct FormatResult {
  std::string text;         // the formatted file; empty when it has syntax errors
  Diagnostics diagnostics;  // syntax errors (the file is not formatted then)
};

FormatResult format_rules(const SourceFile& source);

}  // namespace triage
