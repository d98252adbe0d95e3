#include "api/decision_proto.hpp"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <chrono>
#include <random>

namespace triage {
namespace {

using model::Ruleset;

v1::Urgency to_urgency(model::Tier tier) { return static_cast<v1::Urgency>(static_cast<int>(tier)); }

void add_explanation(google::protobuf::RepeatedPtrField<v1::Explanation>* list, const std::string& rule,
                     const std::string& text, const std::vector<std::string>& sources) {
  v1::Explanation* explanation = list->Add();
  explanation->set_rule(rule);
  explanation->set_text(text);
  for (const auto& source : sources) explanation->add_sources(source);
}

void add_rule(google::protobuf::RepeatedPtrField<v1::Explanation>* list, const Ruleset& model, int rule) {
  const auto& r = model.rules[rule];
  add_explanation(list, r.id, r.reason, r.sources);
}

// A name as words: "warm_up" -> "warm up".
std::string words(std::string name) {
  for (char& c : name) c = c == '_' ? ' ' : c;
  return name;
}

// "foam roller and massage ball" from value bits of a set fact.
std::string value_words(const Ruleset& model, int fact, std::uint64_t bits) {
  std::vector<std::string> names;
  if (fact >= 0) {
    const auto& values = model.facts[fact].values;
    for (std::size_t i = 0; i < values.size(); ++i) {
      if ((bits >> i) & 1U) {
        names.push_back(words(values[i]));
      }
    }
  }
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  }
  return out;
}

void add_exclusion_reason(v1::Exclusion* exclusion, const Ruleset& model, const model::Technique& technique,
                          const ExclusionReason& reason) {
  const auto& plan = model.plan;
  auto* reasons = exclusion->mutable_reasons();
  switch (reason.kind) {
    case ExclusionReason::Kind::rule: add_rule(reasons, model, reason.rule); break;
    case ExclusionReason::Kind::missing_equipment:
      add_explanation(reasons, "plan:equipment",
                      "Needs equipment you do not have: " + value_words(model, plan.equipment_fact, reason.detail) + ".",
                      {});
      break;
    case ExclusionReason::Kind::not_targeted:
      add_explanation(reasons, "plan:targets",
                      "Works on the " + value_words(model, plan.area_fact, technique.targets) +
                          "; you did not report pain there.",
                      {});
      break;
    case ExclusionReason::Kind::phase_limit:
    case ExclusionReason::Kind::total_limit:
      add_explanation(reasons, reason.kind == ExclusionReason::Kind::phase_limit ? "plan:max_per_phase" : "plan:max_total",
                      "Left out to keep your plan short; it suits you too, so you can swap it in later.", {});
      break;
    case ExclusionReason::Kind::requirement:
      add_explanation(reasons, "plan:require",
                      "Left out because none of the " + words(plan.phases[reason.detail]) +
                          " exercises suits you today, and this works best together with them. " + plan.reason,
                      plan.sources);
      break;
  }
}


// decision.references: each cited source once, in the order the decision's JSON shows them.
void add_references(const Ruleset& model, v1::Decision& decision) {
  if (model.sources.empty()) return;
  std::vector<const std::string*> seen;
  auto cite = [&](const auto& ids) {
    for (const auto& id : ids) {
      bool known = false;
      for (const auto* s : seen) known = known || *s == id;
      if (known) continue;
      seen.push_back(&id);
      const model::Source* source = model::find_source(model, id);
      v1::Source* out = decision.add_references();
      out->set_id(id);
      if (source != nullptr) {
        out->set_title(source->title);
        out->set_url(source->url);
        out->set_document(source->document);
      }
    }
  };
  auto explained = [&](const auto& list) {
    for (const auto& e : list) cite(e.sources());
  };
  for (const auto& flag : decision.red_flags()) cite(flag.sources());
  for (const auto& item : decision.plan()) {
    explained(item.why());
    explained(item.cautions());
    cite(item.sources());
  }
  for (const auto& exclusion : decision.excluded()) explained(exclusion.reasons());
  explained(decision.cautions());
  if (decision.has_next_step()) cite(decision.next_step().sources());
  if (decision.has_schedule()) cite(decision.schedule().sources());
  if (decision.has_safety_net()) cite(decision.safety_net().sources());
}

}  // namespace

