#pragma once
// "Did you mean …?" suggestions by edit distance.
#include <string>
#include <string_view>
#include <vector>

namespace triage {

// The candidate closest to `word`, or empty when none is close enough to be a likely typo.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

// "did you mean `x`?" or empty.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

// A "did you mean" hint, or else the list of allowed names when it is short enough to read.
std::string suggest_or_list(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace triage
