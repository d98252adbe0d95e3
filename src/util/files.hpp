#pragma once
// Reading whole files.
#include <string>

namespace triage {

// Reads the whole file at `path` (binary); false when it cannot be opened.
bool read_text_file(const std::string& path, std::string& text);

}  // namespace triage