void fill_decision(const CompiledRuleset& ruleset, const Evaluation& evaluation, const std::string& decision_id,
                   std::int64_t decided_at_micros, const std::string& request_id, v1::Decision& decision) {
  const Ruleset& model = *ruleset.model;
  decision.Clear();
  decision.set_decision_id(decision_id);
  decision.set_ruleset_hash(model.hash);
  switch (evaluation.outcome) {
    case Outcome::refer: decision.set_outcome(v1::refer); break;
    case Outcome::self_care: decision.set_outcome(v1::self_care); break;
    case Outcome::incomplete: decision.set_outcome(v1::incomplete); break;
  }
  if (evaluation.urgency != model::Tier::none) decision.set_urgency(to_urgency(evaluation.urgency));
  for (int index : evaluation.red_flags) {
    const auto& flag = model.red_flags[index];
    v1::RedFlag* out = decision.add_red_flags();
    out->set_rule(flag.id);
    out->set_urgency(to_urgency(flag.tier));
    out->set_reason(flag.reason);
    for (const auto& source : flag.sources) out->add_sources(source);
  }
  for (int fact : evaluation.missing) decision.add_missing(model.facts[fact].id);
  const auto& plan = model.plan;
  for (const auto& entry : evaluation.plan) {
    const auto& technique = model.techniques[entry.technique];
    v1::PlanItem* item = decision.add_plan();
    item->set_technique(technique.id);
    item->set_title(technique.title);
    item->set_phase(plan.phases[technique.phase]);
    item->set_instructions(technique.instructions);
    item->set_dose(technique.dose);
    for (int rule : entry.include_rules) add_rule(item->mutable_why(), model, rule);
    if (plan.targeted[technique.phase] && entry.include_rules.empty()) {
      add_explanation(item->mutable_why(), "plan:targets",
                      "Works on the " + value_words(model, plan.area_fact, entry.matched_areas) +
                          ", where you have pain.",
                      technique.sources);
    } else if (entry.include_rules.empty() && technique.benefit.empty()) {
      add_explanation(item->mutable_why(), "plan:phases",
                      "Part of the " + words(plan.phases[technique.phase]) + " phase of the plan.", plan.sources);
    }
    if (!technique.benefit.empty()) {
      add_explanation(item->mutable_why(), "technique:" + technique.id, technique.benefit, technique.sources);
    }
    for (const auto& caution : technique.cautions) {
      add_explanation(item->mutable_cautions(), "technique:" + technique.id, caution, technique.sources);
    }
    for (int rule : entry.caution_rules) add_rule(item->mutable_cautions(), model, rule);
    for (const auto& source : technique.sources) item->add_sources(source);
  }
  for (const auto& exclusion : evaluation.excluded) {
    v1::Exclusion* out = decision.add_excluded();
    const auto& technique = model.techniques[exclusion.technique];
    out->set_technique(technique.id);
    for (std::uint32_t k = exclusion.first; k < exclusion.first + exclusion.count; ++k) {
      add_exclusion_reason(out, model, technique, evaluation.exclusion_reasons[k]);
    }
  }
  for (int rule : evaluation.cautions) add_rule(decision.mutable_cautions(), model, rule);
  decision.mutable_decided_at()->set_seconds(decided_at_micros / 1000000);
  decision.mutable_decided_at()->set_nanos(static_cast<std::int32_t>(decided_at_micros % 1000000) * 1000);
  decision.set_request_id(request_id);
  for (int fact : evaluation.refine) decision.add_refine(model.facts[fact].id);
  if (evaluation.outcome == Outcome::refer) {
    if (const auto& step = model.next_steps[static_cast<int>(evaluation.urgency)]) {
      v1::NextStep* out = decision.mutable_next_step();
      out->set_urgency(to_urgency(evaluation.urgency));
      out->set_action(step->action);
      out->set_meanwhile(step->meanwhile);
      out->set_escalate(step->escalate);
      for (const auto& source : step->sources) out->add_sources(source);
    }
  }
  if (evaluation.outcome == Outcome::self_care) {
    if (!plan.frequency.empty() || !plan.review.empty()) {
      v1::Schedule* schedule = decision.mutable_schedule();
      schedule->set_frequency(plan.frequency);
      schedule->set_review(plan.review);
      for (const auto& source : plan.sources) schedule->add_sources(source);
    }
    if (!plan.safety_net.empty()) {
      v1::Explanation* net = decision.mutable_safety_net();
      net->set_rule("plan:safety_net");
      net->set_text(plan.safety_net);
      for (const auto& source : plan.sources) net->add_sources(source);
    }
  }
  add_references(model, decision);
}

