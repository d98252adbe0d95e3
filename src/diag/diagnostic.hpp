#pragma once
// Diagnostics are values: library code reports problems through these and never prints or exits.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace triage {

enum class Severity { error, warning, note };

// A resolved position in a rule file. Lines and columns count from 1; a column counts bytes.
struct SourceLocation {
  std::string file;
  std::size_t line = 0;
  std::size_t column = 0;
};

// One problem found in a rule file: where, how bad, what, and optionally how to fix it.
// The code comes first so that no diagnostic is written without one.
struct Diagnostic {
  // What kind of problem, for tools and filters: a name from diag/codes.hpp (`unknown-fact`, …).
  std::string code;
  Severity severity = Severity::error;
  SourceLocation location;
  std::string message;
  std::string hint;  // empty when there is nothing useful to suggest
};

using Diagnostics = std::vector<Diagnostic>;

// True when any diagnostic in the list is an error.
bool has_errors(const Diagnostics& diagnostics);

const char* to_string(Severity severity);

// The severity named `name` ("error", "warning", "note"); false when it names none.
bool severity_from_string(std::string_view name, Severity& out);

}  // namespace triage
