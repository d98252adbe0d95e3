#include "eval/order.hpp"

#include <algorithm>
#include <cstdint>

namespace triage {
namespace {

// The general case, for more than 64 items: the first unplaced item that no unplaced item must
// precede, again and again.
void sort_many(std::vector<int>& items, const std::vector<std::pair<int, int>>& local) {
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

}  // namespace

void stable_topological_sort(std::vector<int>& items, const std::vector<std::pair<int, int>>& edges) {
  if (edges.empty() || items.size() < 2) return;
  // Each item's position (items are small indices, each listed once; -1 when not listed).
  int largest = *std::max_element(items.begin(), items.end());
  if (largest < 0) return;
  thread_local std::vector<int> position;
  position.assign(static_cast<std::size_t>(largest) + 1, -1);
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i] >= 0) position[static_cast<std::size_t>(items[i])] = static_cast<int>(i);
  }
  auto where = [&](int item) { return item >= 0 && item <= largest ? position[static_cast<std::size_t>(item)] : -1; };
  if (items.size() > 64) {
    // Edges between two listed items, as positions; most calls have none and return here.
    thread_local std::vector<std::pair<int, int>> local;
    local.clear();
    for (const auto& [before, after] : edges) {
      int b = where(before), a = where(after);
      if (b >= 0 && a >= 0 && a != b) local.push_back({b, a});
    }
    if (!local.empty()) sort_many(items, local);
    return;
  }
  // Up to 64 items: a bit per position for the items that must come before each one.
  std::uint64_t before[64] = {};
  bool any = false;
  for (const auto& [first, second] : edges) {
    int b = where(first), a = where(second);
    if (b >= 0 && a >= 0 && a != b) {
      before[a] |= std::uint64_t{1} << b;
      any = true;
    }
  }
  if (!any) return;
  const std::size_t n = items.size();
  const std::uint64_t all = n == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1;
  std::uint64_t placed = 0;
  int result[64];
  for (std::size_t k = 0; k < n; ++k) {
    std::uint64_t open = all & ~placed;
    int chosen = -1;
    for (std::uint64_t rest = open; rest != 0; rest &= rest - 1) {
      int i = __builtin_ctzll(rest);
      if ((before[i] & ~placed) == 0) {
        chosen = i;
        break;
      }
    }
    if (chosen < 0) chosen = __builtin_ctzll(open);  // a cycle: the given order for the rest
    placed |= std::uint64_t{1} << chosen;
    result[k] = items[static_cast<std::size_t>(chosen)];
  }
  std::copy(result, result + n, items.begin());
}

}  // namespace triage
