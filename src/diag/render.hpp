#pragma once
// The one place diagnostics become text or JSON. Text is what clinicians read:
//   file:line:column: error[code]: message
//     the source line
//     ^ under the column
//   hint: ...
#include <string>

#include "diag/diagnostic.hpp"

namespace triage {

class JsonWriter;
struct JsonValue;
class SourceSet;

// Renders one diagnostic; the source line and caret are shown when the file is in `sources`.
std::string render(const Diagnostic& diagnostic, const SourceSet& sources);

// Renders all diagnostics, each followed by a blank line, then a summary line.
std::string render_all(const Diagnostics& diagnostics, const SourceSet& sources);

// Writes one diagnostic's JSON members: code, severity, file, line, column, message,
// hint (when set).
void write_diagnostic(JsonWriter& writer, const Diagnostic& diagnostic);

// Reads what write_diagnostic wrote; false when a member is missing or of the wrong kind, the
// severity is unknown or the code is not in diag/codes.hpp.
bool read_diagnostic(const JsonValue& object, Diagnostic& out);

// Renders diagnostics as a JSON array (for `--format json`).
std::string render_json(const Diagnostics& diagnostics);

}  // namespace triage
