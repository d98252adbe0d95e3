#include "eval/order.hpp"

#include <algorithm>

namespace triage {

void stable_topological_sort(std::vector<int>& items, const std::vector<std::pair<int, int>>& edges) {
  auto position = [&](int item) -> int {
    auto it = std::find(items.begin(), items.end(), item);
    return it == items.end() ? -1 : static_cast<int>(it - items.begin());
  };
  // Edges between two listed items, as positions; most calls have none and return here.
  thread_local std::vector<std::pair<int, int>> local;
  local.clear();
  for (const auto& [before, after] : edges) {
    int b = position(before), a = position(after);
    if (b >= 0 && a >= 0 && a != b) local.push_back({b, a});
  }
  if (local.empty()) return;
  thread_local std::vector<char> placed;
  thread_local std::vector<int> result;
  placed.assign(items.size(), 0);
  result.clear();
  while (result.size() < items.size()) {
    int chosen = -1;
    for (std::size_t i = 0; i < items.size() && chosen < 0; ++i) {
      if (placed[i]) continue;
      bool blocked = false;
      for (const auto& [b, a] : local) blocked = blocked || (a == static_cast<int>(i) && !placed[b]);
      if (!blocked) chosen = static_cast<int>(i);
    }
    if (chosen < 0) {  // a cycle: the given order for the rest
      for (std::size_t i = 0; i < items.size() && chosen < 0; ++i) {
        if (!placed[i]) chosen = static_cast<int>(i);
      }
    }
    placed[chosen] = 1;
    result.push_back(items[chosen]);
  }
  std::copy(result.begin(), result.end(), items.begin());
}

}  // namespace triage
