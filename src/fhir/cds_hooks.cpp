#include "fhir/cds_hooks.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "fhir/guidance.hpp"
#include "fhir/questionnaire.hpp"

namespace triage::cds {
namespace {

constexpr const char* patient_service = "back-pain-triage";
constexpr const char* encounter_service = "back-pain-triage-encounter";

Json service(const std::string& hook, const std::string& id, const std::string& title, const fhir::FhirNames& names) {
  return {{"hook", hook},
          {"title", title},
          {"description",
           "Triages back pain from the patient's latest back-pain QuestionnaireResponse: red flags with their "
           "urgency, the questions still to ask, or a self-care plan."},
          {"id", id},
          {"prefetch",
           {{"questionnaireResponse", response_search(names, "{{context.patientId}}")}}},
          {"usageRequirements", "Trusted issuers and their keys are configured with --cds-jwks."}};
}

const char* urgency_words(v1::Urgency urgency) {
  switch (urgency) {
    case v1::emergency: return "emergency";
    case v1::urgent: return "urgent";
    case v1::routine: return "routine";
    default: return "";
  }
}

std::string sources_text(const google::protobuf::RepeatedPtrField<std::string>& sources) {
  std::string out;
  for (const auto& s : sources) out += (out.empty() ? "" : "; ") + s;
  return out;
}

// Markdown special characters in free text.
std::string md(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '*' || c == '_' || c == '`' || c == '[' || c == ']' || c == '#' || c == '<' || c == '>') out += '\\';
    out += c;
  }
  return out;
}

std::string question_text(const v1::Questionnaire& questionnaire, const std::string& fact) {
  for (const auto& q : questionnaire.questions()) {
    if (q.fact() == fact && !q.text().empty()) return q.text();
  }
  return fhir::label_words(fact);
}

}  // namespace

std::string shorten(const std::string& text, std::size_t limit) {
  if (text.size() < limit) return text;
  std::size_t cut = limit - 4;  // room for "…" (3 bytes)
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "\xE2\x80\xA6";
}

std::string hook_of(const std::string& service_id) {
  if (service_id == patient_service) return "patient-view";
  if (service_id == encounter_service) return "encounter-start";
  return "";
}

Json discovery(const fhir::FhirNames& names) {
  return {{"services", Json::array({service("patient-view", patient_service, "Back-pain triage", names),
                                    service("encounter-start", encounter_service, "Back-pain triage at encounter start",
                                            names)})}};
}

std::optional<HookRequest> parse_hook_request(const Json& body, const std::string& service_id, std::string& error) {
  if (!body.is_object()) {
    error = "the request must be a JSON object";
    return std::nullopt;
  }
  HookRequest request;
  if (!body.contains("hook") || !body["hook"].is_string()) {
    error = "`hook` is required";
    return std::nullopt;
  }
  request.hook = body["hook"].get<std::string>();
  if (request.hook != hook_of(service_id)) {
    error = "service `" + service_id + "` answers `" + hook_of(service_id) + "`, not `" + request.hook + "`";
    return std::nullopt;
  }
  if (!body.contains("hookInstance") || !body["hookInstance"].is_string()) {
    error = "`hookInstance` is required";
    return std::nullopt;
  }
  request.hook_instance = body["hookInstance"].get<std::string>();
  if (body.contains("fhirServer") && body["fhirServer"].is_string()) request.fhir_server = body["fhirServer"].get<std::string>();
  if (body.contains("fhirAuthorization") && body["fhirAuthorization"].is_object()) {
    const Json& authorization = body["fhirAuthorization"];
    if (authorization.contains("access_token") && authorization["access_token"].is_string()) {
      request.fhir_access_token = authorization["access_token"].get<std::string>();
    }
  }
  if (!body.contains("context") || !body["context"].is_object()) {
    error = "`context` must be an object";
    return std::nullopt;
  }
  request.context = body["context"];
  if (body.contains("prefetch") && body["prefetch"].is_object() && body["prefetch"].contains("questionnaireResponse")) {
    request.prefetch_given = true;
    const Json& value = body["prefetch"]["questionnaireResponse"];
    bool resource = value.is_object() && fhir::string_member(value, "resourceType") == "QuestionnaireResponse";
    bool bundle = value.is_object() && fhir::string_member(value, "resourceType") == "Bundle" &&
                  (!value.contains("entry") || value["entry"].is_array());
    if (resource || bundle) {
      ResponseChoice choice = choose_response(value, hook_patient(request.context));
      request.response = std::move(choice.response);
      request.other_patient = choice.other_patient;
      request.not_decidable = choice.not_decidable;
    } else if (!value.is_null()) {
      error = "prefetch `questionnaireResponse` must be a QuestionnaireResponse, a Bundle or null";
      return std::nullopt;
    }
  }
  return request;
}

