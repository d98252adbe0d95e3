#include "check/properties.hpp"

#include "util/suggest.hpp"

namespace triage::check {

Properties::Properties(const std::vector<ast::Property>& properties, language::Decl kind, Context& context,
                       const SourceFile* file, std::size_t place, const std::string& what)
    : properties_(properties) {
  const std::uint16_t mask = language::bit(kind);
  std::vector<std::string> allowed;
  for (const auto& row : language::property_keys) {
    if (row.allowed & mask) allowed.emplace_back(row.key);
  }
  std::vector<std::string> seen;
  for (const auto& property : properties) {
    const language::PropertyKey* spec = language::find_property(property.key);
    if (spec != nullptr && (spec->allowed & mask) == 0) spec = nullptr;
    if (spec == nullptr) {
      std::string list;
      for (const auto& key : allowed) list += (list.empty() ? "" : ", ") + key;
      context.error(code::unknown_property, {file, property.offset}, "`" + property.key + "` is not a property of " + what,
                    "allowed here: " + list);
      continue;
    }
    bool repeated = false;
    for (const auto& key : seen) repeated = repeated || key == property.key;
    if (repeated && (spec->repeatable & mask) == 0) {
      context.error(code::duplicate_property, {file, property.offset}, "`" + property.key + "` is given twice for " + what);
    }
    seen.push_back(property.key);
    for (const auto& text : property.strings) {
      if (text.text.find_first_not_of(" \t") == std::string::npos) {
        context.error(code::empty_property, {file, text.offset}, "empty `" + property.key + "` in " + what,
                      "a patient or an auditor reads this; write the words, or remove the property");
      }
    }
  }
  for (const auto& spec : language::property_keys) {
    if ((spec.required & mask) == 0) continue;
    bool present = false;
    for (const auto& key : seen) present = present || key == spec.key;
    if (!present) {
      std::string hint;
      if (spec.key == "reason") hint = "say why, in words shown to the patient";
      if (spec.key == "sources") hint = "cite a seed (for example \"001\") or guidance by name";
      context.error(code::missing_property, {file, place}, what + " has no `" + std::string(spec.key) + "`", hint);
    }
  }
}

const ast::Property* Properties::find(const std::string& key) const {
  for (const auto& property : properties_) {
    if (property.key == key) return &property;
  }
  return nullptr;
}

std::vector<const ast::Property*> Properties::all(const std::string& key) const {
  std::vector<const ast::Property*> found;
  for (const auto& property : properties_) {
    if (property.key == key) found.push_back(&property);
  }
  return found;
}

std::string Properties::text(const std::string& key) const {
  const ast::Property* property = find(key);
  return property != nullptr && !property->strings.empty() ? property->strings.front().text : std::string{};
}

std::vector<std::string> Properties::sources() const {
  std::vector<std::string> result;
  for (const auto* property : all("sources")) {
    for (const auto& source : property->strings) result.push_back(source.text);
  }
  return result;
}

}  // namespace triage::check
