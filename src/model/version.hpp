#pragma once
// Semantic versions (semver.org 2.0.0) of rulesets: what `check` accepts in a header and how a
// reload tells a newer release from a rollback.
#include <optional>
#include <string>

namespace triage::model {

// True when `text` is MAJOR.MINOR.PATCH with an optional -pre-release and +build part, numbers
// without leading zeros.
bool is_semantic_version(const std::string& text);

// Semver precedence of `a` against `b`: negative when `a` is older, 0 when equal (build metadata
// is ignored), positive when newer. Nullopt when either is not a semantic version.
std::optional<int> compare_versions(const std::string& a, const std::string& b);

}  // namespace triage::model