namespace {

// `text` with every byte but RFC 3986's unreserved ones percent-encoded: a URL path segment or
// query value that cannot break out of its place.
std::string percent_encoded(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string response_search(const fhir::FhirNames& names, const std::string& patient_id) {
  std::string id = patient_id == "{{context.patientId}}" ? patient_id : percent_encoded(patient_id);
  return "QuestionnaireResponse?subject=Patient/" + id + "&questionnaire=" + names.questionnaire_url() +
         "&status=completed&_sort=-authored&_count=1";
}

std::string hook_patient(const Json& context) {
  if (!context.is_object() || !context.contains("patientId") || !context["patientId"].is_string()) return "";
  return context["patientId"].get<std::string>();
}

namespace {

// The patient id a Reference names: "Patient/p1", ".../fhir/Patient/p1", "Patient/p1/_history/2";
// "" when it names no Patient.
std::string referenced_patient(const Json& subject) {
  if (!subject.is_object() || !subject.contains("reference") || !subject["reference"].is_string()) return "";
  std::string reference = subject["reference"].get<std::string>();
  std::size_t history = reference.find("/_history/");
  if (history != std::string::npos) reference.erase(history);
  std::size_t at = reference.rfind("Patient/");
  if (at == std::string::npos || (at > 0 && reference[at - 1] != '/')) return "";
  std::string id = reference.substr(at + 8);
  return id.find('/') == std::string::npos ? id : "";
}

}  // namespace

std::string unusable_for(const Json& response, const std::string& patient_id) {
  std::string status = fhir::string_member(response, "status");
  if (status == "entered-in-error" || status == "stopped") return "status " + status;
  if (!patient_id.empty() && response.contains("subject") && referenced_patient(response["subject"]) != patient_id) {
    return "another patient";
  }
  return "";
}

ResponseChoice choose_response(const Json& resources, const std::string& patient_id) {
  ResponseChoice choice;
  std::string latest;
  auto consider = [&](const Json& resource) {
    if (!resource.is_object() || fhir::string_member(resource, "resourceType") != "QuestionnaireResponse") return;
    std::string why = unusable_for(resource, patient_id);
    if (why == "another patient") return void(++choice.other_patient);
    if (!why.empty()) return void(++choice.not_decidable);
    std::string authored =
        resource.contains("authored") && resource["authored"].is_string() ? resource["authored"].get<std::string>() : "";
    // RFC 3339 times in the same zone order as text; the first of equal ones wins.
    if (choice.response.is_null() || authored > latest) {
      choice.response = resource;
      latest = authored;
    }
  };
  if (fhir::string_member(resources, "resourceType") == "QuestionnaireResponse") {
    consider(resources);
  } else if (resources.is_object() && resources.contains("entry") && resources["entry"].is_array()) {
    for (const auto& entry : resources["entry"]) {
      if (entry.is_object() && entry.contains("resource")) consider(entry["resource"]);
    }
  }
  return choice;
}

Json ignored_response_card(const ResponseChoice& choice, const std::string& source_label) {
  std::string detail = "No back-pain triage was done. ";
  if (choice.other_patient > 0) {
    detail += std::to_string(choice.other_patient) +
              (choice.other_patient == 1 ? " back-pain questionnaire response" : " back-pain questionnaire responses") +
              " sent with this request belong to another patient and were not used. Check the EHR's prefetch "
              "or FHIR search before acting on any triage for this patient. ";
  }
  if (choice.not_decidable > 0) {
    detail += std::to_string(choice.not_decidable) +
              (choice.not_decidable == 1 ? " response was" : " responses were") +
              " marked entered-in-error or stopped, and such responses are not triaged.";
  }
  std::string summary = choice.other_patient > 0 ? "Back-pain questionnaire on file is for another patient; not used"
                                                 : "Back-pain questionnaire on file was withdrawn; not triaged";
  return {{"uuid", fhir::new_uuid()},
          {"summary", summary},
          {"detail", detail},
          {"indicator", choice.other_patient > 0 ? "warning" : "info"},
          {"source", {{"label", source_label}}}};
}

namespace {

// An http(s) URL taken apart and normalised for comparison: scheme and host in lower case, the
// port made explicit, the path as its percent-decoded segments (empty ones dropped).
struct ParsedUrl {
  std::string scheme, host;
  int port = 0;
  std::vector<std::string> segments;
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses `text`; false with `why` for anything a tenant boundary could hide behind: another scheme,
// user info, a query or fragment, spaces, control or non-ASCII bytes, backslashes, a bad port or
// percent escape, an encoded slash, and dot segments (".", "..", "%2e", ".%2E", …) anywhere.
bool parse_url(const std::string& text, ParsedUrl& url, std::string& why) {
  std::size_t scheme_end = text.find("://");
  std::string scheme = scheme_end == std::string::npos ? "" : text.substr(0, scheme_end);
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "http" && scheme != "https") {
    why = "fhirServer must be an http:// or https:// URL";
    return false;
  }
  for (unsigned char c : text) {
    if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#' || c == '\\') {
      why = "fhirServer must be a plain URL (no query, fragment, spaces, backslashes or control characters)";
      return false;
    }
  }
  url.scheme = scheme;
  std::size_t authority_start = scheme_end + 3;
  std::size_t path_start = text.find('/', authority_start);
  std::string authority = text.substr(authority_start, path_start == std::string::npos ? std::string::npos
                                                                                       : path_start - authority_start);
  if (authority.find('@') != std::string::npos) {
    why = "fhirServer must not carry user info";
    return false;
  }
  std::size_t colon = authority.rfind(':');
  bool bracketed = !authority.empty() && authority.front() == '[';
  if (colon != std::string::npos && (!bracketed || colon > authority.find(']'))) {
    std::string port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(port) == 0 || std::stoi(port) > 65535) {
      why = "fhirServer has an invalid port";
      return false;
    }
    url.port = std::stoi(port);
    authority.erase(colon);
  } else {
    url.port = scheme == "https" ? 443 : 80;
  }
  if (authority.empty()) {
    why = "fhirServer has no host";
    return false;
  }
  for (char& c : authority) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!authority.empty() && authority.back() == '.') authority.pop_back();  // "host." is "host"
  url.host = authority;
  std::string path = path_start == std::string::npos ? "" : text.substr(path_start);
  std::size_t from = 0;
  while (from <= path.size()) {
    std::size_t slash = path.find('/', from);
    std::string raw = path.substr(from, slash == std::string::npos ? std::string::npos : slash - from);
    std::string segment;
    for (std::size_t k = 0; k < raw.size(); ++k) {
      if (raw[k] != '%') {
        segment += raw[k];
        continue;
      }
      int high = k + 2 < raw.size() ? hex_value(raw[k + 1]) : -1, low = k + 2 < raw.size() ? hex_value(raw[k + 2]) : -1;
      if (high < 0 || low < 0) {
        why = "fhirServer has an invalid percent escape";
        return false;
      }
      segment += static_cast<char>(high * 16 + low);
      k += 2;
    }
    if (segment.find('/') != std::string::npos || segment.find('\\') != std::string::npos) {
      why = "fhirServer must not encode a slash in its path";
      return false;
    }
    if (segment == "." || segment == "..") {
      why = "fhirServer must not contain dot segments (. or ..)";
      return false;
    }
    if (!segment.empty()) url.segments.push_back(segment);
    if (slash == std::string::npos) break;
    from = slash + 1;
  }
  return true;
}

}  // namespace

