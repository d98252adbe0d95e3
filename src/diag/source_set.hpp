#pragma once
// The files of a ruleset, looked up by name when rendering diagnostics.
#include <memory>
#include <string>
#include <vector>

#include "diag/source.hpp"

namespace triage {

class SourceSet {
 public:
  // Adds a file and returns a stable reference to it (valid for the SourceSet's lifetime).
  const SourceFile& add(std::string name, std::string text);
  // The file with this name, or nullptr.
  const SourceFile* find(const std::string& name) const;
  const std::vector<std::unique_ptr<SourceFile>>& files() const { return files_; }

 private:
  std::vector<std::unique_ptr<SourceFile>> files_;
};

}  // namespace triage
