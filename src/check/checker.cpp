#include "check/checker.hpp"

#include <algorithm>
#include <optional>
#include <string_view>
#include <unordered_set>

#include "check/conditions.hpp"
#include "check/context.hpp"
#include "check/governance.hpp"
#include "check/properties.hpp"
#include "util/suggest.hpp"

namespace triage {
namespace check {
namespace {

template <typename Decl>
struct Located {
  const SourceFile* file;
  const Decl* decl;
};

struct Declarations {
  std::vector<Located<ast::FactDecl>> facts;
  std::vector<Located<ast::DerivedDecl>> derived;
  std::vector<Located<ast::TagDecl>> tags;
  std::vector<Located<ast::TechniqueDecl>> techniques;
  std::vector<Located<ast::RuleDecl>> rules;
  std::vector<Located<ast::PlanDecl>> plans;
  std::vector<Located<ast::SectionDecl>> sections;
  std::vector<Located<ast::NextStepDecl>> next_steps;
};

Declarations collect(const std::vector<ParsedFile>& files) {
  Declarations all;
  for (const auto& file : files) {
    for (const auto& declaration : file.ast.declarations) {
      std::visit(
          [&](const auto& decl) {
            using T = std::decay_t<decltype(decl)>;
            if constexpr (std::is_same_v<T, ast::FactDecl>) all.facts.push_back({file.source, &decl});
            if constexpr (std::is_same_v<T, ast::DerivedDecl>) all.derived.push_back({file.source, &decl});
            if constexpr (std::is_same_v<T, ast::TagDecl>) all.tags.push_back({file.source, &decl});
            if constexpr (std::is_same_v<T, ast::TechniqueDecl>) all.techniques.push_back({file.source, &decl});
            if constexpr (std::is_same_v<T, ast::RuleDecl>) all.rules.push_back({file.source, &decl});
            if constexpr (std::is_same_v<T, ast::PlanDecl>) all.plans.push_back({file.source, &decl});
            if constexpr (std::is_same_v<T, ast::SectionDecl>) all.sections.push_back({file.source, &decl});
            if constexpr (std::is_same_v<T, ast::NextStepDecl>) all.next_steps.push_back({file.source, &decl});
          },
          declaration);
    }
  }
  return all;
}

// Registers a name; reports a duplicate with where the first one is.
bool declare(Context& context, std::map<std::string, int>& table, const ast::Identifier& name,
             const SourceFile* file, int index, const std::string& kind) {
  auto [it, inserted] = table.emplace(name.name, index);
  std::string key = kind + ":" + name.name;
  if (inserted) {
    context.declared_at[key] = context.locate({file, name.offset});
  } else {
    const auto& first = context.declared_at[key];
    context.error(code::duplicate_name, {file, name.offset}, "duplicate " + kind + " id `" + name.name + "`",
                  "the first is at " + first.file + ":" + std::to_string(first.line) + ":" +
                      std::to_string(first.column));
  }
  return inserted;
}

std::vector<std::string> values_of(const std::vector<ast::Identifier>& names) {
  std::vector<std::string> values;
  for (const auto& name : names) values.push_back(name.name);
  return values;
}

// Checks a written default against the fact's type; returns the compact value.
std::optional<model::FactValue> default_value(Context& context, const SourceFile* file, const model::Fact& fact,
                                              const ast::Value& value) {
  using Kind = ast::Value::Kind;
  auto mismatch = [&](const std::string& expected) {
    context.error(code::type_mismatch, {file, value.offset}, "the default of `" + fact.id + "` must be " + expected);
    return std::nullopt;
  };
  auto bit_of = [&](const ast::Identifier& name) -> std::optional<std::uint64_t> {
    for (std::size_t i = 0; i < fact.values.size(); ++i) {
      if (fact.values[i] != name.name) continue;
      if (i >= model::max_values) return std::nullopt;  // no bit for it: "at most 64" is reported
      return std::uint64_t{1} << i;
    }
    context.error(code::unknown_value, {file, name.offset}, "`" + name.name + "` is not a value of `" + fact.id + "`",
                  suggest_or_list(name.name, fact.values));
    return std::nullopt;
  };
  switch (fact.type) {
    case model::FactType::boolean:
      if (value.kind != Kind::boolean) return mismatch("true or false");
      return value.boolean ? 1 : 0;
    case model::FactType::integer:
      if (value.kind != Kind::integer) return mismatch("a whole number");
      if (value.integer < fact.low || value.integer > fact.high) {
        context.error(code::out_of_range, {file, value.offset}, "the default " + std::to_string(value.integer) + " of `" + fact.id +
                                                "` is outside its range " + std::to_string(fact.low) + ".." +
                                                std::to_string(fact.high));
        return std::nullopt;
      }
      return value.integer;
    case model::FactType::enumeration: {
      if (value.kind != Kind::symbol) return mismatch("one of its values");
      auto bit = bit_of(value.symbol);
      if (!bit) return std::nullopt;
      return static_cast<model::FactValue>(*bit);
    }
    case model::FactType::set: {
      if (value.kind != Kind::set) return mismatch("a set of its values in braces, like {} or {a, b}");
      std::uint64_t mask = 0;
      for (const auto& member : value.members) {
        auto bit = bit_of(member);
        if (!bit) return std::nullopt;
        mask |= *bit;
      }
      return static_cast<model::FactValue>(mask);
    }
  }
  return std::nullopt;
}

// `label VALUE "text"`: when any value has a label, every value needs one, exactly once.
void check_labels(Context& context, const SourceFile* file, model::Fact& fact,
                  const std::vector<const ast::Property*>& labels, std::size_t place) {
  if (labels.empty()) return;
  if (fact.type != model::FactType::enumeration && fact.type != model::FactType::set) {
    context.error(code::type_mismatch, {file, labels.front()->offset}, "`label` is for enum and set values; `" + fact.id + "` has none",
                  "the question itself is the label of a yes/no or number question");
    return;
  }
  fact.labels.assign(fact.values.size(), {});
  for (const auto* label : labels) {
    const auto& name = label->names.front();
    auto it = std::find(fact.values.begin(), fact.values.end(), name.name);
    if (it == fact.values.end()) {
      context.error(code::unknown_value, {file, name.offset}, "`" + name.name + "` is not a value of `" + fact.id + "`",
                    suggest_or_list(name.name, fact.values));
      continue;
    }
    auto& text = fact.labels[static_cast<std::size_t>(it - fact.values.begin())];
    if (!text.empty()) context.error(code::duplicate_value, {file, name.offset}, "`" + name.name + "` of `" + fact.id + "` has two labels");
    text = label->strings.front().text;
  }
  for (std::size_t i = 0; i < fact.values.size(); ++i) {
    if (fact.labels[i].empty()) {
      context.error(code::missing_label, {file, place}, "value `" + fact.values[i] + "` of `" + fact.id + "` has no label",
                    "a kiosk shows labels: give every value one, or none");
    }
  }
}

void check_fact(Context& context, Located<ast::FactDecl> located) {
  const auto& decl = *located.decl;
  const SourceFile* file = located.file;
  model::Fact fact;
  fact.id = decl.name.name;
  fact.location = context.locate({file, decl.name.offset});
  fact.type = static_cast<model::FactType>(decl.type.kind);
  fact.low = decl.type.low;
  fact.high = decl.type.high;
  fact.values = values_of(decl.type.values);
  constexpr std::int64_t exact_limit = 9007199254740991;  // 2^53 - 1: answers arrive as JSON numbers
  if (fact.type == model::FactType::integer &&
      (fact.low < -exact_limit || fact.high > exact_limit)) {
    context.error(code::limit_exceeded, {file, decl.type.offset}, "the range of `" + fact.id + "` must lie within -" +
                                                std::to_string(exact_limit) + ".." + std::to_string(exact_limit),
                  "answers arrive as JSON numbers, which are exact only up to 2^53");
  }
  if (fact.type == model::FactType::integer && fact.low > fact.high) {
    context.error(code::empty_type, {file, decl.type.offset}, "the range of `" + fact.id + "` is empty: " + std::to_string(fact.low) +
                                                " is greater than " + std::to_string(fact.high));
  }
  if (fact.type == model::FactType::enumeration || fact.type == model::FactType::set) {
    if (fact.values.empty()) context.error(code::empty_type, {file, decl.type.offset}, "`" + fact.id + "` has no values");
    if (fact.values.size() > model::max_values) {
      context.error(code::limit_exceeded, {file, decl.type.offset}, "`" + fact.id + "` has " + std::to_string(fact.values.size()) +
                                                  " values; at most " + std::to_string(model::max_values) +
                                                  " are allowed");
    }
    std::unordered_set<std::string_view> seen;  // linear: a file may list very many values
    for (std::size_t i = 0; i < decl.type.values.size(); ++i) {
      if (!seen.insert(fact.values[i]).second) {
        context.error(code::duplicate_value, {file, decl.type.values[i].offset},
                      "`" + fact.values[i] + "` is listed twice in `" + fact.id + "`");
      }
    }
  }
  Properties properties(decl.properties, language::Decl::fact, context, file, decl.name.offset,
                        "fact `" + fact.id + "`");
  fact.question = properties.text("question");
  fact.help = properties.text("help");
  check_labels(context, file, fact, properties.all("label"), decl.name.offset);
  if (const auto* property = properties.find("min_choices")) {
    if (fact.type != model::FactType::set) {
      context.error(code::type_mismatch, {file, property->offset}, "`min_choices` is for set facts; `" + fact.id + "` is not a set");
    } else if (property->number < 0 || property->number > static_cast<std::int64_t>(fact.values.size())) {
      context.error(code::out_of_range, {file, property->offset}, "`min_choices` of `" + fact.id + "` must be between 0 and " +
                                                  std::to_string(fact.values.size()) + ", its number of values");
    } else {
      fact.min_choices = static_cast<int>(property->number);
    }
  }
  if (const auto* property = properties.find("default")) {
    fact.default_value = default_value(context, file, fact, property->value);
  }
  context.ruleset.facts.push_back(std::move(fact));
}

void check_plan(Context& context, const Declarations& all) {
  auto& plan = context.ruleset.plan;
  if (all.plans.empty()) {
    const SourceFile* file = nullptr;
    if (!all.facts.empty()) file = all.facts.front().file;
    context.error_at(code::missing_declaration, file != nullptr ? file->locate(0) : SourceLocation{"(ruleset)", 1, 1},
                     "the ruleset has no `plan` declaration",
                     "add one: plan / phases warm_up, release, ... (see docs/rule-language.md)");
    return;
  }
  for (std::size_t i = 1; i < all.plans.size(); ++i) {
    const auto& first = all.plans.front();
    auto location = first.file->locate(first.decl->offset);
    context.error(code::duplicate_declaration, {all.plans[i].file, all.plans[i].decl->offset}, "a ruleset has one `plan`; this is a second",
                  "the first is at " + location.file + ":" + std::to_string(location.line));
  }
  const auto& located = all.plans.front();
  const SourceFile* file = located.file;
  const auto& decl = *located.decl;
  plan.location = context.locate({file, decl.offset});
  Properties properties(decl.properties, language::Decl::plan, context, file, decl.offset, "the plan");
  if (const auto* phases = properties.find("phases")) {
    for (const auto& name : phases->names) {
      if (declare(context, context.phase_index, name, file, static_cast<int>(plan.phases.size()), "phase")) {
        plan.phases.push_back(name.name);
      }
    }
  }
  plan.targeted.assign(plan.phases.size(), false);
  auto phase_of = [&](const ast::Identifier& name) -> int {
    auto it = context.phase_index.find(name.name);
    if (it != context.phase_index.end()) return it->second;
    context.error(code::unknown_phase, {file, name.offset}, "unknown phase `" + name.name + "`",
                  suggest_or_list(name.name, plan.phases));
    return -1;
  };
  if (const auto* targeted = properties.find("targeted")) {
    for (const auto& name : targeted->names) {
      int phase = phase_of(name);
      if (phase >= 0) plan.targeted[phase] = true;
    }
  }
  for (const auto* require : properties.all("require")) {
    int needed = phase_of(require->names[0]);
    int trigger = phase_of(require->names[1]);
    if (needed >= 0 && trigger >= 0) {
      // The exempt techniques are resolved once techniques are known (check_requirement_exemptions).
      plan.requirements.push_back({needed, trigger, {}});
    }
  }
  auto positive = [&](const char* key, int& out) {
    if (const auto* property = properties.find(key)) {
      if (property->number < 1 || property->number > 1000) {
        context.error(code::out_of_range, {file, property->offset}, std::string("`") + key + "` must be between 1 and 1000");
      } else {
        out = static_cast<int>(property->number);
      }
    }
  };
  positive("max_per_phase", plan.max_per_phase);
  positive("max_total", plan.max_total);
  auto set_fact = [&](const char* key, int& out) {
    const auto* property = properties.find(key);
    if (property == nullptr) return;
    const auto& name = property->names.front();
    if (property->names.size() > 1) {
      context.error(code::invalid_property, {file, property->names[1].offset}, std::string("`") + key + "` names one fact");
    }
    auto it = context.fact_index.find(name.name);
    if (it == context.fact_index.end()) {
      context.error(code::unknown_fact, {file, name.offset}, "unknown fact `" + name.name + "`",
                    suggest_or_list(name.name, context.fact_ids()));
    } else if (context.ruleset.facts[it->second].type != model::FactType::set) {
      context.error(code::type_mismatch, {file, name.offset}, std::string("`") + key + "` must name a set fact; `" + name.name +
                                             "` is not a set");
    } else {
      out = it->second;
    }
  };
  set_fact("equipment_fact", plan.equipment_fact);
  set_fact("area_fact", plan.area_fact);
  plan.reason = properties.text("reason");
  plan.sources = properties.sources();
  plan.frequency = properties.text("frequency");
  plan.review = properties.text("review");
  // One `safety_net` per line a patient reads: a line ending in ':' says what to do, the lines
  // after it are the signs (SPEC.md version 3: a short list, grouped by what to do).
  for (const auto* line : properties.all("safety_net")) {
    if (line->strings.empty()) continue;
    if (!plan.safety_net.empty()) plan.safety_net += '\n';
    plan.safety_net += line->strings.front().text;
  }
}

// `require A whenever B except X, Y`: X and Y are techniques of phase B.
void check_requirement_exemptions(Context& context, const Declarations& all) {
  if (all.plans.empty()) return;
  const SourceFile* file = all.plans.front().file;
  auto& plan = context.ruleset.plan;
  std::size_t next = 0;
  for (const auto& property : all.plans.front().decl->properties) {
    if (property.key != "require") continue;
    // Requirements whose phases did not resolve were not recorded; match them by their phases.
    auto needed = context.phase_index.find(property.names[0].name);
    auto trigger = context.phase_index.find(property.names[1].name);
    if (needed == context.phase_index.end() || trigger == context.phase_index.end()) continue;
    if (next >= plan.requirements.size()) break;
    auto& requirement = plan.requirements[next++];
    for (std::size_t i = 2; i < property.names.size(); ++i) {
      const auto& name = property.names[i];
      auto it = context.technique_index.find(name.name);
      if (it == context.technique_index.end()) {
        context.error(code::unknown_technique, {file, name.offset}, "unknown technique `" + name.name + "`",
                      suggest_or_list(name.name, context.names_of(context.technique_index)));
      } else if (context.ruleset.techniques[it->second].phase != requirement.trigger) {
        context.error(code::invalid_property, {file, name.offset}, "`" + name.name + "` is not in phase `" + property.names[1].name +
                                               "`, so the requirement never applies to it");
      } else {
        requirement.exempt.push_back(it->second);
      }
    }
  }
}

// `section ID`: a title and the declared facts it shows; every declared fact in exactly one section
// once any section exists.
void check_sections(Context& context, const Declarations& all) {
  auto& ruleset = context.ruleset;
  std::map<std::string, int> section_index;
  for (const auto& located : all.sections) {
    const auto& decl = *located.decl;
    const SourceFile* file = located.file;
    int index = static_cast<int>(ruleset.sections.size());
    if (!declare(context, section_index, decl.name, file, index, "section")) continue;
    Properties properties(decl.properties, language::Decl::section, context, file, decl.name.offset,
                          "section `" + decl.name.name + "`");
    model::Section section{decl.name.name, properties.text("title"), properties.text("intro"), {},
                           context.locate({file, decl.name.offset})};
    if (const auto* facts = properties.find("facts")) {
      for (const auto& name : facts->names) {
        auto it = context.fact_index.find(name.name);
        if (it == context.fact_index.end()) {
          context.error(code::unknown_fact, {file, name.offset}, "unknown fact `" + name.name + "`",
                        suggest_or_list(name.name, context.fact_ids()));
          continue;
        }
        auto& fact = ruleset.facts[it->second];
        if (fact.derived) {
          context.error(code::section_membership, {file, name.offset}, "`" + name.name + "` is a derived fact; a kiosk does not ask it");
        } else if (fact.section >= 0) {
          context.error(code::section_membership, {file, name.offset}, "`" + name.name + "` is already in section `" +
                                                 ruleset.sections[fact.section].id + "`",
                        "a question is shown on one screen");
        } else {
          fact.section = index;
          section.facts.push_back(it->second);
        }
      }
    }
    ruleset.sections.push_back(std::move(section));
  }
  if (ruleset.sections.empty()) return;
  for (const auto& fact : ruleset.facts) {
    if (!fact.derived && fact.section < 0) {
      context.error_at(code::section_membership, fact.location, "fact `" + fact.id + "` is in no section",
                       "list it in the `facts` of one section, so a kiosk shows it");
    }
  }
}

// The tier named in `refer TIER` or `next_step TIER`.
std::optional<model::Tier> tier_of(Context& context, const SourceFile* file, const ast::Identifier& name) {
  for (std::size_t i = 0; i < language::tier_names.size(); ++i) {
    if (name.name == language::tier_names[i]) return static_cast<model::Tier>(i + 1);
  }
  context.error(code::unknown_urgency, {file, name.offset}, "unknown urgency `" + name.name + "`", "use emergency, urgent or routine");
  return std::nullopt;
}

// `next_step TIER`: at most one per tier.
void check_next_steps(Context& context, const Declarations& all) {
  for (const auto& located : all.next_steps) {
    const auto& decl = *located.decl;
    const SourceFile* file = located.file;
    auto tier = tier_of(context, file, decl.tier);
    Properties properties(decl.properties, language::Decl::next_step, context, file, decl.tier.offset,
                          "the next step for `" + decl.tier.name + "`");
    if (!tier) continue;
    auto& slot = context.ruleset.next_steps[static_cast<int>(*tier)];
    if (slot) {
      context.error(code::duplicate_declaration, {file, decl.tier.offset}, "`" + decl.tier.name + "` has a second next step",
                    "the first is at " + slot->location.file + ":" + std::to_string(slot->location.line));
      continue;
    }
    slot = model::NextStep{properties.text("action"), properties.text("meanwhile"), properties.text("escalate"),
                           properties.sources(), context.locate({file, decl.tier.offset})};
  }
}

// Bits of the values of a set fact named in a technique (`needs`, `targets`).
std::uint64_t value_bits(Context& context, const SourceFile* file, const ast::Property* property, int fact_index,
                         const char* what) {
  if (property == nullptr || fact_index < 0) return 0;
  const auto& fact = context.ruleset.facts[fact_index];
  std::uint64_t bits = 0;
  for (const auto& name : property->names) {
    auto it = std::find(fact.values.begin(), fact.values.end(), name.name);
    if (it == fact.values.end()) {
      std::string hint = suggest_or_list(name.name, fact.values);
      context.error(code::unknown_value, {file, name.offset}, "`" + name.name + "` is not " + what + " (a value of `" + fact.id + "`)",
                    hint);
      continue;
    }
    auto position = static_cast<std::size_t>(it - fact.values.begin());
    if (position < model::max_values) bits |= std::uint64_t{1} << position;  // beyond: "at most 64" is reported
  }
  return bits;
}

void check_technique(Context& context, Located<ast::TechniqueDecl> located) {
  const auto& decl = *located.decl;
  const SourceFile* file = located.file;
  model::Technique technique;
  technique.id = decl.name.name;
  technique.location = context.locate({file, decl.name.offset});
  Properties properties(decl.properties, language::Decl::technique, context, file, decl.name.offset,
                        "technique `" + technique.id + "`");
  technique.title = properties.text("title");
  technique.benefit = properties.text("benefit");
  technique.instructions = properties.text("instructions");
  technique.dose = properties.text("dose");
  technique.sources = properties.sources();
  for (const auto* caution : properties.all("caution")) technique.cautions.push_back(caution->strings.front().text);
  if (const auto* phase = properties.find("phase")) {
    const auto& name = phase->names.front();
    auto it = context.phase_index.find(name.name);
    if (it == context.phase_index.end()) {
      context.error(code::unknown_phase, {file, name.offset}, "unknown phase `" + name.name + "`",
                    suggest_or_list(name.name, context.ruleset.plan.phases));
    } else {
      technique.phase = it->second;
    }
  }
  if (const auto* tags = properties.find("tags")) {
    for (const auto& name : tags->names) {
      auto it = context.tag_index.find(name.name);
      if (it == context.tag_index.end()) {
        context.error(code::unknown_tag, {file, name.offset}, "unknown tag `" + name.name + "`",
                      suggest_or_list(name.name, context.names_of(context.tag_index)));
      } else {
        technique.tags.push_back(it->second);
      }
    }
  }
  const auto& plan = context.ruleset.plan;
  technique.needs = value_bits(context, file, properties.find("needs"), plan.equipment_fact, "equipment");
  technique.targets = value_bits(context, file, properties.find("targets"), plan.area_fact, "a pain area");
  if (technique.sources.empty() && properties.find("sources") != nullptr) {
    context.error(code::empty_property, {file, decl.name.offset}, "technique `" + technique.id + "` has an empty `sources`");
  }
  context.ruleset.techniques.push_back(std::move(technique));
}

model::Target resolve_target(Context& context, const SourceFile* file, const ast::Target& target) {
  using Kind = ast::Target::Kind;
  const std::map<std::string, int>* table = nullptr;
  const char* what = "";
  std::string_view unknown = code::unknown_technique;
  model::Target::Kind kind = model::Target::Kind::technique;
  switch (target.kind) {
    case Kind::technique: table = &context.technique_index; what = "technique"; break;
    case Kind::tag:
      table = &context.tag_index, what = "tag", unknown = code::unknown_tag, kind = model::Target::Kind::tag;
      break;
    case Kind::phase:
      table = &context.phase_index, what = "phase", unknown = code::unknown_phase, kind = model::Target::Kind::phase;
      break;
  }
  auto it = table->find(target.name.name);
  if (it == table->end()) {
    std::string hint;
    if (target.kind == Kind::technique && context.tag_index.count(target.name.name) != 0) {
      hint = "`" + target.name.name + "` is a tag: write `tag " + target.name.name + "`";
    } else if (target.kind == Kind::technique && context.phase_index.count(target.name.name) != 0) {
      hint = "`" + target.name.name + "` is a phase: write `phase " + target.name.name + "`";
    } else {
      hint = suggest_or_list(target.name.name, context.names_of(*table));
    }
    context.error(unknown, {file, target.name.offset}, std::string("unknown ") + what + " `" + target.name.name + "`", hint);
    return {};
  }
  return {kind, it->second};
}

void check_rule(Context& context, Located<ast::RuleDecl> located) {
  const auto& decl = *located.decl;
  const SourceFile* file = located.file;
  const std::string what = (decl.red_flag ? "red flag `" : "rule `") + decl.name.name + "`";
  Properties properties(decl.properties, decl.red_flag ? language::Decl::red_flag : language::Decl::rule, context,
                        file, decl.name.offset, what);
  model::Cond condition = resolve_condition(decl.condition, context, file);
  std::size_t size = expanded_size(context.ruleset, condition);
  if (size > max_expanded_size) {
    context.error(code::limit_exceeded, {file, decl.name.offset},
                  what + " expands to more than " + std::to_string(max_expanded_size) +
                      " tests once its derived facts are written out",
                  "derived facts that use each other several times multiply; simplify them");
    condition = model::Cond{};
  }
  if (decl.red_flag) {
    model::RedFlag flag;
    flag.id = decl.name.name;
    flag.location = context.locate({file, decl.name.offset});
    flag.condition = std::move(condition);
    flag.reason = properties.text("reason");
    flag.sources = properties.sources();
    flag.meta = rule_meta(context, file, properties);
    for (std::size_t i = 0; i < decl.effects.size(); ++i) {
      const auto& effect = decl.effects[i];
      if (effect.kind != ast::Effect::Kind::refer) {
        context.error(code::invalid_effect, {file, effect.offset}, "a red flag refers; use `rule` for suitability effects",
                      "write `-> refer emergency`, `-> refer urgent` or `-> refer routine`");
      } else if (i > 0) {
        context.error(code::invalid_effect, {file, effect.offset}, "a red flag refers once");
      } else if (auto tier = tier_of(context, file, effect.tier)) {
        flag.tier = *tier;
      }
    }
    context.ruleset.red_flags.push_back(std::move(flag));
    return;
  }
  model::Rule rule;
  rule.id = decl.name.name;
  rule.location = context.locate({file, decl.name.offset});
  rule.condition = std::move(condition);
  rule.reason = properties.text("reason");
  rule.sources = properties.sources();
  rule.meta = rule_meta(context, file, properties);
  const auto& techniques = context.ruleset.techniques;
  for (const auto& effect : decl.effects) {
    model::Effect resolved;
    switch (effect.kind) {
      case ast::Effect::Kind::refer:
        context.error(code::invalid_effect, {file, effect.offset}, "only a red flag can refer", "declare it with `red_flag " + rule.id + ": …`");
        continue;
      case ast::Effect::Kind::avoid:
        resolved.kind = model::Effect::Kind::avoid;
        resolved.first = resolve_target(context, file, effect.first);
        break;
      case ast::Effect::Kind::include:
        resolved.kind = model::Effect::Kind::include;
        if (effect.first.kind != ast::Target::Kind::technique) {
          context.error(code::invalid_effect, {file, effect.first.name.offset}, "`include` names one technique, not a tag or a phase");
          continue;
        }
        resolved.first = resolve_target(context, file, effect.first);
        break;
      case ast::Effect::Kind::order:
        resolved.kind = model::Effect::Kind::order;
        resolved.first = resolve_target(context, file, effect.first);
        resolved.second = resolve_target(context, file, effect.second);
        if (effect.first.kind != effect.second.kind) {
          context.error(code::invalid_effect, {file, effect.offset}, "`order` needs the same kind on both sides",
                        "write two techniques (`order a before b`) or two phases (`order phase a before phase b`)");
        } else if (effect.first.kind == ast::Target::Kind::tag) {
          context.error(code::invalid_effect, {file, effect.offset}, "`order` compares two techniques or two phases, not tags");
        } else if (resolved.first.kind == model::Target::Kind::technique &&
                   resolved.second.kind == model::Target::Kind::technique &&
                   techniques[resolved.first.index].phase != techniques[resolved.second.index].phase) {
          context.error(code::invalid_effect, {file, effect.offset},
                        "`" + techniques[resolved.first.index].id + "` and `" + techniques[resolved.second.index].id +
                            "` are in different phases; techniques are ordered within a phase",
                        "order the phases instead: `order phase A before phase B`");
        }
        break;
      case ast::Effect::Kind::caution:
        resolved.kind = model::Effect::Kind::caution;
        if (effect.has_target) resolved.first = resolve_target(context, file, effect.first);
        break;
    }
    rule.effects.push_back(resolved);
  }
  context.ruleset.rules.push_back(std::move(rule));
}

}  // namespace
}  // namespace check

CheckResult check_rules(const std::vector<ParsedFile>& files) {
  check::Context context;
  auto& ruleset = context.ruleset;
  check::Declarations all = check::collect(files);

  // Pass 1: names and value domains, so later declarations may refer to anything in any file.
  for (const auto& fact : all.facts) {
    if (check::declare(context, context.fact_index, fact.decl->name, fact.file,
                       static_cast<int>(ruleset.facts.size()), "fact")) {
      check::check_fact(context, fact);
    }
  }
  std::vector<std::pair<check::Located<ast::DerivedDecl>, int>> derived_facts;
  for (const auto& derived : all.derived) {
    int index = static_cast<int>(ruleset.facts.size());
    if (!check::declare(context, context.fact_index, derived.decl->name, derived.file, index, "fact")) continue;
    model::Fact fact;
    fact.id = derived.decl->name.name;
    fact.derived = true;
    fact.location = context.locate({derived.file, derived.decl->name.offset});
    ruleset.facts.push_back(std::move(fact));
    derived_facts.emplace_back(derived, index);
  }
  if (ruleset.facts.size() > model::max_facts) {
    context.error_at(code::limit_exceeded, ruleset.facts[model::max_facts].location,
                     "a ruleset may declare at most " + std::to_string(model::max_facts) + " facts");
  }
  for (const auto& tag : all.tags) {
    const auto& decl = *tag.decl;
    if (check::declare(context, context.tag_index, decl.name, tag.file, static_cast<int>(ruleset.tags.size()),
                       "tag")) {
      ruleset.tags.push_back({decl.name.name, decl.description.text, context.locate({tag.file, decl.name.offset})});
    }
  }
  if (ruleset.tags.size() > model::max_tags) {
    context.error_at(code::limit_exceeded, ruleset.tags[model::max_tags].location,
                     "a ruleset may declare at most " + std::to_string(model::max_tags) + " tags");
  }
  check::check_plan(context, all);
  for (const auto& technique : all.techniques) {
    if (check::declare(context, context.technique_index, technique.decl->name, technique.file,
                       static_cast<int>(ruleset.techniques.size()), "technique")) {
      check::check_technique(context, technique);
    }
  }

  if (ruleset.techniques.size() > model::max_techniques) {
    context.error_at(code::limit_exceeded, ruleset.techniques[model::max_techniques].location,
                     "a ruleset may declare at most " + std::to_string(model::max_techniques) + " techniques");
  }

  check::check_requirement_exemptions(context, all);
  check::check_sections(context, all);
  check::check_next_steps(context, all);

  // Pass 2: conditions and effects.
  for (const auto& [derived, index] : derived_facts) {
    auto& fact = ruleset.facts[index];
    check::Properties properties(derived.decl->properties, language::Decl::derived, context, derived.file,
                                 derived.decl->name.offset, "derived fact `" + fact.id + "`");
    fact.meaning = properties.text("meaning");
    fact.definition = check::resolve_condition(derived.decl->condition, context, derived.file);
  }
  check::check_derived_cycles(context);
  std::map<std::string, int> rule_ids;
  for (const auto& rule : all.rules) {
    if (check::declare(context, rule_ids, rule.decl->name, rule.file, static_cast<int>(rule_ids.size()),
                       "rule or red flag")) {
      check::check_rule(context, rule);
    }
  }
  check::check_governance(context, files);
  CheckResult result{std::move(context.ruleset), context.take_diagnostics()};
  std::stable_sort(result.diagnostics.begin(), result.diagnostics.end(), [](const auto& a, const auto& b) {
    if (a.location.file != b.location.file) return a.location.file < b.location.file;
    if (a.location.line != b.location.line) return a.location.line < b.location.line;
    return a.location.column < b.location.column;
  });
  return result;
}

}  // namespace triage
