#include "diag/diagnostic.hpp"

#include <algorithm>

#include "diag/source_set.hpp"

namespace triage {

bool has_errors(const Diagnostics& diagnostics) {
  return std::any_of(diagnostics.begin(), diagnostics.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::error; });
}

const char* to_string(Severity severity) {
  switch (severity) {
    case Severity::error: return "error";
    case Severity::warning: return "warning";
    case Severity::note: return "note";
  }
  return "error";
}

bool severity_from_string(std::string_view name, Severity& out) {
  for (Severity s : {Severity::error, Severity::warning, Severity::note}) {
    if (name == to_string(s)) {
      out = s;
      return true;
    }
  }
  return false;
}

const SourceFile& SourceSet::add(std::string name, std::string text) {
  files_.push_back(std::make_unique<SourceFile>(std::move(name), std::move(text)));
  return *files_.back();
}

const SourceFile* SourceSet::find(const std::string& name) const {
  for (const auto& file : files_) {
    if (file->name() == name) return file.get();
  }
  return nullptr;
}

}  // namespace triage
