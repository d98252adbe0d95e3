#include "util/suggest.hpp"

#include <algorithm>

namespace triage {
namespace {

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
// neighbouring letters (the commonest typo) each cost one. Three rows, not a matrix: time
// |a|·|b|, memory |b|.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> before(b.size() + 1), previous(b.size() + 1), row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        row[j] = std::min(row[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, row);
  }
  return previous[b.size()];
}

// Words longer than this get no suggestion: nobody mistypes a name that long, and comparing a
// client's megabyte of text with every name would take long.
constexpr std::size_t max_suggested_length = 256;

}  // namespace

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = 0;
  if (word.size() > max_suggested_length) return {};
  // Short words may have one slip, longer ones two or a third of their letters; never the whole word.
  std::size_t allowed = word.size() <= 4 ? 1 : std::max<std::size_t>(2, word.size() / 3);
  for (const auto& candidate : candidates) {
    // The distance is at least the difference in length: skip candidates that cannot match.
    std::size_t gap = candidate.size() > word.size() ? candidate.size() - word.size() : word.size() - candidate.size();
    if (gap > allowed) continue;
    std::size_t distance = edit_distance(word, candidate);
    if (best.empty() || distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  if (best.empty() || best_distance > allowed || best_distance >= word.size()) return {};
  return best;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string match = closest_match(word, candidates);
  return match.empty() ? std::string{} : "did you mean `" + match + "`?";
}

std::string suggest_or_list(std::string_view word, const std::vector<std::string>& candidates) {
  std::string hint = did_you_mean(word, candidates);
  if (!hint.empty() || candidates.empty() || candidates.size() > 12) return hint;
  std::string list;
  for (const auto& candidate : candidates) list += (list.empty() ? "" : ", ") + candidate;
  return "expected one of: " + list;
}

}  // namespace triage
