#pragma once
// Source text of one rule file with a line index, so byte offsets kept in AST nodes can be turned
// into line/column positions and quoted back in messages.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "diag/diagnostic.hpp"

namespace triage {

class SourceFile {
 public:
  SourceFile(std::string name, std::string text);

  const std::string& name() const { return name_; }
  const std::string& text() const { return text_; }

  // Location of a byte offset (clamped to the end of the text).
  SourceLocation locate(std::size_t offset) const;

  // The text of a 1-based line without its newline; empty when out of range.
  std::string_view line_text(std::size_t line) const;

 private:
  std::string name_;
  std::string text_;
  std::vector<std::size_t> line_starts_;
};

}  // namespace triage
