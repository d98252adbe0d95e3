#include "model/version.hpp"

#include <vector>

namespace triage::model {
namespace {

bool is_number(const std::string& part) {
  return !part.empty() && part.find_first_not_of("0123456789") == std::string::npos;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t at = text.find(separator, start);
    parts.push_back(text.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return parts;
    start = at + 1;
  }
}

// Numbers compare by value (no leading zeros, so by length first), text by bytes, numbers first.
int compare_identifier(const std::string& a, const std::string& b) {
  bool a_number = is_number(a), b_number = is_number(b);
  if (a_number != b_number) return a_number ? -1 : 1;
  if (a_number && a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
}

struct Parts {
  std::vector<std::string> core;
  std::vector<std::string> pre_release;  // empty for a release
};

std::optional<Parts> parse(const std::string& text) {
  std::string version = text.substr(0, text.find('+'));
  if (version.size() + 1 == text.size()) return std::nullopt;  // a '+' with nothing after it
  std::size_t dash = version.find('-');
  Parts parts{split(version.substr(0, dash), '.'), {}};
  if (parts.core.size() != 3) return std::nullopt;
  for (const auto& part : parts.core) {
    if (!is_number(part) || (part.size() > 1 && part[0] == '0')) return std::nullopt;
  }
  if (dash != std::string::npos) {
    parts.pre_release = split(version.substr(dash + 1), '.');
    for (const auto& part : parts.pre_release) {
      if (part.empty()) return std::nullopt;
    }
  }
  return parts;
}

}  // namespace

bool is_semantic_version(const std::string& text) { return parse(text).has_value(); }

std::optional<int> compare_versions(const std::string& a, const std::string& b) {
  auto left = parse(a), right = parse(b);
  if (!left || !right) return std::nullopt;
  for (std::size_t i = 0; i < 3; ++i) {
    if (int order = compare_identifier(left->core[i], right->core[i]); order != 0) return order;
  }
  // A pre-release comes before its release.
  if (left->pre_release.empty() || right->pre_release.empty()) {
    if (left->pre_release.empty() == right->pre_release.empty()) return 0;
    return left->pre_release.empty() ? 1 : -1;
  }
  const auto& l = left->pre_release;
  const auto& r = right->pre_release;
  for (std::size_t i = 0; i < l.size() && i < r.size(); ++i) {
    if (int order = compare_identifier(l[i], r[i]); order != 0) return order;
  }
  return l.size() == r.size() ? 0 : (l.size() < r.size() ? -1 : 1);
}

}  // namespace triage::model