v1::Decision to_decision_proto(const CompiledRuleset& ruleset, const Evaluation& evaluation,
                               const std::string& decision_id, std::int64_t decided_at_micros,
                               const std::string& request_id) {
  v1::Decision decision;
  fill_decision(ruleset, evaluation, decision_id, decided_at_micros, request_id, decision);
  return decision;
}

v1::Questionnaire to_questionnaire(const CompiledRuleset& ruleset) {
  const Ruleset& model = *ruleset.model;
  const auto& tier_of = ruleset.question_tier;
  const auto& order = ruleset.question_order;
  v1::Questionnaire questionnaire;
  questionnaire.set_ruleset_hash(model.hash);
  for (int index : order) {
    const auto& fact = model.facts[index];
    v1::Question* question = questionnaire.add_questions();
    question->set_fact(fact.id);
    question->set_text(fact.question);
    static const char* type_names[] = {"bool", "int", "enum", "set"};
    question->set_type(type_names[static_cast<int>(fact.type)]);
    for (const auto& value : fact.values) question->add_values(value);
    if (fact.type == model::FactType::integer) {
      question->set_min(fact.low);
      question->set_max(fact.high);
    }
    if (fact.type == model::FactType::set) {
      question->set_min(fact.min_choices);
      question->set_max(static_cast<std::int64_t>(fact.values.size()));
    }
    if (fact.section >= 0) question->set_section(model.sections[fact.section].id);
    question->set_help(fact.help);
    for (std::size_t i = 0; i < fact.labels.size(); ++i) {
      v1::ValueLabel* label = question->add_labels();
      label->set_value(fact.values[i]);
      label->set_label(fact.labels[i]);
    }
    if (fact.default_value) {
      auto value = static_cast<std::uint64_t>(*fact.default_value);
      google::protobuf::Value* out = question->mutable_default_();
      switch (fact.type) {
        case model::FactType::boolean: out->set_bool_value(*fact.default_value != 0); break;
        case model::FactType::integer: out->set_number_value(static_cast<double>(*fact.default_value)); break;
        case model::FactType::enumeration:
          for (std::size_t i = 0; i < fact.values.size(); ++i) {
            if ((value >> i) & 1U) out->set_string_value(fact.values[i]);
          }
          break;
        case model::FactType::set: {
          auto* list = out->mutable_list_value();
          for (std::size_t i = 0; i < fact.values.size(); ++i) {
            if ((value >> i) & 1U) list->add_values()->set_string_value(fact.values[i]);
          }
          break;
        }
      }
    }
    question->set_red_flag(tier_of[index] != model::Tier::none);
    if (tier_of[index] != model::Tier::none) question->set_urgency(to_urgency(tier_of[index]));
  }
  for (const auto& section : model.sections) {
    v1::Section* out = questionnaire.add_sections();
    out->set_id(section.id);
    out->set_title(section.title);
    out->set_intro(section.intro);
    for (int fact : section.facts) out->add_facts(model.facts[fact].id);
  }
  return questionnaire;
}

std::string to_json(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  options.always_print_enums_as_ints = false;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

std::string new_decision_id() {
  thread_local std::mt19937_64 generator{std::random_device{}() ^
                                         static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count())};
  std::uint64_t high = generator();
  std::uint64_t low = generator();
  high = (high & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  low = (low & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;    // RFC 4122 variant
  char buffer[37];
  std::snprintf(buffer, sizeof buffer, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(high >> 32),
                static_cast<unsigned>((high >> 16) & 0xffff), static_cast<unsigned>(high & 0xffff),
                static_cast<unsigned>(low >> 48), static_cast<unsigned long long>(low & 0xffffffffffffULL));
  return buffer;
}

std::int64_t now_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace triage