namespace {

// The URL as the service calls it: scheme://host[:port]/segment/… (segments percent-encoded).
std::string normalised(const ParsedUrl& url) {
  std::string out = url.scheme + "://" + url.host;
  if (url.port != (url.scheme == "https" ? 443 : 80)) out += ":" + std::to_string(url.port);
  for (const auto& segment : url.segments) out += '/' + percent_encoded(segment);
  return out;
}

}  // namespace

bool fhir_server_allowed(const std::string& fhir_server, const std::vector<std::string>& allowed, std::string& why,
                         std::string* as_called) {
  ParsedUrl server;
  if (!parse_url(fhir_server, server, why)) return false;
  if (as_called != nullptr) *as_called = normalised(server);
  for (const std::string& prefix : allowed) {
    ParsedUrl base;
    std::string ignored;
    if (!parse_url(prefix, base, ignored)) continue;  // an allow-list entry that is no URL allows nothing
    if (server.scheme != base.scheme || server.host != base.host || server.port != base.port) continue;
    if (server.segments.size() < base.segments.size()) continue;
    if (std::equal(base.segments.begin(), base.segments.end(), server.segments.begin())) return true;
  }
  why = allowed.empty() ? "this service fetches from no FHIR server (none is allow-listed with --cds-fhir-servers)"
                        : "fhirServer is not in the allow-list (--cds-fhir-servers)";
  return false;
}

