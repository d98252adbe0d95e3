#pragma once
// Shared by the libFuzzer targets: the shipped ruleset, loaded once from the source tree.
#include <cstdlib>
#include <memory>
#include <string>

#include "ruleset/loader.hpp"

namespace triage::fuzz {

// The shipped rules (TRIAGE_SOURCE_DIR/rules); aborts when they do not load, which is a broken
// build, not a finding.
inline const CompiledRuleset& shipped() {
  static std::shared_ptr<const CompiledRuleset> ruleset = [] {
    LoadResult loaded = load_ruleset(std::string(TRIAGE_SOURCE_DIR) + "/rules");
    if (!loaded.ruleset) std::abort();
    return loaded.ruleset;
  }();
  return *ruleset;
}

}  // namespace triage::fuzz
