// Fuzz target: a rule file through the parser, the checker and the compiler (beside the shipped
// plan), and the formatter's round trip: a file that formats must format to itself again and mean
// the same (the same diagnostics-free load, the same ruleset shape).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fmt/format.hpp"
#include "ruleset/loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  triage::LoadResult alone = triage::load_ruleset_from_texts({{"fuzz.rules", text}});
  triage::SourceFile source("fuzz.rules", text);
  triage::FormatResult formatted = triage::format_rules(source);
  if (formatted.diagnostics.empty()) {
    triage::SourceFile again_source("fuzz.rules", formatted.text);
    triage::FormatResult again = triage::format_rules(again_source);
    if (!again.diagnostics.empty() || again.text != formatted.text) std::abort();  // not idempotent
    triage::LoadResult reformatted = triage::load_ruleset_from_texts({{"fuzz.rules", formatted.text}});
    if ((alone.ruleset == nullptr) != (reformatted.ruleset == nullptr)) std::abort();  // meaning changed
    if (alone.ruleset != nullptr) {
      const auto& a = *alone.ruleset->model;
      const auto& b = *reformatted.ruleset->model;
      if (a.facts.size() != b.facts.size() || a.rules.size() != b.rules.size() ||
          a.red_flags.size() != b.red_flags.size() || a.techniques.size() != b.techniques.size()) {
        std::abort();
      }
    }
  }
  return 0;
}
