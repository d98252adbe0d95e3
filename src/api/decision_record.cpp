#include "api/decision_record.hpp"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "util/json_text.hpp"

namespace triage {
namespace {

template <typename List, typename Id>
void id_list(std::string& out, const char* key, const List& items, Id id) {
  out += '"';
  out += key;
  out += "\":[";
  for (int i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += json_quote(id(items.Get(i)));
  }
  out += ']';
}

const std::string& rule_of(const v1::Explanation& explanation) { return explanation.rule(); }

}  // namespace

std::string decision_record_json(const v1::Decision& d) {
  std::string out = "{\"outcome\":" + json_quote(v1::Outcome_Name(d.outcome()));
  if (d.has_urgency()) out += ",\"urgency\":" + json_quote(v1::Urgency_Name(d.urgency()));
  out += ',';
  id_list(out, "red_flags", d.red_flags(), [](const v1::RedFlag& flag) -> const std::string& { return flag.rule(); });
  out += ',';
  id_list(out, "missing", d.missing(), [](const std::string& fact) -> const std::string& { return fact; });
  out += ",\"plan\":[";
  for (int i = 0; i < d.plan_size(); ++i) {
    const auto& item = d.plan(i);
    out += (i > 0 ? ",{" : "{");
    out += "\"technique\":" + json_quote(item.technique()) + ',';
    id_list(out, "why", item.why(), rule_of);
    out += ',';
    id_list(out, "cautions", item.cautions(), rule_of);
    out += '}';
  }
  out += "],\"excluded\":[";
  for (int i = 0; i < d.excluded_size(); ++i) {
    const auto& exclusion = d.excluded(i);
    out += (i > 0 ? ",{" : "{");
    out += "\"technique\":" + json_quote(exclusion.technique()) + ',';
    id_list(out, "reasons", exclusion.reasons(), rule_of);
    out += '}';
  }
  out += "],";
  id_list(out, "cautions", d.cautions(), rule_of);
  out += '}';
  return out;
}

OutcomeLabel outcome_label(const std::string& decision_json) {
  google::protobuf::Value value;
  if (!google::protobuf::util::JsonStringToMessage(decision_json, &value).ok()) return {};
  const auto& fields = value.struct_value().fields();
  auto text = [&](const char* key) {
    auto it = fields.find(key);
    return it == fields.end() ? std::string{} : it->second.string_value();
  };
  return {text("outcome"), text("urgency")};
}

}  // namespace triage
