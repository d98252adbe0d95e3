#include "fhir/response.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "api/answers_proto.hpp"
#include "fhir/questionnaire.hpp"

namespace triage::fhir {
namespace {

const char* const statuses[] = {"in-progress", "completed", "amended", "entered-in-error", "stopped"};

struct Reader {
  const FhirNames& names;
  std::map<std::string, const v1::Question*> questions;
  std::set<std::string> groups;
  ResponseAnswers& out;

  void issue(const std::string& code, const std::string& path, const std::string& message) {
    out.issues.push_back({code, message, path});
  }

  void read_items(const Json& items, const std::string& path) {
    if (!items.is_array()) {
      issue("structure", path, "`item` must be an array");
      return;
    }
    for (std::size_t i = 0; i < items.size(); ++i) read_item(items[i], path + "[" + std::to_string(i) + "]");
  }

  void read_item(const Json& item, const std::string& path) {
    if (!item.is_object()) {
      issue("structure", path, "an item must be an object");
      return;
    }
    auto link = item.find("linkId");
    if (link == item.end() || !link->is_string() || link->get<std::string>().empty()) {
      issue("required", path + ".linkId", "every item needs a linkId");
      return;
    }
    const std::string id = link->get<std::string>();
    auto found = questions.find(id);
    if (found == questions.end()) {
      bool is_display = id.size() > 5 && (id.ends_with(".help") || id.ends_with(".intro"));
      if (is_display) return;
      if (groups.count(id) > 0 || (item.contains("item") && !item.contains("answer"))) {
        if (item.contains("answer")) issue("structure", path + ".answer", "group `" + id + "` cannot have answers");
        if (item.contains("item")) read_items(item["item"], path + ".item");
        return;
      }
      issue("not-found", path + ".linkId", "unknown question `" + id + "`: not in the Questionnaire");
      return;
    }
    const v1::Question& question = *found->second;
    if (out.item_path.count(id) > 0) {
      issue("duplicate", path, "question `" + id + "` is answered twice (first at " + out.item_path[id] + ")");
      return;
    }
    out.item_path[id] = path;
    out.present.push_back(id);
    if (item.contains("item")) issue("structure", path + ".item", "question `" + id + "` cannot contain items");
    auto answers = item.find("answer");
    if (answers == item.end()) return;
    if (!answers->is_array()) {
      issue("structure", path + ".answer", "`answer` must be an array");
      return;
    }
    if (answers->empty()) return;  // unanswered, never "none"
    const std::string& type = question.type();
    if (type != "set" && answers->size() > 1) {
      issue("structure", path + ".answer", "question `" + id + "` takes one answer, got " + std::to_string(answers->size()));
      return;
    }
    RawAnswer raw;
    raw.fact = id;
    bool ok = true;
    bool none = false;
    for (std::size_t k = 0; k < answers->size(); ++k) {
      const Json& answer = (*answers)[k];
      std::string at = path + ".answer[" + std::to_string(k) + "]";
      if (!answer.is_object()) {
        issue("structure", at, "an answer must be an object");
        ok = false;
        continue;
      }
      if (answer.contains("item")) issue("structure", at + ".item", "answers to `" + id + "` cannot contain items");
      if (type == "bool") {
        auto value = answer.find("valueBoolean");
        if (value == answer.end() || !value->is_boolean()) {
          issue("value", at, "question `" + id + "` expects valueBoolean");
          ok = false;
          continue;
        }
        raw.kind = RawAnswer::Kind::boolean;
        raw.boolean = value->get<bool>();
      } else if (type == "int") {
        auto value = answer.find("valueInteger");
        // Whole numbers only, and no unsigned values past int64 (they would wrap).
        if (value == answer.end() || !value->is_number_integer() ||
            (value->is_number_unsigned() && value->get<std::uint64_t>() > 9'000'000'000'000'000ULL)) {
          issue("value", at, "question `" + id + "` expects valueInteger (a whole number)");
          ok = false;
          continue;
        }
        raw.kind = RawAnswer::Kind::number;
        raw.number = static_cast<double>(value->get<std::int64_t>());
      } else {
        auto value = answer.find("valueCoding");
        std::string code;
        if (value != answer.end() && value->is_object() && value->contains("code") && (*value)["code"].is_string()) {
          code = (*value)["code"].get<std::string>();
          auto system = value->find("system");
          if (system != value->end() && (!system->is_string() || system->get<std::string>() != names.fact_system(id))) {
            issue("code-invalid", at + ".valueCoding.system",
                  "question `" + id + "` uses the code system " + names.fact_system(id));
            ok = false;
            continue;
          }
        } else {
          issue("value", at, "question `" + id + "` expects valueCoding with a code");
          ok = false;
          continue;
        }
        const auto& values = question.values();
        bool known = std::find(values.begin(), values.end(), code) != values.end();
        if (type == "set" && code == none_code && !known) {
          none = true;
          raw.kind = RawAnswer::Kind::list;
          continue;
        }
        if (!known) {
          std::string allowed;
          for (const auto& v : values) allowed += (allowed.empty() ? "" : ", ") + v;
          if (type == "set") allowed += std::string(allowed.empty() ? "" : ", ") + none_code;
          issue("code-invalid", at + ".valueCoding.code",
                "`" + code + "` is not an option of `" + id + "` (options: " + allowed + ")");
          ok = false;
          continue;
        }
        if (type == "enum") {
          raw.kind = RawAnswer::Kind::text;
          raw.text = code;
        } else {
          raw.kind = RawAnswer::Kind::list;
          if (std::find(raw.list.begin(), raw.list.end(), code) != raw.list.end()) {
            issue("duplicate", at, "`" + code + "` is chosen twice for `" + id + "`");
            ok = false;
            continue;
          }
          raw.list.push_back(code);
        }
      }
    }
    if (none && !raw.list.empty()) {
      issue("value", path + ".answer", "`none` excludes every other option of `" + id + "`");
      ok = false;
    }
    if (ok) out.raw.push_back(std::move(raw));
  }
};

}  // namespace

const Json* unwrap_response(const Json& body, std::vector<Issue>& issues) {
  if (!body.is_object() || !body.contains("resourceType") || !body["resourceType"].is_string()) {
    issues.push_back({"structure", "the body must be a FHIR resource (a JSON object with resourceType)", ""});
    return nullptr;
  }
  const std::string type = body["resourceType"].get<std::string>();
  if (type == "QuestionnaireResponse") return &body;
  if (type == "Parameters" && body.contains("parameter") && body["parameter"].is_array()) {
    const Json* found = nullptr;
    int count = 0;
    for (const auto& parameter : body["parameter"]) {
      if (!parameter.is_object() || !parameter.contains("name") || !parameter.contains("resource")) continue;
      const Json& name = parameter["name"];
      const Json& resource = parameter["resource"];
      if (name.is_string() && (name == "in" || name == "questionnaireResponse" || name == "response") &&
          resource.is_object() && string_member(resource, "resourceType") == "QuestionnaireResponse") {
        if (found == nullptr) found = &resource;
        ++count;
      }
    }
    if (count > 1) {
      // Deciding one of several would be deciding on a guess about which patient or answers were meant.
      issues.push_back({"invalid", "Parameters holds " + std::to_string(count) +
                                       " QuestionnaireResponses; send exactly one", "Parameters.parameter"});
      return nullptr;
    }
    if (found != nullptr) return found;
    issues.push_back({"required", "no parameter `in` holding a QuestionnaireResponse", "Parameters.parameter"});
    return nullptr;
  }
  issues.push_back({"not-supported", "expected a QuestionnaireResponse (or Parameters with one), got " + type,
                    type + ".resourceType"});
  return nullptr;
}

ResponseAnswers read_response(const Json& response, const v1::Questionnaire& questionnaire, const FhirNames& names) {
  ResponseAnswers out;
  Reader reader{names, {}, {}, out};
  for (const auto& question : questionnaire.questions()) reader.questions[question.fact()] = &question;
  for (const auto& section : form_sections(questionnaire)) reader.groups.insert(section.id);
  const std::string root = "QuestionnaireResponse";
  if (!response.is_object() || string_member(response, "resourceType") != root) {
    reader.issue("structure", "", "expected a QuestionnaireResponse");
    return out;
  }
  auto status = response.find("status");
  if (status == response.end() || !status->is_string()) {
    reader.issue("required", root + ".status", "`status` is required");
  } else {
    out.status = status->get<std::string>();
    if (std::find(std::begin(statuses), std::end(statuses), out.status) == std::end(statuses)) {
      reader.issue("code-invalid", root + ".status", "`" + out.status + "` is not a QuestionnaireResponse status");
    } else if (out.status == "entered-in-error" || out.status == "stopped") {
      reader.issue("business-rule", root + ".status",
                   "a response that is `" + out.status + "` is not triaged: it was withdrawn or never finished");
    }
  }
  auto canonical = response.find("questionnaire");
  if (canonical != response.end()) {
    std::string url = canonical->is_string() ? canonical->get<std::string>() : "";
    std::string base = url.substr(0, url.find('|'));
    if (base != names.questionnaire_url() && !url.starts_with("#")) {
      reader.issue("invalid", root + ".questionnaire",
                   "this service reads responses to " + names.questionnaire_url() + ", not `" + url + "`");
    }
  }
  if (response.contains("id") && response["id"].is_string()) out.id = response["id"].get<std::string>();
  if (response.contains("subject")) out.subject = response["subject"];
  if (response.contains("encounter")) out.encounter = response["encounter"];
  if (response.contains("identifier")) out.identifier = response["identifier"];
  if (response.contains("item")) reader.read_items(response["item"], root + ".item");
  return out;
}

bool check_answers(const CompiledRuleset& ruleset, ResponseAnswers& answers) {
  IntakeResult result = validate_answers(ruleset, answers.raw);
  for (const auto& error : result.errors) {
    auto path = answers.item_path.find(error.fact);
    answers.issues.push_back({"value", error.message, path == answers.item_path.end() ? "" : path->second + ".answer"});
  }
  return result.errors.empty();
}

v1::EvaluateRequest to_evaluate_request(const ResponseAnswers& answers) {
  v1::EvaluateRequest request;
  std::string ignored;
  (void)to_request(answers.raw, request, ignored);  // every number was read as a whole number
  std::string id = answers.id;
  if (id.empty() && answers.identifier.is_object() && answers.identifier.contains("value") &&
      answers.identifier["value"].is_string()) {
    id = answers.identifier["value"].get<std::string>();
  }
  if (id.size() <= 128) request.set_request_id(id);
  return request;
}

}  // namespace triage::fhir
