#pragma once
// Turns diagnostics into the text clinicians read:
//   file:line:column: error: message
//     the source line
//     ^ under the column
//   hint: ...
#include <string>

#include "diag/diagnostic.hpp"

namespace triage {

class SourceSet;

// Renders one diagnostic; the source line and caret are shown when the file is in `sources`.
std::string render(const Diagnostic& diagnostic, const SourceSet& sources);

// Renders all diagnostics, each followed by a blank line, then a summary line.
std::string render_all(const Diagnostics& diagnostics, const SourceSet& sources);

// Renders diagnostics as a JSON array (for `--format json`).
std::string render_json(const Diagnostics& diagnostics);

}  // namespace triage