Json decision_card(const v1::Decision& decision, const v1::Questionnaire& questionnaire, const Json& referral,
                   const fhir::FhirNames& names) {
  std::string indicator = "info";
  std::string summary;
  std::string detail;
  switch (decision.outcome()) {
    case v1::refer: {
      indicator = decision.urgency() == v1::emergency ? "critical" : decision.urgency() == v1::urgent ? "warning" : "info";
      std::string tier = urgency_words(decision.urgency());
      std::string first = decision.red_flags_size() > 0 ? decision.red_flags(0).reason() : "";
      // Written to fit 140 characters, never cut: the tier's action in a few words; the rules'
      // full next step is in the detail.
      const char* action = decision.urgency() == v1::emergency ? "Call 999 or go to A&E now."
                           : decision.urgency() == v1::urgent  ? "See a GP today, or call NHS 111."
                                                               : "Book a GP or physiotherapy appointment.";
      summary = "Back pain: " + tier + " referral, " + std::to_string(decision.red_flags_size()) +
                (decision.red_flags_size() == 1 ? " red flag. " : " red flags. ") + action;
      if (!decision.next_step().action().empty()) detail += "**Next step:** " + md(decision.next_step().action()) + "\n\n";
      if (!decision.next_step().meanwhile().empty()) detail += "**Meanwhile:** " + md(decision.next_step().meanwhile()) + "\n\n";
      if (!decision.next_step().escalate().empty()) detail += "**Escalate:** " + md(decision.next_step().escalate()) + "\n\n";
      detail += "**Red flags:**\n\n";
      for (const auto& flag : decision.red_flags()) {
        detail += "- *" + std::string(urgency_words(flag.urgency())) + "*: " + md(flag.reason()) + " (rule `" + flag.rule() + "`";
        if (flag.sources_size() > 0) detail += "; sources: " + md(sources_text(flag.sources()));
        detail += ")\n";
      }
      break;
    }
    case v1::incomplete: {
      indicator = "warning";
      summary = "Back-pain triage incomplete: ask " + std::to_string(decision.missing_size()) +
                (decision.missing_size() == 1 ? " more question" : " more questions");
      if (decision.has_urgency()) summary += std::string(" (already at least ") + urgency_words(decision.urgency()) + ")";
      detail += "The answers so far cannot rule out a red flag. Ask, most urgent first:\n\n";
      for (const auto& fact : decision.missing()) detail += "1. " + md(question_text(questionnaire, fact)) + " (`" + fact + "`)\n";
      for (const auto& flag : decision.red_flags()) {
        detail += "\nAlready fired (" + std::string(urgency_words(flag.urgency())) + "): " + md(flag.reason()) + "\n";
      }
      break;
    }
    default: {
      indicator = "info";
      summary = "Back pain: no red flags; self-care plan with " + std::to_string(decision.plan_size()) + " techniques";
      detail += "**Plan:**\n\n";
      for (const auto& item : decision.plan()) {
        detail += "1. **" + md(item.title()) + "**";
        if (!item.dose().empty()) detail += " (" + md(item.dose()) + ")";
        for (const auto& why : item.why()) detail += ". " + md(why.text());
        if (item.sources_size() > 0) detail += " Sources: " + md(sources_text(item.sources()));
        detail += "\n";
      }
      if (decision.cautions_size() > 0) {
        detail += "\n**Cautions:**\n\n";
        for (const auto& c : decision.cautions()) detail += "- " + md(c.text()) + "\n";
      }
      if (!decision.schedule().frequency().empty()) detail += "\n**Schedule:** " + md(decision.schedule().frequency()) + "\n";
      if (!decision.schedule().review().empty()) detail += "\n**Review:** " + md(decision.schedule().review()) + "\n";
      if (!decision.safety_net().text().empty()) detail += "\n**Safety net:** " + md(decision.safety_net().text()) + "\n";
      if (decision.refine_size() > 0) {
        detail += "\nAsking these could still change the plan:\n\n";
        for (const auto& fact : decision.refine()) detail += "- " + md(question_text(questionnaire, fact)) + " (`" + fact + "`)\n";
      }
      break;
    }
  }
  detail += "\n---\nDecision `" + decision.decision_id() + "`, ruleset `" + decision.ruleset_hash() + "`.";
  std::string hash = decision.ruleset_hash();
  std::string short_hash = hash.size() > 19 ? hash.substr(0, 19) : hash;  // "sha256:" + 12 hex
  Json card = {{"uuid", decision.decision_id()},
               {"summary", shorten(summary, 140)},
               {"detail", detail},
               {"indicator", indicator},
               {"source",
                {{"label", "Back-pain triage rules " + short_hash}, {"url", names.module_uri(hash)}}}};
  if (decision.outcome() == v1::refer && !referral.is_null()) {
    card["suggestions"] = Json::array(
        {{{"label", shorten(std::string("Create draft ") + urgency_words(decision.urgency()) + " referral", 140)},
          {"uuid", fhir::new_uuid()},
          {"isRecommended", true},
          {"actions", Json::array({{{"type", "create"},
                                    {"description", "Draft ServiceRequest (priority " +
                                                        std::string(fhir::priority_code(decision.urgency())) + ")"},
                                    {"resource", referral}}})}}});
    card["selectionBehavior"] = "at-most-one";
  }
  Json reasons = Json::array();
  for (const auto& [code, display] : override_reasons()) {
    reasons.push_back({{"system", names.override_reason_system()}, {"code", code}, {"display", display}});
  }
  card["overrideReasons"] = std::move(reasons);
  return card;
}

