#include "check/context.hpp"

namespace triage::check {

void Context::error(std::string_view code, Place place, std::string message, std::string hint) {
  diagnostics_.push_back({std::string(code), Severity::error, locate(place), std::move(message), std::move(hint)});
}

void Context::error_at(std::string_view code, SourceLocation location, std::string message, std::string hint) {
  diagnostics_.push_back({std::string(code), Severity::error, std::move(location), std::move(message), std::move(hint)});
}

SourceLocation Context::locate(Place place) const {
  return place.file != nullptr ? place.file->locate(place.offset) : SourceLocation{};
}

Diagnostics Context::take_diagnostics() { return std::move(diagnostics_); }

std::vector<std::string> Context::fact_ids() const { return names_of(fact_index); }

std::vector<std::string> Context::names_of(const std::map<std::string, int>& table) const {
  std::vector<std::string> names;
  names.reserve(table.size());
  for (const auto& [name, index] : table) names.push_back(name);
  return names;
}

}  // namespace triage::check
