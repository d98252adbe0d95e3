#include "model/ruleset.hpp"

namespace triage::model {

int Ruleset::find_fact(const std::string& id) const {
  for (std::size_t i = 0; i < facts.size(); ++i) {
    if (facts[i].id == id) return static_cast<int>(i);
  }
  return -1;
}

const char* to_string(Tier tier) {
  switch (tier) {
    case Tier::emergency: return "emergency";
    case Tier::urgent: return "urgent";
    case Tier::routine: return "routine";
    case Tier::none: return "";
  }
  return "";
}

const Source* find_source(const Ruleset& ruleset, const std::string& id) {
  for (const auto& source : ruleset.sources) {
    if (source.id == id) return &source;
  }
  return nullptr;
}

}  // namespace triage::model
