#pragma once
// Orders items so that every (before, after) edge between two listed items holds, keeping the given
// order wherever the edges allow. Edges that would close a cycle are ignored (the checker reports
// ordering cycles), so the result is always a permutation of `items`.
#include <utility>
#include <vector>

namespace triage {

// In place; does nothing (and allocates nothing) when no edge joins two of the items.
void stable_topological_sort(std::vector<int>& items, const std::vector<std::pair<int, int>>& edges);

}  // namespace triage
