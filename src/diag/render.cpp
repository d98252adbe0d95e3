#include "diag/render.hpp"

#include <sstream>

#include "diag/codes.hpp"
#include "diag/source_set.hpp"
#include "util/json_reader.hpp"
#include "util/json_writer.hpp"

namespace triage {

std::string render(const Diagnostic& d, const SourceSet& sources) {
  std::ostringstream out;
  out << d.location.file << ':' << d.location.line << ':' << d.location.column << ": "
      << to_string(d.severity) << '[' << d.code << "]: " << d.message << '\n';
  if (const SourceFile* file = sources.find(d.location.file)) {
    std::string_view line = file->line_text(d.location.line);
    out << "  " << line << '\n' << "  ";
    // Keep tabs so the caret lines up under tab-indented text.
    for (std::size_t i = 0; i + 1 < d.location.column && i < line.size(); ++i) {
      out << (line[i] == '\t' ? '\t' : ' ');
    }
    out << "^\n";
  }
  if (!d.hint.empty()) out << "  hint: " << d.hint << '\n';
  return out.str();
}

std::string render_all(const Diagnostics& diagnostics, const SourceSet& sources) {
  std::size_t errors = 0, warnings = 0;
  std::string text;
  for (const auto& d : diagnostics) {
    text += render(d, sources);
    text += '\n';
    if (d.severity == Severity::error) ++errors;
    if (d.severity == Severity::warning) ++warnings;
  }
  text += std::to_string(errors) + (errors == 1 ? " error" : " errors") + ", " + std::to_string(warnings) +
          (warnings == 1 ? " warning" : " warnings") + "\n";
  return text;
}

void write_diagnostic(JsonWriter& w, const Diagnostic& d) {
  w.string_field("code", d.code);
  w.string_field("severity", to_string(d.severity));
  w.string_field("file", d.location.file);
  w.number_field("line", static_cast<std::int64_t>(d.location.line));
  w.number_field("column", static_cast<std::int64_t>(d.location.column));
  w.string_field("message", d.message);
  if (!d.hint.empty()) w.string_field("hint", d.hint);
}

bool read_diagnostic(const JsonValue& object, Diagnostic& d) {
  std::string severity;
  long long line = 0, column = 0;
  if (!json_string(object, "code", d.code) || code::find(d.code) == nullptr || !json_string(object, "severity", severity) ||
      !severity_from_string(severity, d.severity) || !json_string(object, "file", d.location.file) ||
      !json_whole(object, "line", line) || !json_whole(object, "column", column) ||
      !json_string(object, "message", d.message)) {
    return false;
  }
  d.location.line = static_cast<std::size_t>(line);
  d.location.column = static_cast<std::size_t>(column);
  d.hint.clear();
  json_string(object, "hint", d.hint);
  return true;
}

std::string render_json(const Diagnostics& diagnostics) { return json_objects(diagnostics, write_diagnostic); }

}  // namespace triage
