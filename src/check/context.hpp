#pragma once
// Shared state of one check run: where diagnostics go and the name tables built in the first pass.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "check/checker.hpp"
#include "diag/codes.hpp"

namespace triage::check {

// A place in a rule file, before it is resolved to line and column.
struct Place {
  const SourceFile* file = nullptr;
  std::size_t offset = 0;
};

class Context {
 public:
  // Reports an error with its code (diag/codes.hpp) at a place or a resolved location.
  void error(std::string_view code, Place place, std::string message, std::string hint = {});
  void error_at(std::string_view code, SourceLocation location, std::string message, std::string hint = {});
  SourceLocation locate(Place place) const;
  Diagnostics take_diagnostics();

  model::Ruleset ruleset;
  std::map<std::string, int> fact_index;
  std::map<std::string, int> tag_index;
  std::map<std::string, int> technique_index;
  std::map<std::string, int> phase_index;
  std::map<std::string, SourceLocation> declared_at;  // "kind:name" -> first declaration
  std::vector<std::string> fact_ids() const;
  std::vector<std::string> names_of(const std::map<std::string, int>& table) const;

 private:
  Diagnostics diagnostics_;
};

}  // namespace triage::check