const std::vector<std::pair<std::string, std::string>>& override_reasons() {
  static const std::vector<std::pair<std::string, std::string>> reasons{
      {"already-referred", "Already referred or being seen for this"},
      {"clinical-judgement", "Clinical assessment differs"},
      {"answers-wrong", "The answers on file are wrong or out of date"},
      {"patient-declined", "Patient declined"},
      {"not-relevant", "Not relevant to this visit"},
  };
  return reasons;
}

std::vector<Feedback> parse_feedback(const Json& body, const std::string& override_system,
                                     std::vector<std::string>& errors) {
  std::vector<Feedback> out;
  if (!body.is_object() || !body.contains("feedback") || !body["feedback"].is_array()) {
    errors.push_back("`feedback` must be an array");
    return {};
  }
  const Json& list = body["feedback"];
  for (std::size_t i = 0; i < list.size(); ++i) {
    const Json& entry = list[i];
    std::string at = "feedback[" + std::to_string(i) + "]";
    if (!entry.is_object()) {
      errors.push_back(at + " must be an object");
      continue;
    }
    Feedback item;
    if (!entry.contains("card") || !entry["card"].is_string() || entry["card"].get<std::string>().empty()) {
      errors.push_back(at + ".card is required (the card uuid)");
      continue;
    }
    item.card = entry["card"].get<std::string>();
    item.outcome = entry.contains("outcome") && entry["outcome"].is_string() ? entry["outcome"].get<std::string>() : "";
    if (item.outcome != "accepted" && item.outcome != "overridden") {
      errors.push_back(at + ".outcome must be `accepted` or `overridden`");
      continue;
    }
    if (!entry.contains("outcomeTimestamp") || !entry["outcomeTimestamp"].is_string()) {
      errors.push_back(at + ".outcomeTimestamp is required");
      continue;
    }
    item.outcome_timestamp = entry["outcomeTimestamp"].get<std::string>();
    if (entry.contains("acceptedSuggestions") && entry["acceptedSuggestions"].is_array()) {
      for (const auto& s : entry["acceptedSuggestions"]) {
        if (s.is_object() && s.contains("id") && s["id"].is_string()) item.accepted_suggestions.push_back(s["id"].get<std::string>());
      }
    }
    if (entry.contains("overrideReason")) {
      if (item.outcome != "overridden") {
        errors.push_back(at + ".overrideReason is only for `overridden`");
        continue;
      }
      const Json& reason = entry["overrideReason"];
      if (reason.is_object()) {
        if (reason.contains("reason") && reason["reason"].is_object()) {
          item.override_code = fhir::string_member(reason["reason"], "code");
          item.override_display = fhir::string_member(reason["reason"], "display");
          std::string system = fhir::string_member(reason["reason"], "system");
          const auto& offered = override_reasons();
          bool known = std::any_of(offered.begin(), offered.end(),
                                   [&](const auto& r) { return r.first == item.override_code; });
          if (!item.override_code.empty() && (!known || (!system.empty() && system != override_system))) {
            std::string codes;
            for (const auto& r : offered) codes += (codes.empty() ? "" : ", ") + r.first;
            errors.push_back(at + ".overrideReason.reason must be one of the card's overrideReasons (" + codes + ")");
            continue;
          }
        }
        item.override_comment = fhir::string_member(reason, "userComment");
      }
    }
    out.push_back(std::move(item));
  }
  if (!errors.empty()) out.clear();
  return out;
}

}  // namespace triage::cds
