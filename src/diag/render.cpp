#include "diag/render.hpp"

#include <sstream>

#include "diag/source_set.hpp"
#include "util/json_text.hpp"

namespace triage {

std::string render(const Diagnostic& d, const SourceSet& sources) {
  std::ostringstream out;
  out << d.location.file << ':' << d.location.line << ':' << d.location.column << ": "
      << to_string(d.severity) << ": " << d.message << '\n';
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

std::string render_json(const Diagnostics& diagnostics) {
  std::string out = "[";
  bool first = true;
  for (const auto& d : diagnostics) {
    if (!first) out += ',';
    first = false;
    out += "{\"severity\":" + json_quote(to_string(d.severity)) + ",\"file\":" + json_quote(d.location.file) +
           ",\"line\":" + std::to_string(d.location.line) + ",\"column\":" + std::to_string(d.location.column) +
           ",\"message\":" + json_quote(d.message);
    if (!d.hint.empty()) out += ",\"hint\":" + json_quote(d.hint);
    out += '}';
  }
  out += "]";
  return out;
}

}  // namespace triage
